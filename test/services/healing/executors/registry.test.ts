import t from 'tap'
import { executorRegistry, executorTypes, getExecutor } from '../../../../src/services/healing/executors/registry.js'

function validate(type: string, parameters: unknown): string[] {
  const executor = getExecutor(type)
  if (executor === undefined) throw new Error(`no executor ${type}`)
  return executor.validate(parameters)
}

t.test("the registry lists the seed's eight executors, once each, found by type", async t => {
  t.same(executorTypes().sort(), [
    'alert_escalation',
    'circuit_breaker',
    'clear_cache',
    'reset_connection',
    'restart_function',
    'rollback_deployment',
    'scale_down',
    'scale_up'
  ])
  t.equal(new Set(executorRegistry.map(e => e.type)).size, executorRegistry.length)
  for (const type of executorTypes()) t.equal(getExecutor(type)?.type, type)
  t.equal(getExecutor('format_disk'), undefined)
})

t.test('risky types wait for approval by default and scaling has its inverse', async t => {
  t.same(
    executorRegistry
      .filter(e => e.risky)
      .map(e => e.type)
      .sort(),
    ['rollback_deployment', 'scale_down']
  )
  t.equal(getExecutor('scale_up')?.inverse, 'scale_down')
  t.equal(getExecutor('scale_down')?.inverse, 'scale_up')
  t.equal(getExecutor('restart_function')?.inverse, undefined)
})

t.test('each executor describes itself with a JSON schema of its parameters', async t => {
  for (const executor of executorRegistry) {
    t.ok(executor.description.length > 20, `${executor.type} has a description`)
    const schema = JSON.parse(JSON.stringify(executor.configSchema)) as { type: string; additionalProperties: boolean }
    t.equal(schema.type, 'object', `${executor.type} takes an object`)
    t.equal(schema.additionalProperties, false, `${executor.type} refuses unknown parameters`)
  }
})

t.test('valid parameters have no problems; absent parameters are the defaults', async t => {
  t.same(validate('scale_up', { replicas: 4 }), [])
  t.same(validate('scale_down', { delta: 1 }), [])
  t.same(validate('rollback_deployment', { to_version: 'v1.4.2' }), [])
  t.same(validate('clear_cache', { batch_size: 100 }), [])
  t.same(validate('reset_connection', { idle_seconds: 0, stuck_seconds: 30 }), [])
  t.same(validate('restart_function', {}), [])
  t.same(validate('restart_function', null), [])
  t.same(validate('circuit_breaker', { cooldown_seconds: 30, reason: 'errors' }), [])
  t.same(validate('alert_escalation', { severity: 'critical', title: 'down' }), [])
})

t.test('unknown parameters and wrong types are named by field', async t => {
  t.same(validate('scale_up', { replicas: 'three', colour: 'red' }), [
    'colour: unknown parameter',
    'replicas: must be integer'
  ])
  t.same(validate('scale_down', { delta: 0 }), ['delta: must be >= 1'])
  t.same(validate('scale_up', { replicas: 2, delta: 1 }), ['replicas: give either replicas or delta, not both'])
  t.same(validate('rollback_deployment', { to_version: 3 }), ['to_version: must be string'])
  t.same(validate('clear_cache', { batch_size: 1.5 }), ['batch_size: must be integer'])
  t.same(validate('clear_cache', { pattern: '*' }), ['pattern: unknown parameter'])
  t.same(validate('reset_connection', { idle_seconds: -1, stuck_seconds: 0 }), [
    'idle_seconds: must be >= 0',
    'stuck_seconds: must be >= 1'
  ])
  t.same(validate('restart_function', ['x']), ['parameters: must be an object'])
  t.same(validate('circuit_breaker', { cooldown_seconds: -1 }), ['cooldown_seconds: must be >= 0'])
  t.same(validate('alert_escalation', { severity: 'urgent' }).length, 1)
})
