// A component is (organization, name): two organizations' `checkout-api` are two components. An
// admin's System monitor lists each as a row naming its organization, and each row's page reads
// that organization's component only (its events, signals, actions, trends, breaker, control
// targets); a member, who reads their own organization only, sees their one row as before.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { Page } from 'playwright-core'
import { buildTestApp, createAsService } from '../helpers/app.js'
import { launchBrowser, signedInPage } from '../helpers/browser.js'

const WAIT = { timeout: 30_000 }
const NAME = 'checkout-api'
t.setTimeout(2 * 60_000)

// The page's lists that name the component in their query (the monitor asks for forecasts too).
const NAMED = new Set(['/v1/predictive-alerts', '/v1/circuit-breakers', '/v1/components'])
const namesIt = (url: URL) => url.searchParams.get('component_name') === NAME

/** The API paths and queries the page asks for from now on. */
function watchCalls(page: Page): URL[] {
  const calls: URL[] = []
  page.on('request', request => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/v1/') && url.pathname !== '/v1/stream') calls.push(url)
  })
  return calls
}

t.test("an admin's console keeps two organizations' same-named components apart", async t => {
  const ctx = await buildTestApp(t)
  const baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const post = async (url: string, payload: object) => await createAsService(ctx, url, payload)
  // A is the admin's and the member's organization; the member's own rows are theirs.
  const organizations = [
    { id: ctx.admin.organizationId, user: ctx.user.id, label: 'A', anomaly: 'latency_spike', shown: 'latency spike' },
    { id: randomUUID(), user: null, label: 'B', anomaly: 'error_rate_increase', shown: 'error rate increase' }
  ]
  const event = (organizationId: string | null, userId: string | null, message: string) => ({
    component_type: 'edge_function',
    component_name: NAME,
    organization_id: organizationId,
    user_id: userId,
    status: 'degraded',
    latency_ms: 700,
    latency_p95_ms: 1500,
    error_rate: 4,
    last_error_message: message
  })
  await post('/v1/health-events/batch', {
    events: [
      ...organizations.map(org => event(org.id, org.user, `pool ${org.label} exhausted`)),
      event(null, null, 'platform pool')
    ]
  })
  for (const org of organizations)
    await post('/v1/anomalies', {
      anomaly_type: org.anomaly,
      severity: 'high',
      source_type: 'system_health_events',
      source_component_name: NAME,
      organization_id: org.id,
      user_id: org.user,
      baseline_value: 100,
      observed_value: 700
    })
  const browser = await launchBrowser(t)

  await t.test('the System monitor lists one row per organization, each linking to its own page', async t => {
    const admin = await signedInPage(browser, baseUrl, ctx.admin.token)
    const rows = admin.getByRole('region', { name: 'Components, last 6 hours' }).getByRole('row')
    const named = rows.filter({ has: admin.getByRole('link', { name: NAME, exact: true }) })
    for (const org of organizations) await named.filter({ hasText: `org ${org.id.slice(0, 8)}` }).waitFor(WAIT)
    await named.filter({ hasText: 'platform' }).waitFor(WAIT)
    t.equal(await named.count(), 3, "A's, B's and the platform's, never one row adding them up")
    t.equal(
      await named.filter({ hasText: 'platform' }).getByRole('link').getAttribute('href'),
      `#/component/${NAME}/platform`
    )

    for (const org of organizations) {
      const other = organizations.find(o => o !== org)!
      await admin.goto(`${baseUrl}/console#/monitor`)
      const calls = watchCalls(admin)
      await named
        .filter({ hasText: `org ${org.id.slice(0, 8)}` })
        .getByRole('link', { name: NAME, exact: true })
        .click()
      t.equal(new URL(admin.url()).hash, `#/component/${NAME}/${org.id}`, 'the address names the organization')
      const events = admin.getByRole('region', { name: 'Recent events' })
      await events.getByText(`pool ${org.label} exhausted`).waitFor(WAIT)
      t.equal(await events.getByText(`pool ${other.label} exhausted`).count(), 0, `no event of ${other.label}`)
      t.equal(await events.getByText('platform pool').count(), 0, "no event of the platform's")
      const signals = admin.getByRole('region', { name: 'Signals' })
      await signals.getByText(org.shown).waitFor(WAIT)
      t.equal(await signals.getByText(other.shown).count(), 0, `no signal of ${other.label}`)
      await admin.getByRole('region', { name: 'Actions' }).getByText('No actions.').waitFor(WAIT)
      await admin
        .getByRole('region', { name: 'Circuit breaker and control targets' })
        .getByText('No control targets registered.')
        .waitFor(WAIT)
      for (const path of [
        '/v1/health/trends',
        '/v1/health-events',
        '/v1/anomalies',
        '/v1/recovery-actions',
        '/v1/predictive-alerts',
        '/v1/circuit-breakers',
        '/v1/components'
      ]) {
        // The monitor's own forecasts call may still be under way: the page's names the component.
        const made = calls.filter(url => url.pathname === path && (!NAMED.has(path) || namesIt(url)))
        t.ok(made.length > 0, `${path} was called`)
        t.ok(
          made.every(url => url.searchParams.get('organization_id') === org.id),
          `${path} named organization ${org.label}`
        )
      }
    }

    // The platform's own: `platform` on every call but the trends, which take a UUID only.
    await admin.goto(`${baseUrl}/console#/monitor`)
    const calls = watchCalls(admin)
    await named.filter({ hasText: 'platform' }).getByRole('link', { name: NAME, exact: true }).click()
    await admin.getByRole('region', { name: 'Recent events' }).getByText('platform pool').waitFor(WAIT)
    await admin
      .getByRole('region', { name: 'Circuit breaker and control targets' })
      .getByText('No control targets registered.')
      .waitFor(WAIT)
    t.equal(
      await admin.getByRole('region', { name: 'Recent events' }).getByText('pool A exhausted').count(),
      0,
      "no organization's events on the platform's page"
    )
    for (const path of [
      '/v1/circuit-breakers',
      '/v1/components',
      '/v1/predictive-alerts',
      '/v1/health-events',
      '/v1/anomalies',
      '/v1/recovery-actions'
    ])
      t.ok(
        calls.some(
          url =>
            url.pathname === path &&
            url.searchParams.get('organization_id') === 'platform' &&
            (!NAMED.has(path) || namesIt(url))
        ),
        `${path} named the platform`
      )
    await admin.close()
  })

  await t.test('a member sees their one row and its page as before', async t => {
    const member = await signedInPage(browser, baseUrl, ctx.user.token)
    const link = member
      .getByRole('region', { name: 'Components, last 6 hours' })
      .getByRole('link', { name: NAME, exact: true })
    await link.waitFor(WAIT)
    t.equal(await link.count(), 1)
    t.equal(await link.getAttribute('href'), `#/component/${NAME}`, 'a member reads one organization only')
    t.equal(await member.getByText(/^org /).count(), 0, 'no organization shown to a member')
    await link.click()
    await member.getByRole('region', { name: 'Recent events' }).getByText('pool A exhausted').waitFor(WAIT)
    await member.getByRole('region', { name: 'Signals' }).getByText('latency spike').waitFor(WAIT)
    await member.close()
  })
})
