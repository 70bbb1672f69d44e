// A second generator: an oazapfts client, generated from the committed contract in the test,
// type-checked with tsc, and driving the real service over a socket by the operationIds
// (createHealthEventBatch, listHealthEvents, getHealthEvent, createRecoveryAction,
// approveRecoveryAction with its optional body left out, getRecoveryAction).
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { generateSource } from 'oazapfts'
import { OPENAPI_FILE } from '../../src/openapi-document.js'
import { buildTestApp } from '../helpers/app.js'
import { scratchFolder, typeErrors, writeTranspiled } from '../helpers/generated-client.js'

// Written against the generated functions: a renamed operation, a required parameter that
// should be optional, or a wrong field type does not compile.
const typedUsage = `
import * as api from './api.js'

export interface Tokens { service: string, admin: string }

function as (baseUrl: string, token: string): { baseUrl: string, headers: Record<string, string> } {
  return { baseUrl, headers: { authorization: 'Bearer ' + token } }
}

async function statusOf (call: Promise<unknown>): Promise<number> {
  try {
    await call
    return 200
  } catch (err) {
    return (err as { status: number }).status
  }
}

export async function flow (baseUrl: string, tokens: Tokens): Promise<Record<string, unknown>> {
  const service = as(baseUrl, tokens.service)
  const admin = as(baseUrl, tokens.admin)
  const batch = await api.createHealthEventBatch({
    healthEventBatch: { events: [{ component_type: 'edge_function', component_name: 'oazapfts-client', status: 'critical', latency_ms: 2400 }] }
  }, service)
  const page = await api.listHealthEvents({ componentName: 'oazapfts-client' }, service)
  const event = await api.getHealthEvent({ id: batch.ids[0] ?? '' }, service)
  const requested = await api.createRecoveryAction({
    recoveryActionInput: { action_type: 'rollback_deployment', target_component_name: 'oazapfts-client', trigger_reason: 'critical after deploy' }
  }, service)
  const refused = await statusOf(api.approveRecoveryAction({ id: requested.id }, service))
  const approved = await api.approveRecoveryAction({ id: requested.id }, admin)
  const read = await api.getRecoveryAction({ id: requested.id }, service)
  return {
    inserted: batch.inserted,
    listed: page.items.map((item) => item.id),
    eventStatus: event.status,
    requested: requested.approval_status,
    refused,
    approved: approved.approval_status,
    approvedBy: approved.approved_by,
    readStatus: read.execution_status
  }
}
`

t.test('an oazapfts client compiles against the contract and drives the service', async t => {
  const dir = await scratchFolder(t, 'oazapfts-client-')
  const source = await generateSource(OPENAPI_FILE, { optimistic: true, argumentStyle: 'object' })
  t.match(
    source,
    /export function approveRecoveryAction\(\{ id, approvalDecision \}: \{\s+id: string;\s+approvalDecision\?: ApprovalDecision;/,
    'named by operationId, with an optional body'
  )
  await writeFile(path.join(dir, 'api.ts'), source)
  await writeFile(path.join(dir, 'flow.ts'), typedUsage)

  t.same(typeErrors(path.join(dir, 'flow.ts')), [], 'the generated client and the calls compile')

  await writeTranspiled(source, path.join(dir, 'api.js'))
  await writeTranspiled(typedUsage, path.join(dir, 'flow.js'))
  const ctx = await buildTestApp(t)
  const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
  const { flow } = (await import(pathToFileURL(path.join(dir, 'flow.js')).href)) as {
    flow: (baseUrl: string, tokens: { service: string; admin: string }) => Promise<Record<string, unknown>>
  }
  const outcome = await flow(address, { service: ctx.service.token, admin: ctx.admin.token })
  t.match(outcome, {
    inserted: 1,
    listed: [String],
    eventStatus: 'critical',
    requested: 'pending',
    refused: 403,
    approved: 'approved',
    approvedBy: ctx.admin.id,
    readStatus: 'approved'
  })
})
