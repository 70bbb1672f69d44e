// Database connectivity and latency: round trips through the app's own pool, one transaction
// the way every request runs (as a caller, claims set locally), and the clock the database
// keeps against ours, since lease expiry and windows compare the two.
import { SERVICE_CALLER } from '../../../db/caller.js'
import { reason } from '../assertions.js'
import type { SelftestDefinition } from '../types.js'

const PROBES = 5
const WARN_MS = 100
const FAIL_MS = 1000
const SKEW_WARN_MS = 5000

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export const databaseConnectivity: SelftestDefinition = {
  name: 'database_connectivity',
  category: 'database',
  type: 'connectivity',
  description: `${PROBES} round trips through the pool (median latency: warning over ${WARN_MS} ms, failure over ${FAIL_MS} ms), a transaction as the service role with its claims set locally, and the database clock against the service's.`,
  version: '1.0.0',
  defaultSchedule: null,
  timeoutSeconds: 15,
  failureSeverity: 'critical',
  target: { componentType: 'database', componentName: 'postgresql' },
  parameters: () => ({
    probes: PROBES,
    latency_warn_ms: WARN_MS,
    latency_fail_ms: FAIL_MS,
    clock_skew_warn_ms: SKEW_WARN_MS
  }),
  run: async ({ db, assert, signal }) => {
    const latencies: number[] = []
    try {
      for (let probe = 0; probe < PROBES; probe++) {
        signal.throwIfAborted()
        latencies.push((await assert.probe(async () => await db.sql`select 1 as one`)).ms)
      }
    } catch (error) {
      assert.fail('database_reachable', `select 1 failed: ${reason(error)}`, {
        recommendation: 'Check that PostgreSQL is up, reachable from the service and that DATABASE_URL points at it'
      })
      return
    }
    assert.pass('database_reachable', `${PROBES} round trips answered`)

    const typical = Math.round(median(latencies) * 100) / 100
    const details = { median_ms: typical, max_ms: Math.round(Math.max(...latencies) * 100) / 100 }
    if (typical > FAIL_MS)
      assert.fail('database_latency', `median round trip ${typical} ms is over ${FAIL_MS} ms`, {
        details,
        recommendation: 'Look for saturation on the database host or the network path to it'
      })
    else if (typical > WARN_MS)
      assert.warn('database_latency', `median round trip ${typical} ms is over ${WARN_MS} ms`, {
        details,
        recommendation: 'Database latency is high: check load and pool waits'
      })
    else assert.pass('database_latency', `median round trip ${typical} ms`, { details })

    try {
      const [row] = await db.asCaller(
        SERVICE_CALLER,
        async tx =>
          await tx<{ role: string; claims: string | null }[]>`
        select current_user as role, current_setting('request.jwt.claims', true) as claims`
      )
      assert.check(
        'caller_transaction',
        row?.role === 'service_role' && row.claims !== null && row.claims !== '',
        {
          pass: 'a transaction runs as service_role with its claims set',
          fail: `the transaction ran as ${row?.role ?? 'nobody'} without its claims: row-level security would judge the wrong caller`
        },
        { recommendation: 'Check the grants that let the login role switch to service_role and authenticated' }
      )
    } catch (error) {
      assert.fail('caller_transaction', `a transaction as the service role failed: ${reason(error)}`, {
        recommendation: 'Check the grants that let the login role switch to service_role and authenticated'
      })
    }

    const before = Date.now()
    const [clock] = await db.sql<{ now: Date }[]>`select now() as now`
    const skew = Math.abs((clock?.now.getTime() ?? before) - (before + Date.now()) / 2)
    if (skew > SKEW_WARN_MS)
      assert.warn('clock_skew', `the database clock is ${Math.round(skew)} ms off the service's`, {
        recommendation: 'Synchronise the clocks (NTP) of the service and database hosts'
      })
    else assert.pass('clock_skew', `clocks within ${Math.round(skew)} ms`)
  }
}
