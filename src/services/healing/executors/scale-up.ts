// scale_up: more capacity for a component under resource pressure, through its control webhook.
import { defineExecutor } from './define-executor.js'
import { scaleCheck, scaleSchema } from './scale-parameters.js'
import { webhookMechanism } from './webhook.js'

export const scaleUp = defineExecutor({
  type: 'scale_up',
  description: 'Adds replicas (delta) or sets a higher replica count (replicas) through the signed control webhook.',
  configSchema: scaleSchema,
  risky: false,
  inverse: 'scale_down',
  check: scaleCheck,
  mechanisms: [webhookMechanism]
})
