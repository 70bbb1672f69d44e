// Debian's Chromium driven by Playwright (playwright-core: no browser download), started as
// scripts/chromium.ts says. Playwright gives every launch a fresh profile folder of its own
// (the --user-data-dir it passes), removed when it closes.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.js'

/** The file's one browser and one context: pages share its cache (the console's immutable assets load once). */
export async function launchBrowser(t: Pick<Test, 'teardown'>): Promise<BrowserContext> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  t.teardown(async () => {
    await browser.close()
  })
  return await browser.newContext({ viewport: { width: 1400, height: 900 } })
}

/**
 * A tab of its own (sessionStorage is per tab, so each tab holds its own caller), signed in the
 * way `npm start`'s link does it. `beforeLoad` sees the page before it loads (to watch its traffic).
 */
export async function signedInPage(
  context: BrowserContext,
  baseUrl: string,
  token: string,
  beforeLoad: (page: Page) => void = () => {}
): Promise<Page> {
  const page = await context.newPage()
  beforeLoad(page)
  await page.goto(`${baseUrl}/console#token=${token}`)
  return page
}
