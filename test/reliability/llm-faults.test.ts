// The LLM failing while the service is under load: a local OpenAI-protocol server (reached by the
// real openai client over HTTP) answers 429 with Retry-After, 500, or never answers, while events
// are ingested over HTTP and detection runs again and again, each run opening new signals. Every
// signal keeps the rule-based analysis (detection_method says so), the breaker stops the calls
// after the failures that open it (one 429 that names a wait; three other failures), and no caller
// sees a 5xx. Run durations are printed as comments; bench:llm-faults reports them as figures.
import t, { type Test } from 'tap'
import { buildTestApp, testConfig } from '../helpers/app.js'
import { startFakeOpenAI, type FakeReply } from '../helpers/fake-openai.js'

const RUNS = 5
const LOAD_LOOPS = 3

interface Signal {
  source_component_name: string
  detection_method: string
  anomaly_summary: string | null
  root_cause_analysis: string | null
  gpt4o_response: string | null
  metadata: { analysis?: { produced_by?: string; fallback_reason?: string } }
}

interface Faults {
  fault: FakeReply
  reason: string
  failuresToOpen: number
}

async function underLoad(t: Test, name: string, { fault, reason, failuresToOpen }: Faults): Promise<void> {
  const fake = await startFakeOpenAI(t, { defaultReply: fault })
  // The budget's own effect is tested elsewhere; here a slow first run on a loaded machine must
  // not spend it before the LLM is asked. Each call is still cut at its own 2 s.
  const config = testConfig()
  const ctx = await buildTestApp(t, {
    openaiApiKey: 'sk-test-key-for-the-fake-server',
    openaiBaseUrl: fake.baseUrl,
    rateLimitMax: 1_000_000,
    detection: { ...config.detection, runBudgetMs: 30_000 }
  })
  const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const post = async (path: string, body: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${address}${path}`, {
      method: 'POST',
      headers: { ...ctx.service.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    return { status: res.status, body: await res.json() }
  }

  const statuses: number[] = []
  let loading = true
  const load = Promise.all(
    Array.from({ length: LOAD_LOOPS }, async (_, loop) => {
      for (let i = 0; loading; i += 1) {
        const res = await post('/v1/health-events', {
          component_type: 'edge_function',
          component_name: `load-${loop}`,
          status: 'healthy',
          latency_ms: 100 + (i % 7)
        })
        statuses.push(res.status)
      }
    })
  )

  // The first run opens as many signals as failures open the breaker; each later run opens one.
  const requestsAfterRun: number[] = []
  const signals: Signal[] = []
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const components = Array.from({ length: run === 0 ? failuresToOpen : 1 }, (_, i) => `${name}-spike-${run}-${i}`)
      for (const component of components) {
        for (const latency of [4800, 5200]) {
          statuses.push(
            (
              await post('/v1/health-events', {
                component_type: 'edge_function',
                component_name: component,
                status: 'unhealthy',
                latency_ms: latency
              })
            ).status
          )
        }
      }
      const res = await post('/v1/anomalies/detect', {})
      statuses.push(res.status)
      const detection = res.body as { duration_ms: number; signals: Signal[] }
      for (const component of components) {
        const opened = detection.signals.find(signal => signal.source_component_name === component)
        t.ok(opened, `run ${run} opened a signal for ${component}`)
        if (opened !== undefined) signals.push(opened)
      }
      requestsAfterRun.push(fake.requests.length)
      t.comment(`${name} run ${run}: duration_ms ${detection.duration_ms}, LLM requests so far ${fake.requests.length}`)
    }
  } finally {
    loading = false
    await load
  }

  t.ok(statuses.length > RUNS * 3, `${statuses.length} requests made`)
  t.same([...new Set(statuses)].sort(), [200, 201], 'callers saw 201 and 200 only, never a 5xx')
  for (const signal of signals) {
    t.match(
      signal,
      {
        detection_method: 'statistical+rule_based_analysis',
        anomaly_summary: /latency spike/i,
        root_cause_analysis: String,
        gpt4o_response: null,
        metadata: { analysis: { produced_by: 'rule_based' } }
      },
      `${signal.source_component_name}: the rule-based analysis stands`
    )
  }
  const reasons = signals.map(signal => signal.metadata.analysis?.fallback_reason)
  t.same(
    reasons,
    [...Array(failuresToOpen).fill(reason), ...Array(RUNS - 1).fill('breaker_open')],
    'the failures themselves, then the open breaker'
  )
  t.same(
    requestsAfterRun,
    Array(RUNS).fill(failuresToOpen),
    `the LLM server got ${failuresToOpen} request(s) in the first run, then none`
  )
}

t.test('429 with Retry-After: the breaker opens at the first one', async t => {
  await underLoad(t, 'rate-limited', {
    fault: { kind: 'error', status: 429, headers: { 'retry-after': '30' } },
    reason: 'rate_limited',
    failuresToOpen: 1
  })
})

t.test('500: the breaker opens after three failures', async t => {
  await underLoad(t, 'server-error', { fault: { kind: 'error', status: 500 }, reason: 'http_error', failuresToOpen: 3 })
})

t.test('no answer at all: each call is cut at the budget, the breaker opens after three', async t => {
  await underLoad(t, 'hanging', { fault: { kind: 'hang' }, reason: 'timeout', failuresToOpen: 3 })
})
