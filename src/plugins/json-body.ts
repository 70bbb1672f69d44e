// The JSON body parser, with a nesting limit. JSON.parse builds whatever depth it is sent, and
// every later walk over the value (validation, serialisation, the NUL-byte check) recurses
// through it; a 4 MB body of brackets is a stack overflow waiting for one of them. The depth is
// counted over the raw text first, so a deep body costs one linear scan and never gets parsed.
// Fastify's text/plain parser goes: no route reads text, and with it a JSON body sent without
// its content type (fetch's default is text/plain) was refused as "/body must be object", a
// misleading 400 for what is a 415, the answer the contract declares for an unread type.
// A number too large for a double (1e400) is read by JSON.parse as Infinity, which passes every
// schema without a bound and was stored as null or as numeric infinity: it is refused here,
// named, like any other value the service cannot hold.
import fp from 'fastify-plugin'
import { InvalidFields } from '../errors.js'

/** Objects and arrays nested deeper than this are refused (the body itself is level 1). */
export const MAX_JSON_DEPTH = 32

export interface JsonScan {
  /** Objects and arrays nest deeper than the limit (the scan stops there). */
  tooDeep: boolean
  /**
   * A number literal a double may not hold: an exponent of three digits or more, or 309 integer
   * digits in a row. It only decides whether the parsed body is walked for infinities, so a
   * finite 1e100 costs a walk, nothing more.
   */
  mayOverflow: boolean
}

/**
 * One linear pass over the JSON text, strings skipped, escaped quotes included: a regular
 * expression counting digit runs would backtrack over every digit of a long run, and two
 * passes would double the cost on the ingest path, where the text is read before JSON.parse.
 */
export function scanJson(text: string, depthLimit: number): JsonScan {
  let depth = 0
  let inString = false
  let digits = 0
  let fraction = false
  let exponent = false
  let mayOverflow = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c)
        i++ // backslash: the next character is escaped
      else if (char === 0x22) inString = false
    } else if (char >= 0x30 && char <= 0x39) {
      if (!fraction && ++digits >= (exponent ? 3 : 309)) mayOverflow = true
    } else if (char === 0x2e) {
      fraction = true
    } else if (char === 0x65 || char === 0x45) {
      exponent = true
      fraction = false
      digits = 0
    } else if (!(exponent && digits === 0 && (char === 0x2b || char === 0x2d))) {
      exponent = false
      fraction = false
      digits = 0
      if (char === 0x22) inString = true
      else if (char === 0x7b || char === 0x5b) {
        if (++depth > depthLimit) return { tooDeep: true, mayOverflow }
      } else if (char === 0x7d || char === 0x5d) depth--
    }
  }
  return { tooDeep: false, mayOverflow }
}

/** Enough to show the caller what is wrong without answering with a copy of a huge body. */
const MAX_REPORTED = 20

const segment = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * The JSON pointers of the numbers in a parsed body that JSON cannot hold: Infinity, -Infinity
 * (a JSON literal too large for a double; YAML's .inf) and NaN (YAML's .nan).
 */
export function nonFinitePaths(value: unknown, path = '/body', found: string[] = []): string[] {
  if (found.length >= MAX_REPORTED) return found
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) found.push(path)
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => nonFinitePaths(item, `${path}/${index}`, found))
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) nonFinitePaths(item, `${path}/${segment(key)}`, found)
  }
  return found
}

export default fp(
  async app => {
    const parse = app.getDefaultJsonParser('error', 'error')
    app.removeContentTypeParser(['application/json', 'text/plain'])
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      // Generated clients send an optional body left out as an empty JSON body (optional-body.ts).
      if (body === '' && request.routeOptions.config.optionalBody === true) {
        done(null, undefined)
        return
      }
      const scan = scanJson(body as string, MAX_JSON_DEPTH)
      if (scan.tooDeep) {
        done(
          new InvalidFields([
            { path: '/body', message: `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels` }
          ]),
          undefined
        )
        return
      }
      parse(request, body as string, (error: Error | null, value?: unknown) => {
        const infinite = error === null && scan.mayOverflow ? nonFinitePaths(value) : []
        if (infinite.length === 0) done(error, value)
        else done(new InvalidFields(infinite.map(path => ({ path, message: 'is too large a number for a double' }))))
      })
    })
  },
  { name: 'json-body' }
)
