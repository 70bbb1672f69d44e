// The executor registry as the API lists it.
import { Type } from 'typebox'

export const ExecutorDescription = Type.Object(
  {
    type: Type.String({ examples: ['restart_function'] }),
    description: Type.String(),
    risky: Type.Boolean({ description: "Waits for an admin's approval unless the request says otherwise" }),
    inverse: Type.Union([Type.String(), Type.Null()], { description: 'The action type that undoes it' }),
    config_schema: Type.Record(Type.String(), Type.Unknown(), {
      description: 'JSON Schema of the action_parameters it accepts'
    })
  },
  { $id: 'ExecutorDescription' }
)
