// Real ids of another caller's rows, for every operation of the OpenAPI document with an id in
// its path: each answers as for an id that names nothing (404, or 403 where the role may not
// call it at all), no answer carries the owner's data, and nothing changes. The operations are
// dealt into shards, one test file each (fuzz-foreign-ids-*.test.ts), so that tap runs them side
// by side within its time limit.
import t from 'tap'
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { buildTestApp, tokensFor } from '../helpers/app.js'
import { ownerSql } from '../helpers/database.js'
import { createOwnedRows, snapshotOwnedTables, unknownPathValue, type OwnedRows } from '../helpers/owned-rows.js'
import { FOREIGN_RUNS, endless, hostileValue, type Operation } from './fuzz-support.js'

// Who may not call an operation at all, from the "who" column of docs/api.md: users get 403 whatever the id.
const REFUSED_TO_USERS = new Set([
  'POST /v1/recovery-actions/{id}/approve',
  'POST /v1/recovery-actions/{id}/reject',
  'POST /v1/recovery-actions/{id}/cancel',
  'POST /v1/recovery-actions/{id}/execute',
  'POST /v1/recovery-actions/{id}/rollback',
  'PUT /v1/components/{component_name}',
  'PATCH /v1/silences/{id}',
  'DELETE /v1/silences/{id}',
  'DELETE /v1/runbooks/{name}',
  'POST /v1/runbooks/{name}/dry-run'
])
// Organization-wide rows: the owner's colleagues see them, so only a member of another organization is a stranger to them.
const ORGANIZATION_RESOURCES = new Set([
  'components',
  'circuit-breakers',
  'ingest-keys',
  'channels',
  'predictive-alerts',
  'silences',
  'runbooks',
  'runbook-runs'
])
// Organization-wide rows only the organization's admins (and the service role naming it) manage
// (docs/integrations.md): a user of any organization may not call them at all (403), and the owner
// reading them is the organization's admin; an admin of another organization is a stranger to them.
const ADMIN_RESOURCES = new Set(['ingest-keys', 'channels'])
// Organization-wide rows its members read and no admin of another organization does (silences, docs/silences.md).
const MEMBER_RESOURCES = new Set([...ADMIN_RESOURCES, 'silences'])

export function testForeignIds(shard: number, shards: number): void {
  t.test(
    `another caller's ids (operations ${shard + 1} of every ${shards}): always 404 (403 where the role may not call at all), never their data, and their rows unchanged`,
    async t => {
      const ctx = await buildTestApp(t, { rateLimitMax: 1_000_000 })
      const sql = ownerSql(t, ctx.databaseUrl)
      const owned = await createOwnedRows(ctx, sql, ctx.user)
      const strangers = await tokensFor(randomUUID())
      const stranger = strangers.user
      const document = ctx.app.swagger() as unknown as {
        paths: Record<string, Record<string, Operation['spec']>>
        components: { schemas: Record<string, { examples?: unknown[] }> }
      }
      const operations: Operation[] = Object.entries(document.paths)
        .filter(([path]) => path.includes('{'))
        .flatMap(([path, methods]) =>
          Object.entries(methods).map(([method, spec]) => ({ method: method.toUpperCase(), path, spec }))
        )
      const resourceOf = (operation: Operation): keyof OwnedRows['ids'] =>
        operation.path.split('/')[2] as keyof OwnedRows['ids']
      t.equal(
        new Set(operations.map(resourceOf)).size,
        Object.keys(owned.ids).length,
        `the owner has rows behind all ${operations.length} operations with an id in the path`
      )

      for (const operation of operations.filter(op => op.method === 'GET')) {
        for (const value of owned.ids[resourceOf(operation)]) {
          const reader = ADMIN_RESOURCES.has(resourceOf(operation)) ? ctx.admin : ctx.user
          const res = await ctx.app.inject({
            url: operation.path.replace(/\{[^}]+\}/, encodeURIComponent(value)),
            headers: reader.headers
          })
          t.equal(
            res.statusCode,
            200,
            `the owner${reader === ctx.admin ? "'s admin" : ''} reads ${operation.path} for its own ${value}`
          )
        }
      }
      const before = await snapshotOwnedTables(sql)

      const idsOf = (foreign: (resource: string) => boolean): string[] =>
        Object.entries(owned.ids).flatMap(([resource, ids]) => (foreign(resource) ? ids : []))
      const colleague = (resource: string): boolean => !ORGANIZATION_RESOURCES.has(resource)
      const adminManaged = (resource: string): boolean => ADMIN_RESOURCES.has(resource)
      const membersOnly = (resource: string): boolean => MEMBER_RESOURCES.has(resource)
      const callers = [
        {
          name: 'a user of the same organization',
          caller: ctx.otherUser,
          user: true,
          foreign: colleague,
          secrets: [...owned.markers.user, ...owned.markers.admin, ...idsOf(colleague)]
        },
        {
          name: 'a user of another organization',
          caller: stranger,
          user: true,
          foreign: () => true,
          secrets: [
            ...owned.markers.user,
            ...owned.markers.organization,
            ...owned.markers.admin,
            ...owned.markers.members,
            ...idsOf(() => true)
          ]
        },
        // Admins read every user's rows (migration 0003's "admins read all rows"), but an
        // organization's ingest keys, channels and silences are its own alone.
        {
          name: 'an admin of another organization',
          caller: strangers.admin,
          user: false,
          // Silences are its members' too, but their audit entries are in decision_audit_log, which
          // every admin reads (migration 0003): their ids and comments are no secret from an admin.
          foreign: membersOnly,
          secrets: [...owned.markers.admin, ...idsOf(adminManaged)]
        }
      ]
      const leaks = (body: string, secrets: string[], requested: string): string[] =>
        secrets.filter(secret => secret !== requested && body.includes(secret))
      const exampleOf = (operation: Operation): unknown => {
        const schema = operation.spec.requestBody?.content['application/json']?.schema as { $ref?: string } | undefined
        if (schema === undefined) return undefined
        const name = schema.$ref?.split('/').pop() ?? ''
        return document.components.schemas[name]?.examples?.[0] ?? {}
      }
      const send = async (
        operation: Operation,
        value: string,
        caller: { headers: { authorization: string } },
        query: Record<string, string>,
        payload: string | undefined
      ) => {
        const search = new URLSearchParams(query).toString()
        const url = operation.path.replace(/\{[^}]+\}/, encodeURIComponent(value))
        return await ctx.app.inject({
          method: operation.method as 'GET',
          url: search === '' ? url : `${url}?${search}`,
          headers: { ...caller.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(payload === undefined ? {} : { payload })
        })
      }

      const wrong: string[] = []
      const counts = new Map<string, number>()
      for (const operation of operations.filter((_, index) => index % shards === shard)) {
        const resource = resourceOf(operation)
        const refusedToUsers =
          REFUSED_TO_USERS.has(`${operation.method} ${operation.path}`) || ADMIN_RESOURCES.has(resource)
        const example = exampleOf(operation)
        const queryParams = (operation.spec.parameters ?? []).filter(p => p.in === 'query')
        for (const { name, caller, user, secrets } of callers.filter(c => c.foreign(resource))) {
          const expected = user && refusedToUsers ? 403 : 404
          // A well-formed request: exactly 404 (or 403), as for a row that does not exist.
          for (const value of owned.ids[resource]) {
            const res = await send(
              operation,
              value,
              caller,
              {},
              example === undefined ? undefined : JSON.stringify(example)
            )
            if (res.statusCode !== expected)
              wrong.push(
                `${name}: ${operation.method} ${operation.path} with the owner's ${value} -> ${res.statusCode}, expected ${expected}`
              )
            for (const leak of leaks(res.body, secrets, value))
              wrong.push(`${name}: ${operation.method} ${operation.path} answered with the owner's ${leak}`)
            counts.set(String(res.statusCode), (counts.get(String(res.statusCode)) ?? 0) + 1)
          }
          // Fuzzed bodies and queries: never a success, and the same answer as for an id that names nothing.
          const request = fc.record({
            value: fc.constantFrom(...owned.ids[resource]),
            query: fc.dictionary(
              fc.constantFrom(...queryParams.map(p => p.name), 'unknown'),
              fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String)),
              { maxKeys: 3 }
            ),
            body: fc.oneof(
              hostileValue,
              fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 4 }),
              fc.constant(example ?? {})
            ),
            raw: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant('{"unterminated": '))
          })
          await fc.assert(
            fc.asyncProperty(request, async ({ value, query, body, raw }) => {
              const payload = example === undefined ? undefined : (raw ?? JSON.stringify(body))
              const res = await send(operation, value, caller, query, payload)
              const nobody = await send(operation, unknownPathValue(resource), caller, query, payload)
              counts.set(String(res.statusCode), (counts.get(String(res.statusCode)) ?? 0) + 1)
              if (res.statusCode < 300)
                wrong.push(
                  `${name}: ${operation.method} ${operation.path} with the owner's ${value} -> ${res.statusCode}`
                )
              else if (res.statusCode !== nobody.statusCode)
                wrong.push(
                  `${name}: ${operation.method} ${operation.path} -> ${res.statusCode} for the owner's id but ${nobody.statusCode} for an unknown one`
                )
              for (const leak of leaks(res.body, secrets, value))
                wrong.push(`${name}: ${operation.method} ${operation.path} answered with the owner's ${leak}`)
            }),
            { numRuns: FOREIGN_RUNS, seed: 9 }
          )
        }
      }
      // Lists, reports and the catalogue are read as the caller too: none of them may carry the owner's rows either.
      const reads = Object.entries(document.paths).filter(
        ([path, methods], index) =>
          !path.includes('{') &&
          path.startsWith('/v1/') &&
          methods.get !== undefined &&
          !endless(methods.get) &&
          index % shards === shard
      )
      for (const [path, methods] of reads) {
        const names = (methods.get?.parameters ?? []).filter(p => p.in === 'query').map(p => p.name)
        const queries: Array<Record<string, string>> = [
          {},
          { limit: '500' },
          ...(names.includes('since') ? [{ since: '2000-01-01T00:00:00Z', limit: '500' }] : [])
        ]
        for (const { name, caller, secrets } of callers) {
          for (const query of queries) {
            const search = new URLSearchParams(query).toString()
            const res = await ctx.app.inject({
              url: search === '' ? path : `${path}?${search}`,
              headers: caller.headers
            })
            if (res.statusCode >= 500) wrong.push(`${name}: GET ${path} -> ${res.statusCode}`)
            for (const leak of leaks(res.body, secrets, ''))
              wrong.push(`${name}: GET ${path}?${search} answered with the owner's ${leak}`)
          }
        }
      }
      t.ok(reads.length > 15 / shards, `${reads.length} list and report operations read as the other callers too`)
      t.same(
        wrong.slice(0, 20),
        [],
        "every answer to another caller was 404 or 403 and carried none of the owner's data"
      )
      t.ok(
        (counts.get('404') ?? 0) > 100 / shards && (counts.get('403') ?? 0) > 50 / shards,
        `answers by status: ${JSON.stringify(Object.fromEntries(counts))}`
      )
      t.same(await snapshotOwnedTables(sql), before, "the owner's rows are unchanged")
    }
  )
}
