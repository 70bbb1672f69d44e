// What the console tells an SRE while it works, in a real browser against the real service: a
// signed-in session leaves the browser's devtools console clean on every panel (no failed
// request, no response of 400 or more, no error: not even for the favicon or a component without
// a breaker); a card loading what it does not have yet says "Loading…" (aria-busy) until the answer
// replaces it, and a failed load offers Retry; a typed search sends one request per word, not one
// per key; at a phone's width an admin's self-tests stay readable and a chosen signal's detail comes
// into view.
import t from 'tap'
import type { Locator, Page, Route } from 'playwright-core'
import { buildTestApp, createAsService } from '../helpers/app.js'
import { axeProblems, launchBrowser, signedInPage } from '../helpers/browser.js'

const WAIT = { timeout: 30_000 }
t.setTimeout(3 * 60_000)

/** Everything the browser's devtools would show in red for this page, from now on. */
function watchProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('console', message => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', request => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`))
  page.on('response', response => {
    if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`)
  })
  return problems
}

/** A route held until the test lets it go: what a slow service looks like to the page. */
function hold(): { route: (route: Route) => Promise<void>; release: () => void; held: Promise<void> } {
  let release = () => {}
  let arrived = () => {}
  const released = new Promise<void>(resolve => (release = resolve))
  const held = new Promise<void>(resolve => (arrived = resolve))
  return {
    route: async route => {
      arrived()
      await released
      await route.continue()
    },
    release,
    held
  }
}

t.test('the console as an SRE watches it work', async t => {
  const ctx = await buildTestApp(t)
  const baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const post = async (url: string, payload: object) => await createAsService(ctx, url, payload)
  const organizationId = ctx.admin.organizationId
  const components = ['checkout', 'search', 'ledger-db']
  await post('/v1/health-events/batch', {
    events: components.map((name, index) => ({
      organization_id: organizationId,
      user_id: ctx.user.id,
      component_type: 'edge_function',
      component_name: name,
      status: index === 0 ? 'critical' : 'healthy',
      latency_ms: 300 + index,
      latency_p95_ms: 900,
      error_rate: 2
    }))
  })
  await post('/v1/anomalies', {
    organization_id: organizationId,
    user_id: ctx.user.id,
    anomaly_type: 'latency_spike',
    severity: 'critical',
    source_type: 'system_health_events',
    source_component_name: 'checkout',
    baseline_value: 200,
    observed_value: 900
  })
  await post('/v1/anomalies', {
    organization_id: organizationId,
    user_id: ctx.user.id,
    anomaly_type: 'error_rate_increase',
    severity: 'medium',
    source_type: 'system_health_events',
    source_component_name: 'search',
    baseline_value: 0.5,
    observed_value: 4
  })
  await post('/v1/recovery-actions', {
    action_type: 'restart_function',
    target_component_name: 'checkout',
    organization_id: organizationId,
    requires_approval: true,
    trigger_reason: 'p95 over 2 s'
  })
  const browser = await launchBrowser(t)

  for (const [who, caller] of [
    ['an admin', ctx.admin],
    ['a member', ctx.user]
  ] as const)
    await t.test(`${who}: every panel loads with nothing failed and nothing in red`, async t => {
      let problems: string[] = []
      const page = await signedInPage(browser, baseUrl, caller.token, tab => {
        problems = watchProblems(tab)
      })
      const panels = [
        ['monitor', 'System monitor', 'Components, last 6 hours'],
        ['anomalies', 'Anomalies', 'Signals'],
        ['recovery', 'Recovery', 'Waiting for approval'],
        ['selftests', 'Self-tests', 'Catalog'],
        ['silences', 'Silences', 'Active silences'],
        ['runbooks', 'Runbooks', 'Runbook runs'],
        // A component with neither a breaker nor control targets: the usual case, not an error.
        [
          `component/checkout${caller === ctx.admin ? `/${organizationId}` : ''}`,
          'Component',
          'Circuit breaker and control targets'
        ]
      ] as const
      for (const [route, title, card] of panels) {
        await page.goto(`${baseUrl}/console#/${route}`)
        await page.getByRole('heading', { level: 1, name: title }).waitFor(WAIT)
        await page.getByRole('region', { name: card }).waitFor(WAIT)
        await page.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null, undefined, WAIT)
        if (route === 'anomalies') {
          await page.getByRole('button', { name: /latency spike · checkout/ }).click()
          await page.getByRole('region', { name: 'Signal' }).getByText('Correlated signals').waitFor(WAIT)
        }
      }
      await page.getByText('No control targets registered.').waitFor(WAIT)
      await page.getByText('Live', { exact: true }).waitFor(WAIT)
      t.same(problems, [], 'no failed request, no response of 400 or more, no console error or warning')
      await page.close()
    })

  await t.test('a card says "Loading…" until its answer arrives, and offers Retry when it fails', async t => {
    const signals = hold()
    let problems: string[] = []
    const page = await signedInPage(browser, baseUrl, ctx.admin.token, tab => {
      problems = watchProblems(tab)
    })
    await page.route(/\/v1\/anomalies\?/, signals.route)
    await page.getByRole('link', { name: 'Anomalies' }).click()
    const card = page.getByRole('region', { name: 'Signals' })
    await signals.held
    await card.getByText('Loading…').waitFor(WAIT)
    t.equal(await card.getAttribute('aria-busy'), 'true', 'busy while the first page loads')
    t.equal(await card.getByRole('row').count(), 0, 'no rows yet')
    signals.release()
    await card.getByRole('button', { name: /latency spike · checkout/ }).waitFor(WAIT)
    await card.getByText('Loading…').waitFor({ ...WAIT, state: 'detached' })
    t.equal(await card.getAttribute('aria-busy'), 'false', 'not busy once the answer is shown')
    t.same(await axeProblems(page), [], 'axe-core, loaded')

    // Another filter: the previous answer stays in view, marked as being replaced, until the new one.
    await page.unroute(/\/v1\/anomalies\?/)
    const medium = hold()
    await page.route(/\/v1\/anomalies\?.*severity=medium/, medium.route)
    await card.getByLabel('Severity').selectOption('medium')
    await medium.held
    await card.getByText('Loading…').waitFor(WAIT)
    t.equal(await card.getAttribute('aria-busy'), 'true', 'busy while the filter loads')
    t.same(await axeProblems(page), [], 'axe-core, while loading')
    medium.release()
    await card.getByText('Loading…').waitFor({ ...WAIT, state: 'detached' })
    t.equal(await card.getByRole('button', { name: /latency spike · checkout/ }).count(), 0, 'the critical row went')
    await card.getByRole('button', { name: /error rate increase · search/ }).waitFor(WAIT)

    // A failed load: the previous filter's rows do not stand under the error as its answer.
    await page.unroute(/\/v1\/anomalies\?.*severity=medium/)
    let failures = 1
    await page.route(/\/v1\/anomalies\?.*severity=critical/, async route => {
      if (failures-- <= 0) return await route.continue()
      await route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '3' },
        body: JSON.stringify({ status: 503, title: 'Service Unavailable', detail: 'database unavailable' })
      })
    })
    await card.getByLabel('Severity').selectOption('critical')
    await card
      .getByRole('alert')
      .getByText(/unavailable for a moment.*Try again in 3 seconds/)
      .waitFor(WAIT)
    t.equal(await card.getByRole('row').count(), 0, "the medium filter's rows are gone")
    t.equal(await card.getAttribute('aria-busy'), 'false', 'not busy: failed')
    await card.getByRole('button', { name: 'Retry' }).click()
    await card.getByRole('button', { name: /latency spike · checkout/ }).waitFor(WAIT)
    t.equal(await card.getByRole('alert').count(), 0, 'the error went with the answer')
    t.same(
      problems.filter(problem => !problem.includes('503')),
      [],
      'nothing else in red than the 503 the test sent'
    )
    await page.close()
  })

  await t.test('a search typed is one request for the word, not one per key', async t => {
    const page = await browser.newPage()
    await page.clock.install()
    await page.goto(`${baseUrl}/console#token=${ctx.admin.token}`)
    // Types the word with the page's clock held, then lets 300 ms pass: on a loaded machine two real
    // keys may lie 250 ms apart, which would rightly be two searches.
    const typeWord = async (field: Locator) => {
      await field.focus()
      await page.clock.pauseAt(Date.now() + 1000)
      await page.keyboard.type('checkout', { delay: 40 })
      await page.clock.runFor(300)
      await page.clock.resume()
    }
    const searches: string[] = []
    page.on('request', request => {
      const url = new URL(request.url())
      const search = url.searchParams.get('search')
      if (url.pathname === '/v1/health/components' && search !== null) searches.push(search)
    })
    const card = page.getByRole('region', { name: 'Components, last 6 hours' })
    await card.getByRole('link', { name: 'ledger-db' }).waitFor(WAIT)
    await typeWord(card.getByLabel('Search'))
    for (const other of ['ledger-db', 'search'])
      await card.getByRole('link', { name: other }).waitFor({ ...WAIT, state: 'detached' })
    t.same(searches, ['checkout'], 'one request, once typing paused')
    await card.getByText('1 component', { exact: true }).waitFor(WAIT)

    const anomalies: string[] = []
    page.on('request', request => {
      const url = new URL(request.url())
      const name = url.searchParams.get('source_component_name')
      if (url.pathname === '/v1/anomalies' && name !== null) anomalies.push(name)
    })
    await page.getByRole('link', { name: 'Anomalies' }).click()
    const signals = page.getByRole('region', { name: 'Signals' })
    await signals.getByRole('button', { name: /error rate increase · search/ }).waitFor(WAIT)
    await typeWord(signals.getByLabel('Component'))
    await signals.getByRole('button', { name: /error rate increase · search/ }).waitFor({ ...WAIT, state: 'detached' })
    await signals.getByRole('button', { name: /latency spike · checkout/ }).waitFor(WAIT)
    t.same(anomalies, ['checkout'], 'the component filter applies once typing pauses, without Enter')
    await page.close()
  })

  await t.test(
    'at 375 px: self-tests keep their names, Run now its label, pass rates; a chosen signal comes into view',
    async t => {
      await ctx.app.inject({ method: 'POST', url: '/v1/selftests/run', headers: ctx.service.headers, payload: {} })
      const page = await signedInPage(browser, baseUrl, ctx.admin.token)
      await page.setViewportSize({ width: 375, height: 800 })
      await page.getByRole('link', { name: 'Self-tests' }).click()
      const catalog = page.getByRole('region', { name: 'Catalog' })
      const row = catalog.getByRole('row', { name: /database_connectivity/ })
      await row.getByText('passed').waitFor(WAIT)
      t.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375, 'nothing wider than the screen')
      const widths = await catalog.locator('tbody th').evaluateAll(cells => cells.map(cell => cell.clientWidth))
      t.ok(widths.length > 0 && widths.every(width => width >= 120), `every test's name keeps its width: ${widths}`)
      const hidden = await catalog
        .locator('button .sr-only')
        .evaluateAll(spans => spans.map(span => span.getBoundingClientRect().width))
      t.ok(hidden.length > 0 && hidden.every(width => width <= 1), '"Run now" names its test to screen readers only')
      await row.getByRole('cell', { name: /^\d+ % no chart yet$/ }).waitFor(WAIT)
      t.same(await axeProblems(page), [], 'axe-core')

      // A phone stacks the detail under the list: choosing a signal brings it into view.
      await page.setViewportSize({ width: 375, height: 600 })
      await page.getByRole('link', { name: 'Anomalies' }).click()
      await page.getByRole('button', { name: /latency spike · checkout/ }).click()
      const detail = page.getByRole('region', { name: 'Signal', exact: true })
      await detail.getByText('Baseline → observed').waitFor(WAIT)
      const box = await detail.getByRole('heading', { name: 'Signal', exact: true }).boundingBox()
      t.ok(box !== null && box.y >= 0 && box.y + box.height <= 600, `the detail's title is on screen (${box?.y})`)
      await page.close()
    }
  )
})
