// The analysis service's public face: the detector imports from here, not from the parts.
export {
  createRootCauseAnalyzer,
  DEFAULT_BUDGET_MS,
  DEFAULT_CACHE_TTL_MS,
  DEFAULT_MODEL,
  type AnalyzeOptions,
  type RootCauseAnalyzer,
  type RootCauseAnalyzerOptions
} from './analyzer.js'
export type { BreakerOptions } from './breaker.js'
export { ruleBasedAnalysis } from './rule-based.js'
export type * from './types.js'
