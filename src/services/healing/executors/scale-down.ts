// scale_down: gives capacity back. Risky, since removing capacity from a struggling component
// can turn degradation into an outage, so it waits for approval by default.
import { defineExecutor } from './define-executor.js'
import { scaleCheck, scaleSchema } from './scale-parameters.js'
import { webhookMechanism } from './webhook.js'

export const scaleDown = defineExecutor({
  type: 'scale_down',
  description: 'Removes replicas (delta) or sets a lower replica count (replicas) through the signed control webhook.',
  configSchema: scaleSchema,
  risky: true,
  inverse: 'scale_up',
  check: scaleCheck,
  mechanisms: [webhookMechanism]
})
