// What the fuzz tests share (test/reliability/fuzz-*.test.ts): the hostile values and the shape
// of an operation read from the OpenAPI document. The fuzzing is three files so that tap runs
// them side by side, each well within its time limit as the contract grows.
import fc from 'fast-check'
export const RUNS = 12
export const FOREIGN_RUNS = 8

export interface Operation {
  method: string
  path: string
  spec: {
    parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>
    requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }
    responses: Record<string, { content?: Record<string, unknown> }>
  }
}

// An event stream never ends, so inject would wait on it forever: test/routes/v1/stream.test.ts
// drives GET /v1/stream over a socket, its refusals included.
export const endless = (spec: Operation['spec'] | undefined): boolean =>
  spec?.responses['200']?.content?.['text/event-stream'] !== undefined

export const pointer = (...parts: string[]): string =>
  parts.map(part => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')

export const nested = (depth: number): unknown =>
  Array.from({ length: depth }).reduce<unknown>(inner => ({ a: inner }), 'leaf')
export const cursorAt = (createdAt: string): string =>
  Buffer.from(JSON.stringify([createdAt, '00000000-0000-4000-8000-000000000000'])).toString('base64url')
// Strings PostgreSQL refuses to store or to read as a timestamptz.
export const unstorable = [
  'a\u0000b',
  '\u0000',
  '0000-01-01T00:00:00Z',
  '+300000-01-01T00:00:00Z',
  '-infinity',
  'infinity'
]
// Query values, cursors among them, that decode to what PostgreSQL refuses.
export const hostileQueryValue = fc.constantFrom(
  ...unstorable,
  ...['0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '-infinity', '2026-01-01T00:00:00Z\u0000'].map(cursorAt)
)

export const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...unstorable),
  fc.constant({ 'key\u0000': 1 }),
  fc.constant(nested(33)),
  fc.string({ maxLength: 20 }),
  fc.constant('x'.repeat(200_000)),
  fc.constant(Array.from({ length: 5000 }, () => 1)),
  fc.constant(JSON.parse('['.repeat(500) + ']'.repeat(500)) as unknown),
  fc.constant(null),
  fc.constant(-1),
  fc.constant(1e308),
  fc.constant(''),
  fc.constant('00000000-0000-4000-8000-000000000000')
)
