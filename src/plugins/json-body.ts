// The JSON body parser, with a nesting limit. JSON.parse builds whatever depth it is sent, and
// every later walk over the value (validation, serialisation, the NUL-byte check) recurses
// through it; a 4 MB body of brackets is a stack overflow waiting for one of them. The depth is
// counted over the raw text first, so a deep body costs one linear scan and never gets parsed.
// Fastify's text/plain parser goes: no route reads text, and with it a JSON body sent without
// its content type (fetch's default is text/plain) was refused as "/body must be object", a
// misleading 400 for what is a 415, the answer the contract declares for an unread type.
import fp from 'fastify-plugin'
import { InvalidFields } from '../errors.js'

/** Objects and arrays nested deeper than this are refused (the body itself is level 1). */
export const MAX_JSON_DEPTH = 32

/** Whether the JSON text nests objects and arrays deeper than `limit`, brackets in strings aside. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c)
        i++ // backslash: the next character is escaped
      else if (char === 0x22) inString = false
    } else if (char === 0x22) {
      inString = true
    } else if (char === 0x7b || char === 0x5b) {
      if (++depth > limit) return true
    } else if (char === 0x7d || char === 0x5d) {
      depth--
    }
  }
  return false
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
      if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
        done(
          new InvalidFields([
            { path: '/body', message: `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels` }
          ]),
          undefined
        )
        return
      }
      parse(request, body as string, done)
    })
  },
  { name: 'json-body' }
)
