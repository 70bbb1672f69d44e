// Runs the real entry point as a child process for a benchmark, the way `npm start` does: from
// src/ through tsx, or built (dist/server.js, what `npm start` runs). Its log goes to a file
// rather than into memory (a long run at info level writes hundreds of megabytes), and the lines
// at level error or above are kept for the figures unless the bench says it needs none. Then the
// child writes the file itself, as `npm start > file` would: reading its lines through a pipe
// wakes the bench process for each request, CPU that a machine it shares with the server and
// PostgreSQL is short of, and that would be charged to the server's rate.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { createInterface } from 'node:readline'
import path from 'node:path'

export interface BenchServer {
  child: ChildProcess
  address: string
  /** Log lines at pino level 50 (error) or above, at most the first 50. */
  errorLines: string[]
  /** How many lines were at level 50 or above. */
  errorCount: () => number
  /** How the child ended, once it has: its exit code or the signal that killed it. */
  ended: () => string | undefined
  /**
   * Resident set size in bytes of the child and every process under it (its workers), read from
   * /proc (Linux); undefined once it has ended.
   */
  rss: () => Promise<number | undefined>
  /** CPU time in ms the child and every process under it have used so far (Linux /proc). */
  cpuMs: () => Promise<number | undefined>
  /** SIGTERM, then the exit code once it has drained. */
  stop: () => Promise<number | null>
}

export interface StartOptions {
  /** Runs dist/server.js (build it first) rather than src/server.ts. */
  built?: boolean
  /** The child writes its log to the file itself, unread; errorLines and errorCount then stay empty. */
  logStraightToFile?: boolean
  /** Given to node before the entry, such as --cpu-prof (which NODE_OPTIONS does not take). */
  nodeArgs?: string[]
  /** Another program than the service, run through tsx (bench/support/floor-server.ts). */
  script?: string
}

const START_WORDS = (
  JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }
).scripts.start.split(/\s+/)

/**
 * The V8 flags `npm start` gives node (package.json's start script, which the Dockerfile repeats):
 * the heap limit and initial old space, which decide how far and how soon RSS rises.
 */
export const SERVICE_NODE_FLAGS: string[] = START_WORDS.filter(
  word => word.startsWith('--') && word !== '--enable-source-maps'
)

/** The environment `npm start` sets for node (`env NAME=value` in the script): the malloc arena cap. */
export const SERVICE_ENV: Record<string, string> = Object.fromEntries(
  START_WORDS.slice(0, START_WORDS.indexOf('node'))
    .filter(word => /^[A-Z_]+=/.test(word))
    .map(word => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)])
)

const KEPT_ERROR_LINES = 50
const LISTEN_TIMEOUT_MS = 60_000

/** A process and every process under it (a server's workers), by pid. */
async function processTree(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')
  const below = await Promise.all(
    children
      .split(' ')
      .filter(word => word !== '')
      .map(async child => await processTree(Number(child)))
  )
  return [pid, ...below.flat()]
}

/** Sums a /proc figure over a process tree; a process gone meanwhile counts nothing. */
async function treeSum(pid: number, figure: (pid: number) => Promise<number | undefined>): Promise<number | undefined> {
  const pids = await processTree(pid)
  const values = await Promise.all(pids.map(figure))
  if (values[0] === undefined) return undefined
  return values.reduce<number>((sum, value) => sum + (value ?? 0), 0)
}

async function rssBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  if (status === undefined) return undefined
  const kilobytes = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]
  if (kilobytes === undefined) throw new Error('no VmRSS in /proc status')
  return Number(kilobytes) * 1024
}

/** utime + stime in ms (clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  const fields = stat?.split(') ')[1]?.split(' ')
  if (fields === undefined) return undefined
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function logEntry(line: string): { level?: number; address?: string } | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    return JSON.parse(line) as { level?: number; address?: string }
  } catch {
    return undefined
  }
}

/** The address the server logged it listens on, read from its log file until it appears or the server is gone. */
async function addressInFile(logFile: string, gone: () => boolean): Promise<string | undefined> {
  while (!gone()) {
    const lines = (await readFile(logFile, 'utf8')).split('\n')
    const address = lines.map(logEntry).find(entry => typeof entry?.address === 'string')?.address
    if (address !== undefined) return address
    await sleep(50)
  }
  return undefined
}

export async function startServer(
  env: Record<string, string>,
  logFile: string,
  options: StartOptions = {}
): Promise<BenchServer> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => ['PATH', 'HOME', 'TMPDIR', 'LANG'].includes(name))
  )
  const entry =
    options.built === true
      ? ['--enable-source-maps', 'dist/server.js']
      : ['--import', 'tsx', options.script ?? 'src/server.ts']
  // A fresh checkout has no .data/ until something makes it (the embedded PostgreSQL does).
  mkdirSync(path.dirname(logFile), { recursive: true })
  const direct = options.logStraightToFile === true ? openSync(logFile, 'w') : undefined
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...(options.nodeArgs ?? []), ...entry], {
    env: { ...inherited, ...SERVICE_ENV, LOG_LEVEL: 'info', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', direct ?? 'pipe', direct ?? 'pipe']
  })
  // The child holds its own copy of the descriptor.
  if (direct !== undefined) closeSync(direct)
  const log = direct === undefined ? createWriteStream(logFile) : undefined
  // A bench that dies half-way must not leave the server running.
  const orphan = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', orphan)
  let ended: string | undefined
  const exit = new Promise<number | null>(resolve =>
    child.on('exit', (code, signal) => {
      process.off('exit', orphan)
      ended = signal === null ? `exit ${String(code)}` : `signal ${signal}`
      resolve(code)
    })
  )
  const errorLines: string[] = []
  let errors = 0
  let resolveAddress: (address: string) => void = () => {}
  const listening = new Promise<string>(resolve => {
    resolveAddress = resolve
  })

  const read = (stream: NodeJS.ReadableStream): void => {
    createInterface({ input: stream }).on('line', line => {
      log?.write(`${line}\n`)
      const entry = logEntry(line)
      if (entry === undefined) return
      if (typeof entry.address === 'string') resolveAddress(entry.address)
      if ((entry.level ?? 0) >= 50) {
        errors += 1
        if (errorLines.length < KEPT_ERROR_LINES) errorLines.push(line)
      }
    })
  }
  if (child.stdout !== null) read(child.stdout)
  if (child.stderr !== null) read(child.stderr)
  if (direct !== undefined)
    void addressInFile(logFile, () => ended !== undefined).then(address => {
      if (address !== undefined) resolveAddress(address)
    })

  const address = await Promise.race([
    listening,
    exit.then(code => {
      throw new Error(`server exited with ${String(code)} before listening; see ${logFile}`)
    }),
    new Promise<never>((_resolve, reject) =>
      setTimeout(
        () => reject(new Error(`server did not listen within ${LISTEN_TIMEOUT_MS} ms; see ${logFile}`)),
        LISTEN_TIMEOUT_MS
      ).unref()
    )
  ])

  return {
    child,
    address,
    errorLines,
    errorCount: () => errors,
    ended: () => ended,
    rss: async () => (ended === undefined ? await treeSum(child.pid as number, rssBytes) : undefined),
    cpuMs: async () => (ended === undefined ? await treeSum(child.pid as number, cpuMs) : undefined),
    stop: async () => {
      if (ended === undefined) child.kill('SIGTERM')
      const code = await exit
      if (log !== undefined && !log.writableEnded) await new Promise<void>(resolve => log.end(() => resolve()))
      return code
    }
  }
}
