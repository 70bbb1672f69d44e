// The committed contract passes the linters its users run, with their stock rulesets
// (.spectral.yaml, redocly.yaml): Spectral's spectral:oas with no finding at any severity, and
// Redocly's recommended rules with no error and no warning. Both run offline: a preload reports
// every connection or name lookup they attempt, and none may happen.
import t from 'tap'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { OPENAPI_FILE } from '../../src/openapi-document.js'

const GUARD = pathToFileURL(path.resolve('test/helpers/no-network.mjs')).href
const ATTEMPT = 'NETWORK ATTEMPT'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

async function runGuarded(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const { REDOCLY_TELEMETRY: _telemetry, ...inherited } = process.env
  const child = spawn(process.execPath, args, {
    env: { ...inherited, ...env, NODE_OPTIONS: `--import=${GUARD}`, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}

function attempts(run: Run): string[] {
  return run.stderr.split('\n').filter(line => line.startsWith(ATTEMPT))
}

t.test('the offline guard reports a connection attempt', async t => {
  const run = await runGuarded(['-e', "require('node:net').connect(9, '127.0.0.1').on('error', () => {})"])
  t.match(attempts(run), [/"port":9/])
})

t.test('Spectral (spectral:oas) finds nothing, at any severity, without the network', async t => {
  const run = await runGuarded([
    path.resolve('node_modules/@stoplight/spectral-cli/dist/index.js'),
    'lint',
    OPENAPI_FILE,
    '--ruleset',
    path.resolve('.spectral.yaml'),
    '--format',
    'json',
    '--fail-severity',
    'hint',
    '--quiet'
  ])
  t.same(attempts(run), [], 'no connection attempted')
  t.same(JSON.parse(run.stdout), [], 'no finding')
  t.equal(run.code, 0, run.stderr)
})

t.test('Redocly (recommended) reports 0 errors and 0 warnings, without the network', async t => {
  const run = await runGuarded([
    path.resolve('node_modules/@redocly/cli/bin/cli.js'),
    'lint',
    OPENAPI_FILE,
    '--config',
    path.resolve('redocly.yaml'),
    '--format',
    'json'
  ])
  t.same(attempts(run), [], 'no connection attempted (telemetry: off in redocly.yaml)')
  const report = JSON.parse(run.stdout) as {
    totals: { errors: number; warnings: number; ignored: number }
    problems: unknown[]
  }
  t.same(report.problems, [], 'no problem')
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 })
  t.equal(run.code, 0, run.stderr)
})
