// Several real server processes (src/server.ts, as `npm start` runs it) on one test database, for
// the reliability tests that need separate instances: their own pools, schedulers, healing
// engines and pids, so a process can be killed or frozen while the others go on. Reads their
// JSON logs and /metrics, and stops whatever is still running when the test ends.
import type { Test } from 'tap'
import { TEST_ALLOWED_TARGETS, TEST_JWT_SECRET, TEST_SECRETS_KEY } from './app.js'
import { spawnServer, type ServerProcess } from './spawn-server.js'

export interface Instance {
  /** a, b, c... in the order they were started. */
  name: string
  server: ServerProcess
  address: string
  pid: number
}

/** Only the heal job, every second, with verification out of the way: for tests of actions across instances. */
export const HEALING_ONLY: Readonly<Record<string, string>> = Object.freeze({
  JOBS_ENABLED: 'true',
  HEAL_CRON: '* * * * * *',
  MONITOR_CRON: 'off',
  DETECT_CRON: 'off',
  MAINTENANCE_CRON: 'off',
  SELFTEST_CRON: 'off',
  SELFTEST_SCHEDULES: 'job_freshness=off',
  HEAL_VERIFY_DELAY_SECONDS: '3600'
})

export type LogLine = Record<string, unknown> & { msg?: string; job?: string; tick?: string }

/** Starts `count` servers on `databaseUrl` with `env` on top of the test defaults, all listening. */
export async function startInstances(
  t: Test,
  databaseUrl: string,
  count: number,
  env: Record<string, string> = {}
): Promise<Instance[]> {
  const servers = Array.from({ length: count }, () =>
    spawnServer({
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      SECRETS_KEY: TEST_SECRETS_KEY,
      HEAL_ALLOWED_TARGETS: TEST_ALLOWED_TARGETS,
      PORT: '0',
      RATE_LIMIT_MAX: '1000000',
      ...env
    })
  )
  t.teardown(() => {
    for (const server of servers) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
    }
  })
  const addresses = await Promise.all(servers.map(async server => await server.address))
  return servers.map((server, i) => ({
    name: String.fromCharCode(97 + i),
    server,
    address: addresses[i] as string,
    pid: server.child.pid as number
  }))
}

/** The instance's log so far, one object per JSON line. */
export function logLines(instance: Instance): LogLine[] {
  return instance.server
    .output()
    .split('\n')
    .flatMap(line => {
      if (!line.startsWith('{')) return []
      try {
        return [JSON.parse(line) as LogLine]
      } catch {
        return []
      }
    })
}

/** SIGTERM (drain: in-flight requests and running ticks finish), then the exit code. */
export async function stopInstance(instance: Instance): Promise<number | null> {
  if (instance.server.child.exitCode !== null || instance.server.child.signalCode !== null)
    return instance.server.child.exitCode
  instance.server.child.kill('SIGTERM')
  return await instance.server.exit
}

/** One counter of the instance's /metrics, summed over the series whose labels include `labels`. */
export async function metric(instance: Instance, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${instance.address}/metrics`)).text()
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`)
  return text
    .split('\n')
    .filter(line => line.startsWith(`${name}{`) && wanted.every(pair => line.includes(pair)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}
