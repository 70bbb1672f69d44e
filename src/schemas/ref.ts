// A reference to a shared schema by its $id that keeps the schema's static type, so routes
// get typed requests and replies while the OpenAPI document names one component.
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox'

export function ref<T extends TSchema>(schema: T, description?: string): TUnsafe<Static<T>> {
  const id = (schema as { $id?: string }).$id
  if (id === undefined) throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(description === undefined ? { $ref: `${id}#` } : { $ref: `${id}#`, description })
}
