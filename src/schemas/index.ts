// Every shared schema, added once to the app (and to both validators) by its $id, so the
// OpenAPI document gets named components and routes reference them instead of inlining.
import type { TSchema } from 'typebox'
import { Problem } from './problem.js'
import { Anomaly, AnomalyInput, AnomalyList, AnomalyStatusUpdate } from './anomalies.js'
import { AnomalyStatistics, CorrelatedAnomaly } from './anomaly-reports.js'
import { DetectionRequest, DetectionRun } from './detection.js'
import {
  ComponentHealth,
  ComponentHealthPage,
  ComponentHealthWithTrend,
  ComponentTrend,
  PerformanceTrend,
  SystemAvailability,
  UnhealthyComponent
} from './health-reports.js'
import {
  ApprovalDecision,
  RecoveryAction,
  RecoveryActionInput,
  RecoveryActionList,
  RetryPolicy
} from './recovery-actions.js'
import { RecoveryStatistics } from './recovery-reports.js'
import { Selftest, SelftestInput, SelftestList } from './selftests.js'
import { BaselineComparison, SelftestDeletion, SelftestStatistics, SelftestTrend } from './selftest-reports.js'
import { SelftestCatalogEntry, SelftestRunInput, SelftestRunResult } from './selftest-runs.js'
import { Component, ComponentInput } from './components.js'
import { ExecutorDescription } from './executors.js'
import {
  CircuitBreaker,
  HealingAttempt,
  HealingDecision,
  HealingMode,
  HealingModeInput,
  HealingSkip,
  RollbackRequest,
  RollbackResult,
  SelfHealingRunInput,
  SelfHealingRunResult
} from './self-healing.js'
import {
  HealthEvent,
  HealthEventBatch,
  HealthEventBatchResult,
  HealthEventInput,
  HealthEventList
} from './health-events.js'
import { Escalation, EscalationList } from './escalations.js'
import { Decision, DecisionList } from './decisions.js'
import { PredictiveAlert, PredictiveAlertList } from './predictive-alerts.js'
import { AlertmanagerAlert, AlertmanagerPayload, AlertmanagerResult } from './alertmanager.js'
import { Channel, ChannelDelivery, ChannelInput, ChannelTestResult, ChannelUpdate } from './channels.js'
import { CreatedIngestKey, IngestKey, IngestKeyInput } from './ingest-keys.js'
import {
  Deployment,
  DeploymentInput,
  DeploymentList,
  Matcher,
  Recurrence,
  Silence,
  SilenceInput,
  SilenceList,
  SilenceUpdate
} from './silences.js'
import {
  Runbook,
  RunbookDocument,
  RunbookDryRun,
  RunbookDryRunInput,
  RunbookRun,
  RunbookRunDetail,
  RunbookRunList
} from './runbooks.js'
import { OperationalStatus } from './operations.js'
import {
  MonitorComponentResult,
  MonitorMetric,
  MonitorRunInput,
  MonitorRunResult,
  MonitorThresholdOverrides,
  MonitorThresholds
} from './monitor.js'

export const sharedSchemas: TSchema[] = [
  Problem,
  OperationalStatus,
  HealthEventInput,
  HealthEvent,
  HealthEventBatch,
  HealthEventBatchResult,
  HealthEventList,
  ComponentHealth,
  ComponentTrend,
  ComponentHealthWithTrend,
  ComponentHealthPage,
  UnhealthyComponent,
  PerformanceTrend,
  SystemAvailability,
  AnomalyInput,
  Anomaly,
  AnomalyStatusUpdate,
  AnomalyList,
  AnomalyStatistics,
  CorrelatedAnomaly,
  DetectionRequest,
  DetectionRun,
  RetryPolicy,
  RecoveryActionInput,
  RecoveryAction,
  ApprovalDecision,
  RecoveryActionList,
  RecoveryStatistics,
  SelftestInput,
  Selftest,
  SelftestList,
  SelftestStatistics,
  SelftestTrend,
  BaselineComparison,
  SelftestDeletion,
  SelftestRunInput,
  SelftestRunResult,
  SelftestCatalogEntry,
  ComponentInput,
  Component,
  ExecutorDescription,
  HealingMode,
  HealingModeInput,
  SelfHealingRunInput,
  HealingDecision,
  HealingSkip,
  HealingAttempt,
  SelfHealingRunResult,
  RollbackRequest,
  RollbackResult,
  CircuitBreaker,
  MonitorMetric,
  MonitorThresholdOverrides,
  MonitorRunInput,
  MonitorThresholds,
  MonitorComponentResult,
  MonitorRunResult,
  Escalation,
  EscalationList,
  Decision,
  DecisionList,
  PredictiveAlert,
  PredictiveAlertList,
  IngestKeyInput,
  IngestKey,
  CreatedIngestKey,
  AlertmanagerAlert,
  AlertmanagerPayload,
  AlertmanagerResult,
  ChannelInput,
  ChannelUpdate,
  Channel,
  ChannelTestResult,
  ChannelDelivery,
  Matcher,
  Recurrence,
  SilenceInput,
  SilenceUpdate,
  Silence,
  SilenceList,
  DeploymentInput,
  Deployment,
  DeploymentList,
  RunbookDocument,
  Runbook,
  RunbookDryRunInput,
  RunbookDryRun,
  RunbookRun,
  RunbookRunDetail,
  RunbookRunList
]
