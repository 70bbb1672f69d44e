// The shipped alert rules (deploy/prometheus/alerts.yml) and Grafana dashboard
// (deploy/grafana/core314.json) only name metrics the service exposes: every metric in every
// expression is looked up in a real /metrics. promtool, where installed, checks the rules.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { buildTestApp } from '../helpers/app.js'
import { parseExposition, type Family } from '../helpers/prometheus.js'

const ALERTS = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url))
const DASHBOARD = fileURLToPath(new URL('../../deploy/grafana/core314.json', import.meta.url))
const KEYWORDS = new Set([
  'by',
  'without',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan'
])
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or strings. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '')
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter(match => match[2] === undefined && !KEYWORDS.has((match[1] as string).toLowerCase()))
    .map(match => match[1] as string)
}

function exposed(families: Map<string, Family>, name: string): boolean {
  if (families.has(name)) return true
  const base = name.replace(HISTOGRAM_SERIES, '')
  return base !== name && ['HISTOGRAM', 'SUMMARY'].includes(families.get(base)?.type ?? '')
}

interface RuleFile {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>
}
interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>
}

t.test('the expression reader finds metrics, not functions, labels or keywords', async t => {
  t.same(metricNames('sum by (job_name) (increase(job_runs_total{outcome="failed", x=~"a|b"}[15m])) > 0'), [
    'job_runs_total'
  ])
  t.same(metricNames('max(db_pool_in_use / db_pool_size) > 0.9'), ['db_pool_in_use', 'db_pool_size'])
  t.same(metricNames('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'), [
    'http_request_duration_seconds_bucket'
  ])
})

t.test('every metric the alert rules and the dashboard name is exposed at /metrics', async t => {
  const ctx = await buildTestApp(t)
  const families = parseExposition((await ctx.app.inject('/metrics')).body)
  const rules = parse(await readFile(ALERTS, 'utf8')) as RuleFile
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard
  const expressions = [
    ...rules.groups.flatMap(group => group.rules.map(rule => ({ where: `alert ${rule.alert}`, expr: rule.expr }))),
    ...dashboard.panels.flatMap(panel =>
      panel.targets.map(target => ({ where: `panel "${panel.title}"`, expr: target.expr }))
    )
  ]
  t.ok(rules.groups.flatMap(group => group.rules).length >= 10, 'alert rules are there')
  t.ok(dashboard.panels.length >= 10, 'dashboard panels are there')
  const missing = expressions.flatMap(({ where, expr }) =>
    metricNames(expr)
      .filter(name => !exposed(families, name))
      .map(name => `${where}: ${name}`)
  )
  t.same(missing, [], 'no expression names a metric the service does not expose')
  const named = new Set(
    expressions.flatMap(({ expr }) => metricNames(expr).map(name => name.replace(HISTOGRAM_SERIES, '')))
  )
  const unwatched = [...families.keys()].filter(name => name.startsWith('core314_') && !named.has(name))
  t.same(unwatched, [], 'every domain metric is on the dashboard or in an alert')
})

t.test('promtool accepts the alert rules', async t => {
  const checked = spawnSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8' })
  if (checked.error !== undefined) {
    t.comment('promtool is not installed here; .ci/run installs it (Debian package prometheus)')
    return
  }
  t.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`)
})
