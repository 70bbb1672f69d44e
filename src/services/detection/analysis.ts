// Root-cause analysis of the signals a run opened, inside the run's time budget: the most severe
// go to the analyzer (the LLM when it is configured and healthy, which itself falls back to the
// rule-based analysis), the rest straight to the rule-based analysis, and every result is mapped
// onto the signal's columns, with detection_method saying which analysis produced it.
import { performance } from 'node:perf_hooks'
import type { AnalysisColumns } from '../../db/detection-signals.js'
import type { AnomalyRow } from '../../schemas/anomalies.js'
import {
  DEFAULT_BUDGET_MS,
  ruleBasedAnalysis,
  type Analysis,
  type AnomalyFacts,
  type RecentDeployment,
  type RelatedAnomaly,
  type RootCauseAnalyzer
} from '../analysis/index.js'
import type { Finding } from './evaluate.js'
import { severityRank, type Severity } from './severity.js'

export interface AnalysisTarget {
  row: AnomalyRow
  finding: Finding
  componentType: string
  /** Error messages from the component's recent events: untrusted, the analyzer fences them. */
  eventText: string[]
  related: RelatedAnomaly[]
  deployment?: RecentDeployment | null
}

// Below this a call cannot finish: the signal gets the rule-based analysis without trying.
const MIN_CALL_MS = 100
const RECENT_POINTS = 20

export function factsOf(target: AnalysisTarget): AnomalyFacts {
  const { row, finding } = target
  // Without a baseline yet (warm-up) the crossed limit is the only reference there is.
  const reference = finding.baseline?.value ?? finding.hit?.threshold ?? finding.peak.v
  const window = finding.window
  return {
    organization_id: row.organization_id,
    component_type: target.componentType,
    component_name: row.source_component_name ?? '',
    anomaly_type: row.anomaly_type,
    severity: row.severity,
    metric_name: finding.metric,
    baseline_value: reference,
    observed_value: finding.peak.v,
    deviation_percentage: reference === 0 ? 0 : Math.round(((finding.peak.v - reference) / reference) * 10_000) / 100,
    pattern_type: finding.pattern.type,
    window: {
      start: new Date((window[0] ?? finding.peak).t).toISOString(),
      end: new Date((window.at(-1) ?? finding.peak).t).toISOString()
    },
    recent_points: window
      .slice(-RECENT_POINTS)
      .map(point => ({ timestamp: new Date(point.t).toISOString(), value: point.v })),
    related_anomalies: target.related,
    recent_deployment: target.deployment ?? null,
    event_text: target.eventText
  }
}

function columnsOf(id: string, analysis: Analysis): AnalysisColumns {
  const called = analysis.prompt !== undefined
  const cached = analysis.cached === true
  return {
    id,
    anomaly_summary: analysis.summary,
    root_cause_analysis: analysis.root_cause,
    recommended_actions: analysis.actions,
    business_impact: analysis.business_impact,
    detection_method: `statistical+${analysis.produced_by === 'llm' ? 'llm' : 'rule_based'}_analysis`,
    gpt4o_prompt: analysis.prompt ?? null,
    gpt4o_response: analysis.response ?? null,
    gpt4o_model: called ? (analysis.model ?? null) : null,
    // A cached analysis cost nothing this time; its tokens and time were spent on the first signal.
    gpt4o_tokens_used: cached ? null : (analysis.tokens_used ?? null),
    gpt4o_analysis_duration_ms: cached ? null : (analysis.duration_ms ?? null),
    metadata: {
      analysis: {
        produced_by: analysis.produced_by,
        fallback_reason: analysis.fallback_reason ?? null,
        fallback_detail: analysis.fallback_detail ?? null,
        cached,
        evidence: analysis.evidence
      }
    }
  }
}

function ruleBased(facts: AnomalyFacts, allowedActions: readonly string[], reason: string): Analysis {
  return { ...ruleBasedAnalysis(facts, allowedActions), produced_by: 'rule_based', fallback_detail: reason }
}

/** Analyses every target and returns the columns to store; it resolves by `deadline` (performance.now()). */
export async function analyseSignals(
  analyzer: RootCauseAnalyzer,
  targets: AnalysisTarget[],
  allowedActions: readonly string[],
  deadline: number,
  maxLlm: number
): Promise<AnalysisColumns[]> {
  const ordered = [...targets].sort(
    (a, b) => severityRank(b.row.severity as Severity) - severityRank(a.row.severity as Severity)
  )
  return await Promise.all(
    ordered.map(async (target, i) => {
      const facts = factsOf(target)
      const budgetMs = Math.min(DEFAULT_BUDGET_MS, Math.floor(deadline - performance.now()))
      if (i >= maxLlm)
        return columnsOf(
          target.row.id,
          ruleBased(facts, allowedActions, `beyond the ${maxLlm} LLM analyses a run makes`)
        )
      if (budgetMs < MIN_CALL_MS)
        return columnsOf(target.row.id, ruleBased(facts, allowedActions, 'no time left in the run budget'))
      return columnsOf(target.row.id, await analyzer.analyze(facts, allowedActions, { budgetMs }))
    })
  )
}
