// clear_cache: drops a component's cached entries. On a registered Redis it deletes the keys
// under the component's key_prefix itself; otherwise the component's webhook is asked to.
import Type from 'typebox'
import { redact } from '../../redaction.js'
import { defineExecutor } from './define-executor.js'
import { isUrlWith, type Mechanism } from './mechanism.js'
import { unlinkByPrefix } from './redis-prefix.js'
import { isTargetRefused, TARGET_REFUSED } from '../../targets/resolve.js'
import { keyPrefixProblem } from '../../targets/target-rules.js'
import { abortCode } from '../../../lib/abort.js'
import { failure } from './results.js'
import { webhookMechanism } from './webhook.js'

const DEFAULT_BATCH = 500

function batchSize(parameters: Record<string, unknown>): number {
  return typeof parameters.batch_size === 'number' ? parameters.batch_size : DEFAULT_BATCH
}

// Network failures all read alike (no address, port or errno), so the engine is no port scanner.
function failureOf(error: unknown, signal: AbortSignal): { errorCode: string; retryable: boolean; reason: string } {
  if (signal.aborted) return { errorCode: abortCode(signal), retryable: true, reason: 'the time limit was reached' }
  if (isTargetRefused(error))
    return {
      errorCode: TARGET_REFUSED,
      retryable: false,
      reason: `the Redis was not contacted: ${(error as Error).message}`
    }
  // A ReplyError is Redis refusing the command (auth, ACL, unknown command): retrying will not help.
  if (error instanceof Error && error.name === 'ReplyError')
    return { errorCode: 'REDIS_ERROR', retryable: false, reason: redact(error.message) }
  return { errorCode: 'NETWORK', retryable: true, reason: 'the Redis could not be reached' }
}

const redisMechanism: Mechanism = {
  name: 'redis',
  needs: ['redis_url', 'key_prefix'],
  applies: target => target.redis_url !== undefined && target.redis_url !== '',
  refuse: target => {
    if (target.key_prefix === undefined || target.key_prefix === '') {
      return {
        errorCode: 'UNSAFE_TARGET',
        error: `component ${target.component_name} has a redis_url but no key_prefix; clearing without one would delete every key in that database`
      }
    }
    const prefixProblem = keyPrefixProblem(target.key_prefix)
    if (prefixProblem !== undefined)
      return { errorCode: 'UNSAFE_TARGET', error: `key_prefix of ${target.component_name} ${prefixProblem}` }
    if (!isUrlWith(target.redis_url, ['redis:', 'rediss:'])) {
      return {
        errorCode: 'INVALID_TARGET',
        error: `redis_url of ${target.component_name} must be a redis:// or rediss:// URL`
      }
    }
    return undefined
  },
  describe: (target, request) =>
    `delete the Redis keys of ${request.componentName} starting with "${target.key_prefix ?? ''}" (SCAN and UNLINK in batches of ${batchSize(request.parameters)})`,
  perform: async (target, request) => {
    const prefix = target.key_prefix ?? ''
    const outcome = await unlinkByPrefix(
      target.redis_url ?? '',
      prefix,
      batchSize(request.parameters),
      request.signal,
      request.policy
    )
    const result = { via: 'redis', key_prefix: prefix, keys_deleted: outcome.deleted, keys_scanned: outcome.scanned }
    if (outcome.error !== undefined) {
      const { errorCode, retryable, reason } = failureOf(outcome.error, request.signal)
      return failure(
        errorCode,
        `clearing the cache of ${request.componentName} stopped after deleting ${outcome.deleted} keys: ${reason}`,
        retryable,
        result
      )
    }
    return {
      success: true,
      simulated: false,
      output: `deleted ${outcome.deleted} Redis keys of ${request.componentName} starting with "${prefix}"`,
      result,
      retryable: false
    }
  }
}

export const clearCache = defineExecutor({
  type: 'clear_cache',
  description:
    "Deletes the keys under the component's key_prefix on its Redis (SCAN + UNLINK, never FLUSHALL), or asks its signed control webhook to clear its cache.",
  configSchema: Type.Object(
    {
      batch_size: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 10000,
          default: DEFAULT_BATCH,
          description: 'Keys per SCAN page and per UNLINK'
        })
      )
    },
    { additionalProperties: false }
  ),
  risky: false,
  mechanisms: [redisMechanism, webhookMechanism]
})
