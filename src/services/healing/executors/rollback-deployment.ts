// rollback_deployment: returns the component to an earlier release through its control
// webhook. Risky: it undoes whatever the release fixed, so it waits for approval by default.
import Type from 'typebox'
import { defineExecutor } from './define-executor.js'
import { webhookMechanism } from './webhook.js'

export const rollbackDeployment = defineExecutor({
  type: 'rollback_deployment',
  description:
    'Rolls the component back to to_version, or to its previous release, through the signed control webhook.',
  configSchema: Type.Object(
    {
      to_version: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 128,
          description: 'The release to return to; the previous one when absent'
        })
      )
    },
    { additionalProperties: false }
  ),
  risky: true,
  mechanisms: [webhookMechanism]
})
