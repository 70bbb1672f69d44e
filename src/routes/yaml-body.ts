// The YAML body parser for the routes that take documents people write by hand (runbooks).
// YAML 1.2's core schema only, so what it yields is what JSON could have said (no dates, no
// custom tags; its .inf and .nan, which JSON cannot say, are refused, named); aliases are capped, so a "billion laughs" body cannot expand; and the result
// nests no deeper than a JSON body may (json-body.ts), since later walks recurse through it.
import type { FastifyRequest } from 'fastify'
import { parse } from 'yaml'
import { InvalidFields } from '../errors.js'
import { MAX_JSON_DEPTH, nonFinitePaths } from '../plugins/json-body.js'

export const YAML = 'application/yaml'

function deeperThan(value: unknown, limit: number): boolean {
  let level: unknown[] = [value]
  for (let depth = 0; level.length > 0; depth++) {
    const containers = level.filter(item => typeof item === 'object' && item !== null)
    if (containers.length > 0 && depth >= limit) return true
    level = containers.flatMap(item => Object.values(item as object))
  }
  return false
}

export function parseYamlBody(
  _request: FastifyRequest,
  body: string | Buffer,
  done: (error: Error | null, value?: unknown) => void
): void {
  let value: unknown
  try {
    value = parse(body.toString(), { schema: 'core', maxAliasCount: 50, uniqueKeys: true })
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'it is not YAML'
    done(new InvalidFields([{ path: '/body', message: `is not valid YAML: ${reason}` }]))
    return
  }
  if (deeperThan(value, MAX_JSON_DEPTH)) {
    done(new InvalidFields([{ path: '/body', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }]))
    return
  }
  const nonFinite = nonFinitePaths(value)
  if (nonFinite.length > 0) {
    done(new InvalidFields(nonFinite.map(path => ({ path, message: 'is .inf or .nan, which JSON cannot hold' }))))
    return
  }
  done(null, value)
}
