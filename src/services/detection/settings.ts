// Every knob of the detector with its default, in one place: the route and the job run with these
// overridden by the configured ones (DETECT_* in src/config.ts), tests and backtests pass their
// own overrides. The configurable knobs take their defaults from src/config/schema.ts. Times are minutes unless the name says otherwise.
import { ENV_DEFAULTS } from '../../config/schema.js'
import { mergeRules, type RuleOverrides, type Rules } from './rules.js'

export interface DetectorSettings {
  rules: Rules
  /** The evaluation window: the recent period whose points are judged. */
  windowMinutes: number
  /** History before the window that the baselines are computed from. */
  lookbackHours: number
  /** Fewer history points than this: no baseline, so no relative or adaptive verdict (warm-up). */
  minHistoryPoints: number
  /** Lower bound on a baseline's spread as a share of the baseline itself. */
  relativeSpreadFloor: number
  /** Past days that must hold the same time of day before the seasonal baseline is considered. */
  seasonalMinDays: number
  /** Width of the same-time-of-day slot on each past day. */
  seasonalSlotMinutes: number
  /** A rise must be at least this many spreads for the relative rules to fire. */
  ruleMinZ: number
  /** Adaptive verdicts need the adaptive score at or above this ... */
  adaptiveScoreThreshold: number
  /** ... and a rise of at least this many spreads above the robust baseline. */
  adaptiveMinZ: number
  /**
   * A relative rule alone opens a signal only where the metric's adaptive score is at least this
   * (once the scorer is warm); 0: the rule alone. The absolute limits never need it.
   */
  ruleConfirmScore: number
  /** Most events fed to one metric's stored scorer state in a run; a longer backlog starts it afresh. */
  adaptiveHistoryPoints: number
  /** How long after an hour ends before it is rolled up, so events still being committed make it in. */
  rollupSettleMinutes: number
  /** Hours rolled up per maintenance pass at most, so catching up after a pause stays a bounded cost. */
  rollupHoursPerRun: number
  /** Share of the window's points that must breach, for at least sustainedMinutes, for sustained_high. */
  sustainedShare: number
  sustainedMinutes: number
  /** Kendall's tau over the window at or above which a climb counts as gradual. */
  gradualTau: number
  /** How long a signal's metric must stay normal before the detector resolves it. */
  recoveryMinutes: number
  /** Auto-resolutions of the same component and type within flapWindowMinutes that make it flapping. */
  flapResolutions: number
  flapWindowMinutes: number
  /** How long a flapping signal must stay quiet before it is resolved. */
  flapHoldMinutes: number
  /**
   * A breach within this long of an auto-resolution reopens that signal rather than opening a new
   * one; each reopening counts as a flap. 0: a new signal every time.
   */
  reopenMinutes: number
  /** Signals on other components whose active periods come this close are correlated. */
  correlationSlackMinutes: number
  /** When the whole run must be done by, LLM calls included, in ms from its start. */
  runBudgetMs: number
  /** LLM analyses per run at most (most severe first); the rest get the rule-based analysis. */
  maxLlmAnalyses: number
  /** The step a catch-up judges late history at, on a grid of event time. */
  catchUpStepMinutes: number
  /** How long the detect job spends catching up per tick at most; the rest waits for the next. 0: off. */
  catchUpBudgetMs: number
}

export type DetectorOverrides = Partial<Omit<DetectorSettings, 'rules'>> & {
  rules?: RuleOverrides
}

export const DEFAULT_SETTINGS: Readonly<Omit<DetectorSettings, 'rules'>> = Object.freeze({
  windowMinutes: ENV_DEFAULTS.DETECT_WINDOW_MINUTES,
  lookbackHours: ENV_DEFAULTS.DETECT_LOOKBACK_HOURS,
  minHistoryPoints: ENV_DEFAULTS.DETECT_WARMUP_POINTS,
  relativeSpreadFloor: 0.05,
  seasonalMinDays: 2,
  seasonalSlotMinutes: 60,
  ruleMinZ: 2,
  adaptiveScoreThreshold: 0.999,
  adaptiveMinZ: 4,
  ruleConfirmScore: ENV_DEFAULTS.DETECT_RULE_CONFIRM_SCORE,
  adaptiveHistoryPoints: ENV_DEFAULTS.DETECT_ADAPTIVE_HISTORY_POINTS,
  rollupSettleMinutes: 5,
  rollupHoursPerRun: 6,
  sustainedShare: 0.8,
  sustainedMinutes: 10,
  gradualTau: 0.6,
  recoveryMinutes: ENV_DEFAULTS.DETECT_RECOVERY_MINUTES,
  flapResolutions: ENV_DEFAULTS.DETECT_FLAP_RESOLUTIONS,
  flapWindowMinutes: ENV_DEFAULTS.DETECT_FLAP_WINDOW_MINUTES,
  flapHoldMinutes: ENV_DEFAULTS.DETECT_FLAP_HOLD_MINUTES,
  reopenMinutes: ENV_DEFAULTS.DETECT_REOPEN_MINUTES,
  correlationSlackMinutes: 5,
  runBudgetMs: ENV_DEFAULTS.DETECT_RUN_BUDGET_MS,
  maxLlmAnalyses: 5,
  catchUpStepMinutes: ENV_DEFAULTS.DETECT_CATCHUP_STEP_MINUTES,
  catchUpBudgetMs: ENV_DEFAULTS.DETECT_CATCHUP_BUDGET_MS
})

export function detectorSettings(overrides: DetectorOverrides = {}): DetectorSettings {
  const { rules, ...rest } = overrides
  return { ...DEFAULT_SETTINGS, ...rest, rules: mergeRules(rules) }
}
