// PostgreSQL's text and jsonb cannot hold U+0000: a NUL byte that reaches the database fails
// the statement as the service's 500. Every string of each part a route reads (the path, query
// and body it declares a schema for, and the keys of free-form JSON) is checked before
// validation, and each one holding a NUL is named in a 400; a part the route ignores, such as
// a query on /healthz, is left alone. Bodies nest at most MAX_JSON_DEPTH deep (json-body), so
// the walk is shallow.
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { InvalidFields } from '../errors.js'

const NUL = '\u0000'
/** Enough to show the caller what is wrong without answering with a copy of a huge body. */
const MAX_REPORTED = 20

// A JSON pointer segment; the NUL itself is spelled out, so the answer shows where it was.
const segment = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1').replaceAll(NUL, '\\u0000')

function collect(value: unknown, path: string, found: string[]): void {
  if (found.length >= MAX_REPORTED) return
  if (typeof value === 'string') {
    if (value.includes(NUL)) found.push(path)
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      collect(item, `${path}/${index}`, found)
    })
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = `${path}/${segment(key)}`
      if (key.includes(NUL)) found.push(at)
      else collect(item, at, found)
    }
  }
}

// The common case, no NUL anywhere, decided without building a path for every field: a
// 500-event batch has some 9,000 of them.
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL)
  if (Array.isArray(value)) return value.some(holdsNul)
  if (value === null || typeof value !== 'object') return false
  for (const [key, item] of Object.entries(value)) if (key.includes(NUL) || holdsNul(item)) return true
  return false
}

export function nulBytePaths(request: FastifyRequest): string[] {
  const schema = request.routeOptions.schema
  const found: string[] = []
  const check = (value: unknown, path: string): void => {
    if (holdsNul(value)) collect(value, path, found)
  }
  if (schema?.params !== undefined) check(request.params, '/params')
  if (schema?.querystring !== undefined) check(request.query, '/querystring')
  if (schema?.body !== undefined) check(request.body, '/body')
  return found
}

export default fp(
  async app => {
    app.addHook('preValidation', async request => {
      const paths = nulBytePaths(request)
      if (paths.length > 0)
        throw new InvalidFields(
          paths.map(path => ({ path, message: 'contains a NUL character (\\u0000), which cannot be stored' }))
        )
    })
  },
  { name: 'nul-bytes' }
)
