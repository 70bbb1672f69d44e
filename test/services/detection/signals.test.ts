// Planning one component at a time: the detector judges components in the order PostgreSQL hands
// them over (organization and name), and the plan still lists them in the order they first
// reported, as a run over all of them at once did; a component with nothing to change leaves
// nothing in the plan.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { ComponentSeries } from '../../../src/db/health-series.js'
import { componentOf, createPlanner } from '../../../src/services/detection/signals.js'
import { detectorSettings } from '../../../src/services/detection/settings.js'

const MINUTE = 60_000
const AT = Math.floor(Date.now() / MINUTE) * MINUTE
const settings = detectorSettings()
const WINDOW_START = AT - settings.windowMinutes * MINUTE

/** Two hours of steady latency from `start`, through the window, with its last point at `last` ms. */
function component(name: string, start: number, last: number): ComponentSeries {
  const times: number[] = []
  for (let time = start; time <= AT; time += MINUTE) times.push(time)
  const windowPoints = times.filter(time => time >= WINDOW_START).length
  const flat = (value: number): Float64Array => new Float64Array(times.length).fill(value)
  return {
    organization_id: null,
    user_id: null,
    component_type: 'api',
    component_name: name,
    t: Float64Array.from(times),
    latency_ms: Float64Array.from(times, (_, i) => (i === times.length - 1 ? last : 200 + (i % 5) * 4)),
    error_rate: flat(0.5),
    cpu_usage_percent: flat(30),
    memory_usage_percent: flat(40),
    disk_usage_percent: flat(50),
    throughput_per_minute: flat(600),
    window_ids: Array.from({ length: windowPoints }, () => randomUUID())
  }
}

t.test('components judged in any order are planned in the order they first reported', async t => {
  const planner = createPlanner([], [], WINDOW_START, new Date(AT), settings)
  // Names in reverse of the reporting order, as the database's name order would hand them over.
  planner.judge(componentOf(component('a-newest', AT - 120 * MINUTE, 3000)))
  planner.judge(componentOf(component('b-quiet', AT - 240 * MINUTE, 210)))
  planner.judge(componentOf(component('c-oldest', AT - 180 * MINUTE, 2500)))
  // The spikes stand out, so their components wait for adaptive scores; the rules decide here.
  const deferred = planner.deferred()
  t.same(
    deferred.map(({ component }) => component.componentName),
    ['a-newest', 'c-oldest']
  )
  for (const { component, metrics } of deferred)
    planner.judge(
      component,
      Object.fromEntries(metrics.map(metric => [metric, component.series[metric].window.map(() => 0)]))
    )
  const plan = planner.plan()
  t.equal(planner.judged(), 3)
  t.same(
    plan.signals.map(signal => signal.draft.source_component_name),
    ['c-oldest', 'a-newest']
  )
  t.same(
    plan.signals.map(signal => signal.draft.observed_value),
    [2500, 3000]
  )
  t.same(plan.resolutions, [])
})
