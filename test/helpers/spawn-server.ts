// Runs the real entry point (src/server.ts) as a child process, the way `npm start` does.
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// `npm test` runs the suite compiled (scripts/test.ts), this helper included, and then starts
// the compiled entry point beside it; loading the TypeScript through tsx would cost each start
// several seconds. Run straight from the sources, it starts src/server.ts through tsx.
const compiled = import.meta.url.endsWith('.js')
const entry = fileURLToPath(new URL(`../../src/server.${compiled ? 'js' : 'ts'}`, import.meta.url))
const nodeArgs = compiled ? ['--enable-source-maps', entry] : ['--import', 'tsx', entry]
const EXIT_WITH_PARENT = pathToFileURL(path.resolve('test/helpers/exit-with-parent.mjs')).href

export interface ServerProcess {
  child: ChildProcess
  /** Resolves with the address once the server logs that it listens. */
  address: Promise<string>
  output: () => string
  exit: Promise<number | null>
}

/** `imports`: modules Node loads before the entry (`--import`), such as module resolution hooks. */
export function spawnServer(env: Record<string, string>, imports: string[] = []): ServerProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => ['PATH', 'HOME', 'TMPDIR', 'LANG'].includes(name))
  )
  const child = spawn(
    process.execPath,
    [...[EXIT_WITH_PARENT, ...imports].flatMap(url => ['--import', url]), ...nodeArgs],
    {
      // One process unless a test asks for workers: the tests that kill or freeze an instance
      // mean the process that serves (its pid is the one in leases and logs).
      env: {
        ...inherited,
        LOG_LEVEL: 'info',
        JOBS_ENABLED: 'false',
        WEB_CONCURRENCY: '1',
        ...env
      } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  let text = ''
  const address = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString()
      const match = /"address":"(http:\/\/[^"]+)"/.exec(text)
      if (match !== null) resolve(match[1] as string)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', code => reject(new Error(`server exited with ${String(code)} before listening:\n${text}`)))
  })
  address.catch(() => {})
  const exit = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  return { child, address, output: () => text, exit }
}

/** Whether a process with this pid still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
