// The parameters scale_up and scale_down share: an absolute replica count or a step, not both,
// because a receiver given both could only guess which one was meant.
import Type from 'typebox'

export const scaleSchema = Type.Object(
  {
    replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'The replica count to reach' })),
    delta: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'How many replicas to add or remove' }))
  },
  { additionalProperties: false }
)

export function scaleCheck(parameters: Record<string, unknown>): string[] {
  return parameters.replicas !== undefined && parameters.delta !== undefined
    ? ['replicas: give either replicas or delta, not both']
    : []
}
