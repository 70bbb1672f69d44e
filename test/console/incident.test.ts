// The console as an SRE uses it during an incident, in a real browser against the real service:
// a token that expired (before or during the session) or that the service refuses sends the
// person back to the sign-in form saying why, instead of every panel repeating a 401; choosing
// another signal never carries the previous one's notes or silence over; hostile names (HTML,
// 200 characters without a break) neither run nor push a table's columns out of sight; at a
// phone's 375 px every panel fits its width, reaches every link, names itself in the title and
// passes axe-core.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildTestApp, createAsService } from '../helpers/app.js'
import { axeProblems, launchBrowser, signedInPage } from '../helpers/browser.js'

const WAIT = { timeout: 30_000 }
t.setTimeout(3 * 60_000)

const PANELS = {
  'System monitor': 'monitor',
  Anomalies: 'anomalies',
  Recovery: 'recovery',
  'Self-tests': 'selftests',
  Silences: 'silences',
  Runbooks: 'runbooks'
}
const XSS = '<img src=x onerror="window.__xss=true">'
const LONG = `ledger-${'x'.repeat(190)}`

t.test('the console in an incident', async t => {
  const ctx = await buildTestApp(t)
  const baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const api = async (url: string, payload: object) => await createAsService(ctx, url, payload)
  const event = (name: string, status: string) => ({
    component_type: 'edge_function',
    component_name: name,
    status,
    latency_ms: 900,
    latency_p95_ms: 1800,
    error_rate: 12,
    user_id: ctx.user.id
  })
  const measured = new Date(Date.now() - 40 * 60_000).toISOString()
  await api('/v1/health-events/batch', {
    events: [
      event('checkout', 'critical'),
      event(LONG, 'degraded'),
      event(XSS, 'degraded'),
      // Measured 40 minutes before it arrives: the console shows both times.
      { ...event('checkout', 'degraded'), latency_ms: 4321, measurement_window_end: measured }
    ]
  })
  const signal = (name: string, anomalyType: string, rootCause: string) => ({
    anomaly_type: anomalyType,
    severity: 'critical',
    source_type: 'system_health_events',
    source_component_name: name,
    baseline_value: 180,
    observed_value: 950,
    root_cause_analysis: rootCause,
    user_id: ctx.user.id
  })
  await api('/v1/anomalies', signal('checkout', 'latency_spike', `${XSS} pool exhausted`))
  await api('/v1/anomalies', signal(LONG, 'error_rate_increase', 'ledger writes failing'))
  const endsAt = new Date(Date.now() + 3 * 86_400_000)
  const silence = await ctx.app.inject({
    method: 'POST',
    url: '/v1/silences',
    headers: ctx.admin.headers,
    payload: {
      matchers: [{ name: 'component_name', value: 'checkout', is_regex: false, is_equal: true }],
      ends_at: endsAt.toISOString(),
      comment: 'vendor migration'
    }
  })
  t.equal(silence.statusCode, 201)
  // The same component name in another organization, both waiting for an admin's approval.
  const otherOrganization = randomUUID()
  for (const organizationId of [ctx.admin.organizationId, otherOrganization])
    await api('/v1/recovery-actions', {
      action_type: 'restart_function',
      target_component_name: 'checkout',
      organization_id: organizationId,
      requires_approval: true,
      trigger_reason: 'p95 over 2 s'
    })
  const browser = await launchBrowser(t)
  const memberClaims = {
    sub: ctx.user.id,
    role: 'authenticated' as const,
    app_metadata: { organization_id: ctx.user.organizationId }
  }

  await t.test('a sign-in link with an expired token opens the sign-in form saying so', async t => {
    const page = await signedInPage(browser, baseUrl, await ctx.token(memberClaims, '-1m'))
    await page
      .getByRole('alert')
      .getByText(/^That token expired at /)
      .waitFor(WAIT)
    t.equal(await page.title(), 'Sign in · Core314 console')
    t.equal(await page.getByRole('link', { name: 'Anomalies' }).count(), 0, 'no panel behind an expired token')
    await page.getByLabel('Bearer token').fill(await ctx.token(memberClaims, '-1m'))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page
      .getByRole('alert')
      .getByText(/^That token expired at /)
      .waitFor(WAIT)
    await page.getByLabel('Bearer token').fill(ctx.user.token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'System monitor' }).waitFor(WAIT)
    await page.close()
  })

  await t.test('a token that expires mid-session returns to the sign-in form, and the view comes back', async t => {
    const page = await signedInPage(browser, baseUrl, await ctx.token(memberClaims, '8s'))
    await page.getByRole('link', { name: 'Anomalies' }).click()
    await page.getByRole('button', { name: /latency spike · checkout/ }).waitFor(WAIT)
    await page
      .getByRole('alert')
      .getByText(/^Your token expired at /)
      .waitFor(WAIT)
    t.equal(await page.getByRole('button', { name: /latency spike · checkout/ }).count(), 0, 'the panels are gone')
    t.equal(await page.evaluate(() => Object.values(sessionStorage).length), 0, 'the token is forgotten')
    await page.getByLabel('Bearer token').fill(ctx.user.token)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: /latency spike · checkout/ }).waitFor(WAIT)
    t.match(page.url(), /#\/anomalies$/, 'the same panel')
    await page.close()
  })

  await t.test('a token the service refuses returns to the sign-in form with the reason', async t => {
    // Well formed and unexpired, but signed with another secret: only the service can tell.
    const [header, payload] = ctx.user.token.split('.')
    const page = await signedInPage(browser, baseUrl, `${header}.${payload}.c2lnbmVkLWVsc2V3aGVyZQ`)
    await page
      .getByRole('alert')
      .getByText(/^The service refused your token/)
      .waitFor(WAIT)
    t.equal(await page.title(), 'Sign in · Core314 console')
    await page.close()
  })

  await t.test("an admin tells two organizations' same-named components apart", async t => {
    const admin = await signedInPage(browser, baseUrl, ctx.admin.token)
    await admin.getByRole('link', { name: 'Recovery' }).click()
    const waiting = admin.getByRole('region', { name: 'Waiting for approval' }).getByRole('listitem')
    for (const organizationId of [ctx.admin.organizationId, otherOrganization])
      await waiting
        .filter({ hasText: 'restart function on checkout' })
        .filter({ hasText: `org ${organizationId.slice(0, 8)}` })
        .waitFor(WAIT)
    t.pass('each waiting action names its organization')
    await admin.close()
  })

  await t.test('a control-target lookup that fails says so rather than "none registered"', async t => {
    const admin = await signedInPage(browser, baseUrl, ctx.admin.token, page => {
      // The registry's answer during a database failover; the breaker's is a real 404 (none).
      void page.route(/\/v1\/components\?component_name=checkout&/, route =>
        route.fulfill({
          status: 503,
          headers: { 'content-type': 'application/problem+json', 'retry-after': '5' },
          body: JSON.stringify({ status: 503, title: 'Service Unavailable', detail: 'database unavailable' })
        })
      )
    })
    await admin.goto(`${baseUrl}/console#/component/checkout`)
    const card = admin.getByRole('region', { name: 'Circuit breaker and control targets' })
    await card
      .getByRole('alert')
      .getByText(/unavailable for a moment.*Try again in 5 seconds/)
      .waitFor(WAIT)
    await card.getByText('No breaker recorded.').waitFor(WAIT)
    t.equal(await card.getByText('No control targets registered.').count(), 0, 'no claim that none are registered')
    await admin.close()
  })

  const member = await signedInPage(browser, baseUrl, ctx.user.token)

  await t.test('another signal never shows the notes or the silence of the one before', async t => {
    await member.getByRole('link', { name: 'Anomalies' }).click()
    await member.getByRole('button', { name: /latency spike · checkout/ }).click()
    await member.getByText(`${XSS} pool exhausted`).waitFor(WAIT)
    await member.getByLabel('Notes').fill('meant for checkout')
    await member.getByRole('button', { name: /error rate increase · ledger-/ }).click()
    await member.getByText('ledger writes failing').waitFor(WAIT)
    t.equal(await member.getByLabel('Notes').inputValue(), '', "the checkout signal's notes stayed with it")
    t.equal(await member.evaluate(() => '__xss' in window), false, 'no markup ran')
  })

  await t.test('a 200-character name wraps: the severity and status stay in view', async t => {
    const row = member.getByRole('row', { name: /error rate increase · ledger-/ })
    const card = await member.getByRole('region', { name: 'Signals' }).boundingBox()
    for (const badge of ['critical', 'open']) {
      const box = await row.getByText(badge, { exact: true }).boundingBox()
      t.ok(
        box !== null && card !== null && box.x + box.width <= card.x + card.width,
        `the ${badge} badge is inside the card`
      )
    }
  })

  await t.test('at 375 px every panel fits, names itself and passes axe-core', async t => {
    await member.setViewportSize({ width: 375, height: 800 })
    for (const [title, route] of Object.entries(PANELS)) {
      await member.goto(`${baseUrl}/console#/${route}`)
      await member.getByRole('heading', { level: 1, name: title }).waitFor(WAIT)
      await member.locator('.card').first().waitFor(WAIT)
      // Set once the panel has rendered.
      await member.waitForFunction(expected => document.title === expected, `${title} · Core314 console`, WAIT)
      t.ok(
        (await member.evaluate(() => document.documentElement.scrollWidth)) <= 375,
        `${title}: nothing wider than the screen`
      )
      const nav = member.getByRole('navigation', { name: 'Panels' })
      for (const link of Object.keys(PANELS)) {
        const box = await nav.getByRole('link', { name: link }).boundingBox()
        t.ok(box !== null && box.x >= 0 && box.x + box.width <= 375, `${title}: the ${link} link is on screen`)
      }
      t.same(await axeProblems(member), [], title)
    }
    t.equal(await member.evaluate(() => '__xss' in window), false, 'no markup ran')
  })

  await t.test('times move on, name the date and time in the browser zone, and a late event its arrival', async t => {
    const context = await browser.browser()?.newContext({ timezoneId: 'Asia/Kolkata', locale: 'en-US' })
    if (context === undefined) throw new Error('no browser')
    t.teardown(async () => await context.close())
    const page = await context.newPage()
    await page.clock.install()
    await page.goto(`${baseUrl}/console#/component/checkout&token=${ctx.admin.token}`)
    const row = page.getByRole('row', { name: /4321 ms/ })
    // Measured 40 minutes before the seed; a slow machine may take a minute more to get here.
    const measuredAgo = row.getByText(/^\d+ min ago$/).first()
    await measuredAgo.waitFor(WAIT)
    const minutes = parseInt(await measuredAgo.innerText(), 10)
    t.ok(minutes >= 40 && minutes < 45, `measured ${minutes} min ago`)
    await row.getByText(/^arrived \d+ (s|min) ago$/).waitFor(WAIT)
    await page.clock.fastForward('20:00')
    await row.getByText(new RegExp(`^(${minutes + 20}|${minutes + 21}) min ago$`)).waitFor(WAIT)
    await page.getByRole('link', { name: 'Silences' }).click()
    const local = new Intl.DateTimeFormat('en-US', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Asia/Kolkata'
    }).format(endsAt)
    await page
      .getByRole('region', { name: 'Active silences' })
      .getByRole('row', { name: /vendor migration/ })
      .getByText(local)
      .waitFor(WAIT)
    t.pass(`a silence ending in three days ends ${local}, India time`)
  })
})
