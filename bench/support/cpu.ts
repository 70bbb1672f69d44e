// CPU time a benchmark's run costs this process and the PostgreSQL backends serving it (read from
// /proc when the database runs on this machine): on a shared machine wall time swings with the
// load, CPU time much less, so these are the figures to compare changes by.
import { readFileSync } from 'node:fs'
import type { Sql } from '../../src/db/client.js'

// utime + stime of a process in ms, or null when it is not on this machine (or not Linux).
function processCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return null
  }
}

async function serverCpuMs(sql: Sql): Promise<number | null> {
  const backends = await sql<
    Array<{ pid: number }>
  >`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`
  let total = 0
  for (const { pid } of backends) {
    const used = processCpuMs(pid)
    if (used === null) return null
    total += used
  }
  return total
}

export interface CpuSplit {
  /** This process, ms. */
  node: number
  /** The database's client backends, ms, or null when they are not on this machine. */
  postgresql: number | null
}

/** Runs `work` and measures the CPU it cost this process and the database's backends. */
export async function measureCpu<T>(
  sql: Sql,
  work: () => Promise<T>
): Promise<{ result: T; wallMs: number; cpu: CpuSplit }> {
  const serverBefore = await serverCpuMs(sql)
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  const result = await work()
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpuBefore)
  const serverAfter = await serverCpuMs(sql)
  const postgresql = serverBefore !== null && serverAfter !== null ? serverAfter - serverBefore : null
  return { result, wallMs, cpu: { node: (used.user + used.system) / 1000, postgresql } }
}
