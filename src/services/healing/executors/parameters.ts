// Turns TypeBox's errors for action_parameters into one message per problem, naming the field,
// because these messages reach operators through the API and the audit log.
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'

function field(instancePath: string): string {
  return instancePath.replace(/^\//, '').replaceAll('/', '.')
}

export function parameterProblems(schema: TSchema, parameters: unknown): string[] {
  const value = parameters ?? {}
  if (typeof value !== 'object' || Array.isArray(value)) return ['parameters: must be an object']
  const problems: string[] = []
  for (const error of Value.Errors(schema, value)) {
    if (error.keyword === 'additionalProperties') {
      const names = (error.params as { additionalProperties?: string[] }).additionalProperties ?? []
      const parent = field(error.instancePath)
      for (const name of names) problems.push(`${parent === '' ? name : `${parent}.${name}`}: unknown parameter`)
    } else if (error.keyword !== 'boolean') {
      // 'boolean' is the additionalProperties: false schema failing per property, reported above.
      problems.push(`${field(error.instancePath)}: ${error.message}`)
    }
  }
  return problems
}
