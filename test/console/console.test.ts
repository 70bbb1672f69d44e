// The operator console in a real browser (Debian's Chromium through Playwright) against the
// real service and PostgreSQL: every panel loads seeded data and passes axe-core with no
// serious or critical violation; an admin approves a pending action and watches it run, and
// switches healing off and back; silences a signal from the anomaly console, finds the silence
// in the Silences view and expires it; pages the Silences and Runbooks views; reads a runbook
// run's steps; a signal the detect job opens and a forecast appear without a reload; a member
// sees only their rows; the service token reads only; the keyboard reaches everything; and at
// 1,000 components and 10,000 signals every list pages, searches and filters on the server.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Page, Request } from 'playwright-core'
import { CONSOLE_VOLUME, componentName, seedConsoleVolume } from '../../bench/support/console-volume.js'
import { jobDefinitions } from '../../src/jobs/index.js'
import { buildTestApp } from '../helpers/app.js'
import { axeProblems, launchBrowser, signedInPage } from '../helpers/browser.js'
import { startControlEndpoint } from '../helpers/control-endpoint.js'
import { ownerSql } from '../helpers/database.js'
import { historyThen, insertSeries } from '../services/detection/series.js'

const SECRET = 'whsec_' + Buffer.from('console-test-secret-0123456789').toString('base64')
const WAIT = { timeout: 30_000 }
// One browser, one context and one app for every step: about 15 s alone, several times that on a machine shared by parallel suites.
t.setTimeout(5 * 60_000)

async function openPanel(page: Page, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Panels' }).getByRole('link', { name: title }).click()
  await page.getByRole('heading', { level: 1, name: title }).waitFor(WAIT)
}

t.test('the console', async t => {
  const ctx = await buildTestApp(t)
  const baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const api = async (method: string, url: string, headers: { authorization: string }, payload?: object) => {
    const res = await ctx.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload })
    })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const event = (name: string, status: string, userId: string, latency: number) => ({
    component_type: 'edge_function',
    component_name: name,
    status,
    latency_ms: latency,
    latency_p95_ms: latency * 2,
    error_rate: status === 'healthy' ? 0.5 : 12,
    cpu_usage_percent: 40,
    memory_usage_percent: 55,
    // The organization whose `checkout` the control target below is registered for.
    organization_id: ctx.admin.organizationId,
    user_id: userId
  })
  await api('POST', '/v1/health-events/batch', ctx.service.headers, {
    events: [
      event('checkout', 'critical', ctx.user.id, 900),
      event('checkout', 'critical', ctx.user.id, 950),
      event('search', 'healthy', ctx.user.id, 80),
      event('payroll', 'degraded', ctx.otherUser.id, 300)
    ]
  })
  const signal = (name: string, userId: string) => ({
    anomaly_type: 'latency_spike',
    severity: 'high',
    source_type: 'system_health_events',
    source_component_name: name,
    baseline_value: 180,
    observed_value: 950,
    deviation_percentage: 427,
    pattern_type: 'sudden_spike',
    root_cause_analysis: `${name} slowed after a deploy`,
    user_id: userId
  })
  const own = await api('POST', '/v1/anomalies', ctx.service.headers, signal('checkout', ctx.user.id))
  const foreign = await api('POST', '/v1/anomalies', ctx.service.headers, signal('payroll', ctx.otherUser.id))
  const endpoint = await startControlEndpoint(t, { secret: SECRET })
  await api('PUT', '/v1/components/checkout', ctx.service.headers, {
    component_type: 'edge_function',
    organization_id: ctx.admin.organizationId,
    webhook_url: endpoint.url,
    webhook_secret: SECRET
  })
  const pending = await api('POST', '/v1/recovery-actions', ctx.service.headers, {
    action_type: 'rollback_deployment',
    target_component_name: 'checkout',
    organization_id: ctx.admin.organizationId,
    trigger_reason: 'p95 latency 1.9 s after deploy 412'
  })
  t.equal(pending.execution_status, 'pending_approval')

  const browser = await launchBrowser(t)
  const admin = await signedInPage(browser, baseUrl, ctx.admin.token)
  const owner = ownerSql(t, ctx.databaseUrl)

  await t.test('the sign-in link leaves the token in the tab, not in the URL', async t => {
    await admin.getByRole('heading', { level: 1, name: 'System monitor' }).waitFor(WAIT)
    t.notMatch(admin.url(), /token/)
    t.equal(await admin.evaluate(() => Object.values(sessionStorage).length), 1)
  })

  await t.test('each panel loads its data and passes axe-core', async t => {
    await admin.getByRole('link', { name: 'checkout', exact: true }).waitFor(WAIT)
    t.ok(await admin.getByRole('link', { name: 'payroll', exact: true }).isVisible(), 'an admin sees every component')
    t.same(await axeProblems(admin), [], 'system monitor')
    await admin.getByRole('link', { name: 'checkout', exact: true }).click()
    await admin.getByRole('heading', { name: 'checkout: last 6 hours' }).waitFor(WAIT)
    await admin.getByText(endpoint.url).waitFor(WAIT)
    t.notOk(await admin.getByText(SECRET).count(), 'the webhook secret is never shown')
    t.same(await axeProblems(admin), [], 'component page')

    await openPanel(admin, 'Anomalies')
    await admin.getByRole('button', { name: /latency spike · checkout/ }).click()
    await admin.getByText('checkout slowed after a deploy').waitFor(WAIT)
    t.same(await axeProblems(admin), [], 'anomaly console')

    await openPanel(admin, 'Recovery')
    await admin.getByText('p95 latency 1.9 s after deploy 412').waitFor(WAIT)
    t.same(await axeProblems(admin), [], 'recovery manager')

    await openPanel(admin, 'Self-tests')
    await admin.getByRole('rowheader', { name: /database_connectivity/ }).waitFor(WAIT)
    t.same(await axeProblems(admin), [], 'self-test panel')
    const row = admin.getByRole('row', { name: /database_connectivity/ })
    await row.getByText('not run yet').waitFor(WAIT)
    await row.getByRole('button', { name: 'Run now database_connectivity' }).click()
    await row.getByText('passed', { exact: true }).waitFor(WAIT)
  })

  await t.test('an admin approves a pending action and sees it run', async t => {
    await openPanel(admin, 'Recovery')
    const waiting = admin.getByRole('region', { name: 'Waiting for approval' })
    await waiting.getByRole('button', { name: 'Approve' }).click()
    await waiting.getByText('Nothing waits for approval.').waitFor(WAIT)
    const timeline = admin.getByRole('region', { name: 'Actions' })
    await timeline.getByText('approved').first().waitFor(WAIT)
    // The heal job's tick: the engine runs what is due, here on another Db than the browser's requests.
    await ctx.app.healing.runDue()
    await timeline.getByText('succeeded').first().waitFor(WAIT)
    t.equal(endpoint.effects.length, 1, 'the control endpoint received the rollback once')
    t.equal((await api('GET', `/v1/recovery-actions/${pending.id}`, ctx.admin.headers)).execution_status, 'succeeded')
  })

  await t.test('an admin switches healing off with a reason, and back', async t => {
    const mode = admin.getByRole('region', { name: 'Healing mode' })
    await mode.getByLabel('Reason').fill('database maintenance')
    await mode.getByRole('button', { name: 'Off' }).click()
    await mode.getByText('because “database maintenance”').waitFor(WAIT)
    t.equal(await mode.getByRole('button', { name: 'Off' }).getAttribute('aria-pressed'), 'true')
    t.match(await api('GET', '/v1/self-healing/mode', ctx.user.headers), {
      mode: 'off',
      reason: 'database maintenance'
    })
    await mode.getByRole('button', { name: 'Auto' }).click()
    await mode.getByRole('button', { name: 'Auto', pressed: true }).waitFor(WAIT)
    t.match(await api('GET', '/v1/self-healing/mode', ctx.user.headers), { mode: 'auto' })
  })

  await t.test('an admin silences a signal, sees the silence, and expires it', async t => {
    await openPanel(admin, 'Anomalies')
    await admin.getByRole('button', { name: /latency spike · checkout/ }).click()
    await admin.getByRole('button', { name: 'Silence…' }).click()
    const form = admin.getByRole('form', { name: 'Silence this signal' })
    await form.getByText('component_name=checkout').waitFor(WAIT)
    await form.getByLabel('Comment (why)').fill('deploy 413 in progress')
    await form.getByLabel('Until a time').check()
    await form.getByLabel('End time').fill('2020-01-01T00:00')
    await form.getByRole('button', { name: 'Create silence' }).click()
    await form
      .getByRole('alert')
      .getByText(/^The service refused the input: \/body\/ends_at must be/)
      .waitFor(WAIT)
    await form.getByLabel('4 hours', { exact: true }).check()
    await form.getByRole('button', { name: 'Create silence' }).click()
    await admin.getByText(/^Silenced until/).waitFor(WAIT)
    const [created] = (await api('GET', '/v1/silences?state=active', ctx.admin.headers)).items
    t.match(created, {
      comment: 'deploy 413 in progress',
      created_by: ctx.admin.id,
      matchers: [
        { name: 'component_name', value: 'checkout', is_regex: false, is_equal: true },
        { name: 'anomaly_type', value: 'latency_spike', is_regex: false, is_equal: true }
      ]
    })
    const hours = (Date.parse(created.ends_at) - Date.parse(created.starts_at)) / 3_600_000
    t.ok(hours > 3.9 && hours <= 4, `the 4 hour preset (${hours} h)`)

    // 51 planned ones, so the pending list has a second page.
    await owner`
      insert into silences (organization_id, matchers, starts_at, ends_at, comment, created_at)
      select ${ctx.admin.organizationId}::uuid,
        ${owner.json([{ name: 'component_name', value: 'search', is_regex: false, is_equal: true }])},
        now() + interval '1 day', now() + interval '2 days', 'planned maintenance ' || i, now() - make_interval(mins => i)
      from generate_series(1, 51) i`

    await openPanel(admin, 'Silences')
    const pending = admin.getByRole('region', { name: 'Pending silences' })
    await pending.getByText('planned maintenance 1', { exact: true }).waitFor(WAIT)
    await pending.getByRole('button', { name: 'Older' }).click()
    await pending.getByText('planned maintenance 51', { exact: true }).waitFor(WAIT)
    t.equal(await pending.getByRole('row').count(), 2, 'page 2 holds the 51st (and the header row)')
    await pending.getByRole('button', { name: 'Newer' }).click()
    await pending.getByText('planned maintenance 1', { exact: true }).waitFor(WAIT)
    const active = admin.getByRole('region', { name: 'Active silences' })
    await active
      .getByRole('row', { name: /anomaly_type=latency_spike/ })
      .getByText('deploy 413 in progress')
      .waitFor(WAIT)
    t.same(await axeProblems(admin), [], 'silences view')
    await active.getByRole('button', { name: 'Expire silence: deploy 413 in progress' }).click()
    await active.getByText('No active silences.').waitFor(WAIT)
    t.match(await api('GET', `/v1/silences/${created.id}`, ctx.admin.headers), { state: 'expired' })
  })

  await t.test('an admin reads a runbook run and its steps', async t => {
    const sql = owner
    const organization = ctx.admin.organizationId
    const [runbook] = await sql`
      insert into runbooks (organization_id, name, version, document)
      values (${organization}, 'checkout-latency', 3, ${sql.json({ name: 'checkout-latency' })})
      returning id`
    const [run] = await sql`
      insert into runbook_runs (organization_id, runbook_id, runbook_name, runbook_version, component_name,
        status, current_step, outcome, finished_at)
      values (${organization}, ${runbook?.id}, 'checkout-latency', 3, 'checkout', 'succeeded', 1,
        'verified after step 2', now())
      returning id`
    await sql`
      insert into runbook_run_steps (run_id, step_index, organization_id, name, action_type, status, action_id,
        verification)
      values
        (${run?.id}, 0, ${organization}, 'clear the cache', 'clear_cache', 'failed', null,
          ${sql.json({ passed: false, reason: 'latency_p95_ms was 900, not below 500' })}),
        (${run?.id}, 1, ${organization}, null, 'rollback_deployment', 'passed', ${pending.id},
          ${sql.json({ passed: true, reason: 'latency_p95_ms was 180, below 500' })})`
    // 50 older runs, so the list has a second page.
    await sql`
      insert into runbook_runs (organization_id, runbook_id, runbook_name, runbook_version, component_name,
        status, finished_at, created_at)
      select ${organization}, ${runbook?.id}, 'nightly-cache', i, 'search', 'succeeded',
        now() - make_interval(mins => i), now() - make_interval(mins => i)
      from generate_series(1, 50) i`

    await openPanel(admin, 'Runbooks')
    const runs = admin.getByRole('region', { name: 'Runbook runs' })
    const row = runs.getByRole('row', { name: /checkout-latency@3/ })
    await row.getByText('succeeded').waitFor(WAIT)
    t.ok(await row.getByRole('cell', { name: 'checkout', exact: true }).isVisible(), 'the component')
    await row.getByRole('button', { name: 'checkout-latency@3' }).click()
    const steps = admin.getByRole('region', { name: 'Run steps' })
    const first = steps.getByRole('row', { name: /1\. clear the cache/ })
    await first.getByText('latency_p95_ms was 900, not below 500').waitFor(WAIT)
    t.ok(await first.getByText('clear_cache', { exact: true }).isVisible(), 'the action type')
    const second = steps.getByRole('row', { name: /2\. rollback deployment/ })
    await second.getByText('latency_p95_ms was 180, below 500').waitFor(WAIT)
    t.ok(await second.getByText('succeeded', { exact: true }).isVisible(), "the step's action status")
    t.ok(await second.getByText('passed', { exact: true }).first().isVisible(), 'the step passed')
    t.same(await axeProblems(admin), [], 'runbooks view')
    await runs.getByLabel('Status').selectOption('failed')
    await runs.getByText('No runbook runs.').waitFor(WAIT)
    await runs.getByLabel('Status').selectOption('succeeded')
    await row.waitFor(WAIT)
    await runs.getByRole('button', { name: 'Older' }).click()
    await runs.getByRole('button', { name: 'nightly-cache@50' }).waitFor(WAIT)
    t.equal(await runs.getByRole('row').count(), 2, 'page 2 holds the 51st run (and the header row)')
    await runs.getByRole('button', { name: 'Newer' }).click()
    await row.waitFor(WAIT)
  })

  await t.test('a signal the detect job opens appears without a reload', async t => {
    await openPanel(admin, 'Anomalies')
    await admin.getByRole('button', { name: /latency spike · checkout/ }).waitFor(WAIT)
    await admin.evaluate(() => {
      ;(window as unknown as { loadedOnce: boolean }).loadedOnce = true
    })
    const at = new Date()
    await insertSeries(owner, 'ledger', historyThen(at, 120, 180, 5, [180, 2400]))
    const detect = jobDefinitions({ config: ctx.config, db: ctx.app.db, healing: ctx.app.healing }).find(
      job => job.name === 'detect'
    )
    await detect?.run({ tick: new Date(), signal: new AbortController().signal, log: ctx.app.log })
    await admin.getByRole('button', { name: /· ledger/ }).waitFor(WAIT)
    t.ok(
      await admin.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce),
      'the page was not reloaded'
    )
  })

  await t.test('a forecast appears on the monitor and the component page without a reload, and clears', async t => {
    await openPanel(admin, 'System monitor')
    const forecasts = admin.getByRole('region', { name: 'Forecasts' })
    await forecasts.getByText('No resource is forecast to run out.').waitFor(WAIT)
    const [alert] = await owner`
      insert into predictive_alerts (organization_id, component_name, component_type, alert_type, metric_name,
        predicted_value, actual_value, threshold_value, forecast_target_time, confidence_score, severity, message)
      values (${ctx.admin.organizationId}, 'checkout', 'edge_function', 'resource_exhaustion', 'memory_usage_percent',
        131, 71.4, 95, now() + interval '3 hours', 0.99, 'medium', 'memory of checkout reaches 95 % in about 3 h')
      returning id`
    await forecasts.getByText('memory of checkout reaches 95 % in about 3 h').waitFor(WAIT)
    await forecasts.getByRole('link', { name: 'checkout' }).click()
    await admin.getByRole('heading', { name: 'checkout: last 6 hours' }).waitFor(WAIT)
    const own = admin.getByRole('region', { name: 'Forecasts' })
    await own.getByText('memory of checkout reaches 95 % in about 3 h').waitFor(WAIT)
    await owner`update predictive_alerts set status = 'resolved', closed_at = now() where id = ${alert?.id}`
    await own.getByText('No resource is forecast to run out.').waitFor(WAIT)
    t.pass('the forecast came and went through the stream')
  })

  await t.test('a member sees only their rows; the service token only reads', async t => {
    const member = await signedInPage(browser, baseUrl, ctx.user.token)
    await member.getByRole('link', { name: 'checkout', exact: true }).waitFor(WAIT)
    t.equal(await member.getByRole('link', { name: 'payroll', exact: true }).count(), 0)
    await openPanel(member, 'Anomalies')
    await member.getByRole('button', { name: /latency spike · checkout/ }).waitFor(WAIT)
    t.equal(await member.getByRole('button', { name: /· payroll/ }).count(), 0, foreign.id)
    await member.getByRole('button', { name: /latency spike · checkout/ }).click()
    await member.getByLabel('Notes').fill('looking into it')
    await member.getByRole('button', { name: 'Acknowledge' }).click()
    await member
      .getByRole('region', { name: 'Signal', exact: true })
      .getByText('acknowledged', { exact: true })
      .waitFor(WAIT)
    t.match(await api('GET', `/v1/anomalies/${own.id}`, ctx.user.headers), { status: 'acknowledged' })
    t.ok(await member.getByRole('button', { name: 'Silence…' }).isDisabled(), 'only admins silence')
    await member.getByText('Only admins silence signals.').waitFor(WAIT)
    await openPanel(member, 'Recovery')
    await member.getByText('Only admins switch the mode.').waitFor(WAIT)
    await member.close()

    const service = await signedInPage(browser, baseUrl, ctx.service.token)
    await service.getByText('service (read-only)').waitFor(WAIT)
    await openPanel(service, 'Anomalies')
    await service.getByRole('button', { name: /latency spike · payroll/ }).click()
    await service.getByText('The service role reads the console only.').waitFor(WAIT)
    t.equal(await service.getByRole('button', { name: 'Resolve' }).count(), 0)
    await service.close()
  })

  await t.test('the keyboard reaches the panels', async t => {
    await admin.keyboard.press('Tab')
    await admin.keyboard.press('Tab')
    const focused = async () => await admin.evaluate(() => document.activeElement?.textContent ?? '')
    let steps = 0
    while ((await focused()) !== 'Self-tests' && steps++ < 10) await admin.keyboard.press('Tab')
    t.equal(await focused(), 'Self-tests', 'the panel links are in the tab order')
    await admin.keyboard.press('Enter')
    await admin.getByRole('heading', { level: 1, name: 'Self-tests' }).waitFor(WAIT)
    t.match(admin.url(), /#\/selftests$/)
  })

  await t.test('1,000 components and 10,000 signals: every list pages, searches and filters on the server', async t => {
    // A member of another organization whose rows these are: the steps above keep their small
    // world, and an admin would see every organization's components.
    const organizationId = randomUUID()
    const userId = randomUUID()
    // The admin's tab is done; one tab fewer to keep live.
    await admin.close()
    await seedConsoleVolume(owner, { organizationId, userId })
    const token = await ctx.token({
      sub: userId,
      role: 'authenticated',
      app_metadata: { organization_id: organizationId }
    })
    const received: Array<Promise<{ url: string; bytes: number }>> = []
    const watch = (request: Request) => {
      const url = new URL(request.url())
      if (!url.pathname.startsWith('/v1/') || url.pathname === '/v1/stream') return
      received.push(request.sizes().then(sizes => ({ url: url.pathname + url.search, bytes: sizes.responseBodySize })))
    }
    const page = await signedInPage(browser, baseUrl, token, tab => tab.on('requestfinished', watch))
    const components = page.getByRole('region', { name: 'Components, last 6 hours' })
    const rows = components.locator('tbody tr')
    await components.getByText(`1–50 of ${CONSOLE_VOLUME.components}`).waitFor(WAIT)
    t.equal(await rows.count(), 50, 'one page of components')
    t.ok(await components.getByRole('link', { name: componentName(50), exact: true }).isVisible(), 'worst first')
    await components.getByRole('button', { name: 'Next' }).click()
    await components.getByText(`51–100 of ${CONSOLE_VOLUME.components}`).waitFor(WAIT)
    t.equal(await rows.count(), 50, 'the next page')
    await components.getByLabel('Search').fill(componentName(777))
    await components.getByText('1 component', { exact: true }).waitFor(WAIT)
    t.equal(await rows.count(), 1, 'the search narrows on the server')

    await openPanel(page, 'Anomalies')
    const signals = page.getByRole('region', { name: 'Signals' })
    const signalRows = signals.locator('tbody tr')
    await signals.getByRole('button', { name: `· ${componentName(2)}` }).waitFor(WAIT)
    t.equal(await signalRows.count(), 25, 'one page of open signals')
    await signals.getByRole('button', { name: 'Older' }).click()
    await signals.getByText('page 2').waitFor(WAIT)
    await signals.getByLabel('Component').fill(componentName(777))
    await signals.getByLabel('Component').press('Tab')
    await page.waitForFunction(name => {
      const shown = [...document.querySelectorAll('tbody th button')]
      return shown.length > 0 && shown.every(button => button.textContent?.endsWith(name) === true)
    }, componentName(777))
    t.equal(await signalRows.count(), 3, "the component's three open signals, one per anomaly type")

    await openPanel(page, 'Recovery')
    const actions = page.getByRole('region', { name: 'Actions' })
    await actions.getByText('page 1').waitFor(WAIT)
    t.equal(await actions.locator('ol.timeline > li').count(), 25, 'one page of actions')
    await actions.getByRole('button', { name: 'Older' }).click()
    await actions.getByText('page 2').waitFor(WAIT)

    page.off('requestfinished', watch)
    const responses = await Promise.all(received)
    t.notOk(
      responses.some(response => response.url.startsWith('/v1/health/trends')),
      "no component's trends outside the page"
    )
    const largest = Math.max(...responses.map(response => response.bytes))
    t.ok(largest < 64 * 1024, `every response the browser received is under 64 KB (largest ${largest} bytes)`)
    await page.close()
  })
})
