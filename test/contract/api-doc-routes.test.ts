// docs/api.md's route table is what a new user reads to find the API; the contract is what the
// service serves. Each names every operation of the other: a route added to one only fails here.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { OPENAPI_FILE } from '../../src/openapi-document.js'

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

/** `METHOD /path` per operation, parameters as `{}` and the query left out. */
const operation = (method: string, path: string): string =>
  `${method} ${path
    .replace(/\[.*\]$/, '')
    .replace(/\?.*$/, '')
    .replace(/\{[^}]*\}/g, '{}')}`

function contractOperations(): Set<string> {
  const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, object> }
  return new Set(
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter(key => METHODS.includes(key.toUpperCase()))
        .map(key => operation(key.toUpperCase(), path))
    )
  )
}

/**
 * The operations the Routes section names. A row's cells are written short: `GET /a`, `/b`
 * repeats the method; `GET`/`PUT /a` gives one path two methods; `POST /a/{id}/approve`,
 * `/reject` is a sibling of the previous path when `/reject` is no path of its own; table
 * paths are under `/v1` unless they start with `/otlp`, and the closing line's are not.
 */
function documentedOperations(contract: Set<string>): Set<string> {
  const text = readFileSync('docs/api.md', 'utf8')
  const section = text.slice(text.indexOf('## Routes'))
  const found = new Set<string>()
  for (const line of section.split('\n')) {
    const tableRow = line.startsWith('| `')
    if (!tableRow && !line.startsWith('Outside `/v1`')) continue
    const routes = tableRow ? (line.split(' | ')[0] ?? '') : line
    let methods: string[] = []
    let pending: string[] = []
    let previous = ''
    for (const [, token = ''] of routes.matchAll(/`([^`]+)`/g)) {
      const [first = '', second] = token.split(' ')
      if (METHODS.includes(first) && second === undefined) {
        pending.push(first)
        continue
      }
      const path = METHODS.includes(first) ? (second ?? '') : first
      if (!path.startsWith('/')) continue
      if (METHODS.includes(first)) {
        methods = [...pending, first]
        pending = []
      }
      const full = !tableRow || path.startsWith('/otlp') ? path : `/v1${path}`
      const sibling = previous.replace(/\/[^/]+$/, '') + path
      const chosen = methods.every(method => contract.has(operation(method, full))) || previous === '' ? full : sibling
      for (const method of methods) found.add(operation(method, chosen))
      previous = chosen
    }
  }
  return found
}

const contract = contractOperations()
const documented = documentedOperations(contract)
// Served outside the contract on purpose (`hide: true`): the Prometheus text format.
const uncontracted = new Set(['GET /metrics'])

t.test('docs/api.md names every operation of the contract', async t => {
  for (const op of contract) t.ok(documented.has(op), `${op} is in docs/api.md`)
})

t.test('every route docs/api.md names is in the contract', async t => {
  for (const op of documented) if (!uncontracted.has(op)) t.ok(contract.has(op), `${op} is in the contract`)
  t.ok(documented.has('GET /metrics'), 'the parser reads the closing line')
})
