// Reads /metrics with a parser of the Prometheus text format (parse-prometheus-text-format,
// prom2json-compatible output), so tests check what a scraper would store, not substrings.
import parsePrometheusTextFormat from 'parse-prometheus-text-format'

export interface Sample {
  labels?: Record<string, string>
  value?: string
  buckets?: Record<string, string>
  count?: string
  sum?: string
}

export interface Family {
  name: string
  help: string
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
  metrics: Sample[]
}

export function parseExposition(text: string): Map<string, Family> {
  const families = parsePrometheusTextFormat(text) as Family[]
  return new Map(families.map(family => [family.name, family]))
}

/** The value of the family's sample whose labels include `labels`; undefined when none has them. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {}
): number | undefined {
  const sample = families
    .get(name)
    ?.metrics.find(metric => Object.entries(labels).every(([label, value]) => metric.labels?.[label] === value))
  if (sample === undefined) return undefined
  return Number(sample.value ?? sample.count)
}
