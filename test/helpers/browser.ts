// Debian's Chromium driven by Playwright (playwright-core: no browser download), started as
// scripts/chromium.ts says. Playwright gives every launch a fresh profile folder of its own
// (the --user-data-dir it passes), removed when it closes.
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Test } from 'tap'
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.js'

export async function launchBrowser(t: Pick<Test, 'teardown'>): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  t.teardown(async () => {
    await browser.close()
  })
  return browser
}

/** A tab of its own (its own sessionStorage) signed in the way `npm start`'s link does it. */
export async function signedInPage(browser: Browser, baseUrl: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
  const page = await context.newPage()
  await page.goto(`${baseUrl}/console#token=${token}`)
  return page
}
