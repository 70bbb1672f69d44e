// The production start as a new user and supervisors run it. `npm start` builds dist/, starts an
// embedded PostgreSQL under DATA_DIR (DATABASE_URL unset), migrates, prints working tokens and
// serves. A signal sent to the process that was started (npm itself, what docker, systemd with
// KillMode=process and most supervisors signal) drains and stops everything: the server exits,
// its port is free, and the embedded PostgreSQL it started (its postmaster) is gone.
import t from 'tap'
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createVerifier } from '../src/services/auth/tokens.js'
import { freePort, portFree } from './helpers/ports.js'
import { alive } from './helpers/spawn-server.js'

// close-with-grace's delay in src/server.ts: past it the process exits whatever is left.
const DRAIN_MS = 30_000
// Two starts with an embedded PostgreSQL (initdb on the first) on a loaded machine.
t.setTimeout(6 * 60_000)

async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still running'> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'still running'>(resolve => {
    timer = setTimeout(() => resolve('still running'), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'core314-start-'))
// PostgreSQL runs as its own system user when we are root; it must reach the folder.
await chmod(dataDir, 0o755)
t.teardown(async () => {
  await rm(dataDir, { recursive: true, force: true })
})
const embeddedPort = await freePort()

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} to the process npm start started stops the server and its embedded PostgreSQL`, async t => {
    const port = await freePort()
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => ['PATH', 'HOME', 'TMPDIR', 'LANG'].includes(name))
    )
    const npm = spawn('npm', ['start'], {
      cwd: process.cwd(),
      env: {
        ...inherited,
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(embeddedPort),
        PORT: String(port),
        JOBS_ENABLED: 'false',
        LOG_LEVEL: 'info'
      } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve =>
      npm.on('exit', (code, received) => resolve({ code, signal: received }))
    )
    t.teardown(() => {
      if (npm.exitCode === null) npm.kill('SIGKILL')
    })
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString()
        if (output.includes('"msg":"Core314 self-healing service listening"')) resolve()
      }
      npm.stdout.on('data', onData)
      npm.stderr.on('data', onData)
      void exit.then(() => reject(new Error(`npm start exited before listening:\n${output}`)))
    })
    await listening
    t.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, 'it serves')
    t.equal((await fetch(`http://127.0.0.1:${port}/console`)).status, 200, 'the build made the console it serves')
    for (let waited = 0; !output.includes('/console#token=') && waited < 10_000; waited += 100)
      await new Promise(resolve => setTimeout(resolve, 100))
    t.match(
      output,
      `http://127.0.0.1:${port}/console#token=ey`,
      'the link signing the admin in carries the token in its fragment'
    )
    t.notOk(
      output.split('\n').some(line => line.startsWith('{') && line.includes('token=')),
      'no log line carries it'
    )
    const tokens = [...output.matchAll(/^ {4}(eyJ\S+)$/gm)].map(match => match[1] as string)
    t.equal(tokens.length, 2, 'an admin and a service token are printed')
    const verify = createVerifier({ jwtSecret: (await readFile(path.join(dataDir, 'jwt-secret'), 'utf8')).trim() })
    const [admin, service] = await Promise.all(tokens.map(verify))
    t.match(admin, { role: 'authenticated', app_metadata: { role: 'admin' } }, 'the admin token verifies')
    t.match(service, { role: 'service_role' }, 'the service token verifies')
    t.match(output, /Docs: +http:\/\/127\.0\.0\.1:\d+\/docs/)
    const postmaster = Number((await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0])
    t.ok(alive(postmaster), 'the embedded PostgreSQL runs')

    npm.kill(signal)
    const exited = await within(exit, DRAIN_MS)
    t.same(exited, { code: 0, signal: null }, `npm exits 0 within the drain time once the server has drained`)
    t.match(
      output,
      new RegExp(`"signal":"${signal}",("worker":false,)?"msg":"draining before exit"`),
      'the server itself received the signal and drained'
    )
    t.ok(await portFree(port), 'the port is free')
    // The postmaster may take a moment to finish its shutdown checkpoint after the server stopped it.
    for (let waited = 0; alive(postmaster) && waited < 10_000; waited += 100)
      await new Promise(resolve => setTimeout(resolve, 100))
    t.notOk(alive(postmaster), 'the embedded PostgreSQL is gone')
  })
}
