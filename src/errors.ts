// The catalogue of errors the service raises on purpose. Each names its condition in `code`
// (sent as problem+json's `code`, listed in docs/api.md) and has a status; the errors plugin
// turns them (and everything else) into problem+json. Clients branch on the code, not on the
// detail text nor only on the status, which several conditions share.
import createError, { type FastifyErrorConstructor } from '@fastify/error'

const CATALOGUE = {
  BadRequest: ['BAD_REQUEST', 400],
  MalformedUrl: ['MALFORMED_URL', 400],
  DataRuleBroken: ['DATA_RULE_BROKEN', 400],
  FieldRequired: ['FIELD_REQUIRED', 400],
  ReferenceMissing: ['REFERENCE_MISSING', 400],
  InvalidOtlpBody: ['INVALID_OTLP_BODY', 400],
  Unauthorized: ['UNAUTHENTICATED', 401],
  RoleNotAllowed: ['ROLE_NOT_ALLOWED', 403],
  IngestKeyNotAllowed: ['INGEST_KEY_NOT_ALLOWED', 403],
  OtherOrganization: ['OTHER_ORGANIZATION', 403],
  RowNotPermitted: ['ROW_NOT_PERMITTED', 403],
  FourEyesRequired: ['FOUR_EYES_REQUIRED', 403],
  NotFound: ['NOT_FOUND', 404],
  RouteNotFound: ['ROUTE_NOT_FOUND', 404],
  MethodNotAllowed: ['METHOD_NOT_ALLOWED', 405],
  NotAcceptable: ['NOT_ACCEPTABLE', 406],
  AnomalyNotFound: ['ANOMALY_NOT_FOUND', 404],
  ChannelNotFound: ['CHANNEL_NOT_FOUND', 404],
  CircuitBreakerNotFound: ['CIRCUIT_BREAKER_NOT_FOUND', 404],
  ComponentNotFound: ['COMPONENT_NOT_FOUND', 404],
  DecisionNotFound: ['DECISION_NOT_FOUND', 404],
  EscalationNotFound: ['ESCALATION_NOT_FOUND', 404],
  HealthEventNotFound: ['HEALTH_EVENT_NOT_FOUND', 404],
  IngestKeyNotFound: ['INGEST_KEY_NOT_FOUND', 404],
  PredictiveAlertNotFound: ['PREDICTIVE_ALERT_NOT_FOUND', 404],
  RecoveryActionNotFound: ['RECOVERY_ACTION_NOT_FOUND', 404],
  SelftestResultNotFound: ['SELFTEST_RESULT_NOT_FOUND', 404],
  SilenceNotFound: ['SILENCE_NOT_FOUND', 404],
  ConsoleAssetNotFound: ['CONSOLE_ASSET_NOT_FOUND', 404],
  Conflict: ['CONFLICT', 409],
  AlreadyExists: ['ALREADY_EXISTS', 409],
  ActionStateConflict: ['ACTION_STATE_CONFLICT', 409],
  ApprovalExpired: ['APPROVAL_EXPIRED', 409],
  RollbackNotPossible: ['ROLLBACK_NOT_POSSIBLE', 409],
  EscalationStateConflict: ['ESCALATION_STATE_CONFLICT', 409],
  WebhookSecretRequired: ['WEBHOOK_SECRET_REQUIRED', 409],
  SilenceEnded: ['SILENCE_ENDED', 409],
  ChannelLimitReached: ['CHANNEL_LIMIT_REACHED', 409],
  IngestKeyLimitReached: ['INGEST_KEY_LIMIT_REACHED', 409],
  SilenceLimitReached: ['SILENCE_LIMIT_REACHED', 409],
  RunbookLimitReached: ['RUNBOOK_LIMIT_REACHED', 409],
  ComponentLimitReached: ['COMPONENT_LIMIT_REACHED', 409],
  PathSegmentTooLong: ['PATH_SEGMENT_TOO_LONG', 414],
  UnsupportedEncoding: ['UNSUPPORTED_ENCODING', 415],
  IdempotencyKeyReused: ['IDEMPOTENCY_KEY_REUSED', 422],
  RateLimited: ['RATE_LIMITED', 429],
  AuthenticationFailuresLimited: ['AUTHENTICATION_FAILURES_LIMITED', 429],
  DatabaseTimeout: ['DATABASE_TIMEOUT', 503],
  DatabaseUnavailable: ['DATABASE_UNAVAILABLE', 503],
  OtlpBusy: ['OTLP_BUSY', 503],
  ConsoleNotBuilt: ['CONSOLE_NOT_BUILT', 503],
  ServiceDraining: ['SERVICE_DRAINING', 503],
  MetricsUnavailable: ['METRICS_UNAVAILABLE', 503]
} as const

type Kind = keyof typeof CATALOGUE

export const errors = Object.fromEntries(
  Object.entries(CATALOGUE).map(([kind, [code, status]]) => [kind, createError<[string]>(code, '%s', status)])
) as Record<Kind, FastifyErrorConstructor<{ code: string }, [string]>>

/** The catalogue's codes: an error carrying one was raised on purpose, a 5xx among them too. */
export const CATALOGUE_CODES: ReadonlySet<string> = new Set(Object.values(CATALOGUE).map(([code]) => code))

/** The code of a problem no catalogue error raised (validation, the framework's own refusals, faults). */
export function fallbackCode(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST'
    case 404:
      return 'NOT_FOUND'
    case 413:
      return 'BODY_TOO_LARGE'
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE'
    case 429:
      return 'RATE_LIMITED'
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'REQUEST_REFUSED'
  }
}

/** A problem type URI per status; `about:blank` where the status says it all (RFC 9457 §4.2.1). */
export function problemType(status: number, validation = false): string {
  if (validation) return 'urn:core314:problem:validation'
  switch (status) {
    case 401:
      return 'urn:core314:problem:unauthorized'
    case 403:
      return 'urn:core314:problem:forbidden'
    case 404:
      return 'urn:core314:problem:not-found'
    case 409:
      return 'urn:core314:problem:conflict'
    case 422:
      return 'urn:core314:problem:unprocessable'
    case 429:
      return 'urn:core314:problem:rate-limited'
    default:
      return 'about:blank'
  }
}

/** Input that passed the schema but breaks a rule the service checks itself, naming each field. */
export class InvalidFields extends Error {
  readonly statusCode = 400
  constructor(
    readonly fields: Array<{ path: string; message: string }>,
    /** The condition; INVALID_FIELDS unless one field's absence or form has a name of its own. */
    readonly code = 'INVALID_FIELDS'
  ) {
    super(fields.map(field => `${field.path} ${field.message}`).join('; '))
    this.name = 'InvalidFields'
  }
}
