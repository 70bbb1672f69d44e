// A client generated from the committed contract (openapi-typescript types, openapi-fetch)
// type-checks against it and drives the real service over a socket: ingest, list, acknowledge.
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { OPENAPI_FILE } from '../../src/openapi-document.js'
import { buildTestApp } from '../helpers/app.js'
import { scratchFolder, typeErrors, writeTranspiled } from '../helpers/generated-client.js'

// The calls the test makes, written against the generated types: if the contract and the
// types disagree (a renamed field, a wrong path), this does not compile.
const typedUsage = `
import createClient from 'openapi-fetch'
import type { paths } from './api.js'

export async function flow (baseUrl: string, service: string, user: string): Promise<string> {
  const asService = createClient<paths>({ baseUrl, headers: { authorization: 'Bearer ' + service } })
  const created = await asService.POST('/v1/health-events/batch', {
    body: { events: [{ component_type: 'edge_function', component_name: 'client-test', status: 'degraded', latency_ms: 120.5 }] }
  })
  const inserted: number | undefined = created.data?.inserted
  const listed = await asService.GET('/v1/health-events', { params: { query: { component_name: 'client-test', limit: 10 } } })
  const firstStatus: string | undefined = listed.data?.items[0]?.status
  const anomaly = await asService.POST('/v1/anomalies', { body: { anomaly_type: 'latency_spike', severity: 'high', source_type: 'client' } })
  const asUser = createClient<paths>({ baseUrl, headers: { authorization: 'Bearer ' + user } })
  const patched = await asUser.PATCH('/v1/anomalies/{id}', { params: { path: { id: anomaly.data?.id ?? '' } }, body: { status: 'acknowledged' } })
  return [inserted, firstStatus, patched.data?.status].join(',')
}
`

t.test('the generated client compiles against the contract and drives the service', async t => {
  const dir = await scratchFolder(t, 'generated-client-')
  // Fields with a default are optional to send; by default the generator would demand them.
  const types = astToString(await openapiTS(pathToFileURL(OPENAPI_FILE), { defaultNonNullable: false }))
  t.match(types, /"\/v1\/health-events\/batch"/)
  await writeFile(path.join(dir, 'api.ts'), types)
  await writeFile(path.join(dir, 'flow.ts'), typedUsage)

  t.same(typeErrors(path.join(dir, 'flow.ts')), [], 'the typed calls compile against the generated types')

  const ctx = await buildTestApp(t)
  const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  // The same calls at run time, through openapi-fetch over a real socket.
  await writeTranspiled(typedUsage, path.join(dir, 'flow.mjs'))
  const { flow } = (await import(pathToFileURL(path.join(dir, 'flow.mjs')).href)) as {
    flow: (baseUrl: string, service: string, user: string) => Promise<string>
  }
  const userToken = await ctx.token({ sub: ctx.user.id, role: 'authenticated', app_metadata: { role: 'admin' } })
  t.equal(await flow(address, ctx.service.token, userToken), '1,degraded,acknowledged')
})
