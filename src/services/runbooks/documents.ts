// Storing and reading runbooks. The schema (RunbookDocument) has already checked the document's
// shape when it arrives here; these are the rules it cannot say: each step names an executor
// from the registry with parameters that executor accepts, a verification has exactly one bound,
// and durations stay within an hour. Every problem is reported with the path it is at, and a
// document with any is stored not at all.
import type { Caller } from '../../db/caller.js'
import type { Db } from '../../db/port.js'
import {
  disableRunbook,
  findRunbook,
  insertRunbookVersion,
  latestRunbooks,
  lockAndCountRunbooks
} from '../../db/runbooks.js'
import { errors, InvalidFields } from '../../errors.js'
import type { RunbookDocumentValue, RunbookRow } from '../../schemas/runbooks.js'
import { executorTypes, getExecutor } from '../healing/executors/registry.js'
import { durationSeconds, MAX_DURATION_SECONDS } from './durations.js'

// Each anomaly of an organization is matched against each of its enabled runbooks: without a
// bound, one organization's admin could make that thousands of matches per anomaly. Two hundred
// names in use is far beyond what a team writes; deleted names and older versions do not count.
export const MAX_RUNBOOKS_PER_ORGANIZATION = 200
// Versions are kept for the runs that point at them, so the organization's stored versions are
// bounded as a whole: far above what editing by hand reaches, it keeps a looping writer from
// growing the table without end.
export const MAX_RUNBOOK_VERSIONS_PER_ORGANIZATION = 10_000

// Paths under /v1/runbooks/ that are routes of their own, so no runbook may be named like them.
const RESERVED_NAMES = new Set(['schema'])

type Problem = { path: string; message: string }

function stepProblems(step: RunbookDocumentValue['steps'][number], at: string): Problem[] {
  const problems: Problem[] = []
  const executor = getExecutor(step.action)
  if (executor === undefined) {
    problems.push({ path: `${at}/action`, message: `names no executor (known: ${executorTypes().join(', ')})` })
  } else {
    for (const problem of executor.validate(step.parameters ?? {}))
      problems.push({ path: `${at}/parameters`, message: problem })
  }
  if (
    step.timeout !== undefined &&
    (durationSeconds(step.timeout) < 1 || durationSeconds(step.timeout) > MAX_DURATION_SECONDS)
  )
    problems.push({ path: `${at}/timeout`, message: `must be between 1s and ${MAX_DURATION_SECONDS / 3600}h` })
  if (durationSeconds(step.wait) > MAX_DURATION_SECONDS)
    problems.push({ path: `${at}/wait`, message: `must be at most ${MAX_DURATION_SECONDS / 3600}h` })
  const verify = step.verify
  if (verify !== undefined) {
    if ((verify.below === undefined) === (verify.above === undefined))
      problems.push({ path: `${at}/verify`, message: 'must have exactly one of below and above' })
    const within = durationSeconds(verify.within)
    if (within < 1 || within > MAX_DURATION_SECONDS)
      problems.push({ path: `${at}/verify/within`, message: `must be between 1s and ${MAX_DURATION_SECONDS / 3600}h` })
  }
  return problems
}

/** Throws a 400 naming every path of the document that breaks a rule beyond its schema. */
export function checkDocument(document: RunbookDocumentValue): void {
  const problems: Problem[] = []
  if (RESERVED_NAMES.has(document.name))
    problems.push({ path: '/body/name', message: `is reserved (${[...RESERVED_NAMES].join(', ')})` })
  document.steps.forEach((step, index) => problems.push(...stepProblems(step, `/body/steps/${index}`)))
  if (problems.length > 0) throw new InvalidFields(problems)
}

export async function createRunbook(
  db: Db,
  caller: Caller,
  organizationId: string,
  document: RunbookDocumentValue,
  createdBy: string | null
): Promise<RunbookRow> {
  checkDocument(document)
  return await db.asCaller(caller, async tx => {
    const counts = await lockAndCountRunbooks(tx, organizationId, document.name)
    if (counts.otherEnabledNames >= MAX_RUNBOOKS_PER_ORGANIZATION)
      throw new errors.RunbookLimitReached(
        `organization ${organizationId} has ${MAX_RUNBOOKS_PER_ORGANIZATION} runbooks, the most it may have; delete one first or store a new version of one`
      )
    if (counts.storedVersions >= MAX_RUNBOOK_VERSIONS_PER_ORGANIZATION)
      throw new errors.RunbookLimitReached(
        `organization ${organizationId} has stored ${MAX_RUNBOOK_VERSIONS_PER_ORGANIZATION} runbook versions, deleted names included, the most it may store; an operator can remove old versions no run points at`
      )
    return await insertRunbookVersion(tx, organizationId, document, createdBy)
  })
}

export async function listRunbooks(db: Db, caller: Caller, organizationId: string): Promise<RunbookRow[]> {
  return await db.asCaller(caller, async tx => await latestRunbooks(tx, organizationId))
}

export async function getRunbook(
  db: Db,
  caller: Caller,
  organizationId: string,
  name: string,
  version: number | null
): Promise<RunbookRow> {
  const row = await db.asCaller(caller, async tx => await findRunbook(tx, organizationId, name, version))
  if (row === undefined)
    throw new errors.NotFound(`runbook ${name}${version === null ? '' : ` version ${version}`} not found`)
  return row
}

export async function deleteRunbook(db: Db, caller: Caller, organizationId: string, name: string): Promise<RunbookRow> {
  const row = await db.asCaller(caller, async tx => await disableRunbook(tx, organizationId, name))
  if (row === undefined) throw new errors.NotFound(`runbook ${name} not found`)
  return row
}
