// restart_function: the component restarts itself (or its function) when its control endpoint
// is told to; the service has no other way to restart something it does not host.
import Type from 'typebox'
import { defineExecutor } from './define-executor.js'
import { webhookMechanism } from './webhook.js'

export const restartFunction = defineExecutor({
  type: 'restart_function',
  description: 'Restarts the component through its signed control webhook.',
  configSchema: Type.Object(
    {
      reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why, passed on to the component' }))
    },
    { additionalProperties: false }
  ),
  risky: false,
  mechanisms: [webhookMechanism]
})
