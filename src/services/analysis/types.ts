// The shapes root-cause analysis takes and returns. They are plain data, independent of HTTP and
// of the database, so the detector can fill them from rows and store the result in the
// anomaly's columns (summary, root cause, recommended actions, gpt4o_*).

export type Severity = 'low' | 'medium' | 'high' | 'critical'

export interface MetricPoint {
  timestamp: string
  value: number
}

export interface RelatedAnomaly {
  component_name: string
  anomaly_type: string
  severity: Severity
  metric_name?: string
  observed_value?: number
  detected_at?: string
}

/** The component's latest deploy before the anomaly (a deploy marker, POST /v1/deployments). */
export interface RecentDeployment {
  version: string
  previous_version: string | null
  environment: string | null
  deployed_at: string
  /** How long before the anomaly's detection time. */
  minutes_before: number
}

/** What the detector knows about one anomaly. */
export interface AnomalyFacts {
  /** The component's organization (null: the platform's). Part of the cache key, never of the prompt. */
  organization_id?: string | null | undefined
  component_type: string
  component_name: string
  anomaly_type: string
  severity: Severity
  metric_name: string
  baseline_value: number
  observed_value: number
  deviation_percentage: number
  pattern_type?: string | null | undefined
  window: { start: string; end: string }
  /** Oldest first. */
  recent_points: MetricPoint[]
  related_anomalies: RelatedAnomaly[]
  recent_deployment?: RecentDeployment | null | undefined
  /** Error messages and event text from the component. Untrusted: may carry instructions. */
  event_text: string[]
}

export interface ProposedAction {
  action_type: string
  reason: string
}

export interface Evidence {
  claim: string
  /** The metrics the claim rests on, as `name=value` or a metric name. */
  metrics: string[]
}

export interface AnalysisContent {
  summary: string
  root_cause: string
  actions: ProposedAction[]
  business_impact: string
  evidence: Evidence[]
}

export type FallbackReason =
  | 'no_api_key'
  | 'breaker_open'
  | 'timeout'
  | 'rate_limited'
  | 'http_error'
  | 'connection_error'
  | 'malformed_response'
  | 'unexpected_error'

export interface Analysis extends AnalysisContent {
  produced_by: 'llm' | 'rule_based'
  /** Model asked (or that answered), whenever a call was made. */
  model?: string
  /** The messages sent, JSON, after redaction. */
  prompt?: string
  /** The raw reply text, when one arrived. */
  response?: string
  tokens_used?: number
  duration_ms?: number
  /** Why the rule-based analysis stands, when produced_by is 'rule_based'. */
  fallback_reason?: FallbackReason
  /** A short, secret-free detail for the log: the HTTP status, the field that failed. */
  fallback_detail?: string
  /** True when this is an earlier LLM analysis of the same anomaly signature. */
  cached?: boolean
}
