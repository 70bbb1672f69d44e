// Debian's Chromium driven by Playwright (playwright-core: no browser download), started as
// scripts/chromium.ts says. Playwright gives every launch a fresh profile folder of its own
// (the --user-data-dir it passes), removed when it closes.
import axe from 'axe-core'
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

// axe-core runs in the page itself (evaluate is not subject to the page's CSP).
/** Serious and critical accessibility violations axe-core finds on the page. */
export async function axeProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source)
  const violations = await page.evaluate(async () => {
    const { violations } = await (window as unknown as { axe: typeof axe }).axe.run(document, {
      resultTypes: ['violations']
    })
    return violations.map(violation => ({
      id: violation.id,
      impact: violation.impact,
      targets: violation.nodes.map(node => node.target.join(' '))
    }))
  })
  return violations
    .filter(violation => violation.impact === 'serious' || violation.impact === 'critical')
    .map(violation => `${violation.id}: ${violation.targets.join(', ')}`)
}
