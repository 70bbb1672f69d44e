// `npm test`: provides a PostgreSQL for the suite (DATABASE_URL's server, or an embedded one
// under .data/test-<port>), builds a migrated template database once, compiles the TypeScript
// once, then runs tap on the compiled files. Every test file clones the template into a fresh
// database of its own (test/helpers/database.ts).
//
// Why compile: under tsx every module a test process loads (typebox alone is ~700 files) is
// resolved through loader hooks that Node 20 runs on another thread, a cross-thread round trip
// per import; that made loading the app cost each test file 2-3x what loading plain JavaScript
// does. esbuild transpiles the sources once per run (types are checked by `tsc --noEmit`, not
// here) with inline source maps, so stack traces still name the .ts lines.
//
// Why bundle: every module a test process loads is a file to resolve, read and compile. Our ~180
// source modules and the ES-module packages of many files (typebox ~680, openai ~150) are bundled
// into the test files and shared chunks (code splitting keeps one instance of each module per
// process); while tap's @tapjs/processinfo loader hook still ran in every test process, each of
// those modules was also a round trip to the hook's thread, and bundling took ~0.7 s of CPU off
// every start. Source contents are left out of the maps (~0.3 s more): stack traces and tap's
// source excerpts read the .ts files themselves.
//
// Why no processinfo: tap records every process a test starts, for coverage, through that hook,
// on by default in each test process and in every process one spawns (a server, a worker).
// Coverage is off here (package.json), so nothing reads the record: patches/@tapjs+run and
// patches/@tapjs+core leave the hook out when coverage is disabled, which took a quarter off the
// suite's CPU (13.0 to 9.8 minutes; 422 s to 316 s of wall time on 2 cores).
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { createSql } from '../src/db/client.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js'
import { migrate } from '../src/db/migrate.js'
import { buildConsole } from './console-build.js'

const TEMPLATE = 'core314_test_template'
const TEST_DATABASE_PREFIX = 'core314_t_'
const TAP = path.join('node_modules', 'tap', 'dist', 'esm', 'run.mjs')
// Entry points besides the test files: what the tests start as processes of their own.
const SPAWNED = ['src/server.ts']
// Folders the code reads by a path relative to its own file.
const LINKED = ['migrations', 'openapi', 'deploy', 'console']
// ES-module packages of many files, bundled with the code; every other package stays a
// package, loaded from node_modules as Node loads it (CommonJS ones find their own files).
const BUNDLED = new Set(['typebox', 'openai', 'jose', 'fast-check'])

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(file => file.endsWith('.ts'))
    .map(file => path.join(dir, file))
}

// tap only finds test files through its `include` globs, so a folder given on the command line
// is expanded here into the test files below it, and each is named by its compiled path.
function testFiles(arg: string, outDir: string): string[] {
  if (arg.startsWith('-')) return [arg]
  const files =
    statSync(arg, { throwIfNoEntry: false })?.isDirectory() === true
      ? tsFiles(arg)
          .filter(file => file.endsWith('.test.ts'))
          .sort()
      : [arg]
  return files.map(file => path.join(outDir, file.replace(/\.ts$/, '.js')))
}

// tap bakes its plugin list into node_modules and rebuilds it when package.json's differs, but
// only after its runner has chosen the test processes' loaders: a fresh install's first run
// loaded the excluded TypeScript plugin's ts-node hooks into every test file, which made that run
// twice as slow. Building first, once per install (a marker in node_modules), avoids it.
async function buildTapPlugins(): Promise<void> {
  const marker = path.join('node_modules', '.core314-tap-plugins')
  const wanted = JSON.stringify(
    (JSON.parse(readFileSync('package.json', 'utf8')) as { tap: { plugin: string[] } }).tap.plugin
  )
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return
  const tapBuild = spawn(process.execPath, [TAP, 'build'], { stdio: 'inherit' })
  const code = await new Promise<number | null>(resolve => tapBuild.on('exit', resolve))
  if (code !== 0) throw new Error(`tap build exited with ${String(code)}`)
  writeFileSync(marker, wanted)
}

function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string)
}

// Bundling moves a module's code into its importer or a shared chunk, so `import.meta.url`
// would name that file instead: each source file gets the URL its own compiled file would
// have, which is what its relative paths (migrations, the server entry point) assume.
function testLayout(outDir: string): Plugin {
  return {
    name: 'core314-test-layout',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, args =>
        BUNDLED.has(packageName(args.path)) ? undefined : { path: args.path, external: true }
      )
      build.onLoad({ filter: /\.ts$/ }, args => {
        const source = readFileSync(args.path, 'utf8')
        if (!source.includes('import.meta.url')) return undefined
        const url = pathToFileURL(path.join(outDir, path.relative('.', args.path)).replace(/\.ts$/, '.js')).href
        return { contents: source.replaceAll('import.meta.url', JSON.stringify(url)), loader: 'ts' }
      })
    }
  }
}

/** A run's own copy of the compiled sources, so suites on different ports can run side by side. */
async function compile(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true })
  await build({
    entryPoints: [...tsFiles('test').filter(file => file.endsWith('.test.ts')), ...SPAWNED],
    outdir: outDir,
    outbase: '.',
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [testLayout(outDir)],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'warning'
  })
  for (const dir of LINKED) symlinkSync(path.resolve(dir), path.join(outDir, dir))
  // Where src/routes/console.ts finds the built console from its compiled file, as from dist/.
  await buildConsole(path.join(outDir, 'dist', 'console'))
}

// A log keeps only its tail (CI shows the last lines): the failed assertions, with the file each
// is in, are repeated at the end so they can be read there.
function echoCollectingFailures(stream: Readable): string[] {
  const failures: string[] = []
  let file = ''
  createInterface({ input: stream }).on('line', line => {
    process.stdout.write(`${line}\n`)
    const subtest = /^# Subtest: (\S+)/.exec(line)
    if (subtest !== null) file = subtest[1] as string
    else if (/^\s+not ok /.test(line)) failures.push(`${file}: ${line.trim()}`)
  })
  return failures
}

let database: EmbeddedDatabase | undefined
let adminUrl = process.env.DATABASE_URL
const port = Number(process.env.TEST_PG_PORT ?? 54330)
const outDir = path.join('.build', adminUrl === undefined || adminUrl === '' ? `test-${port}` : `test-${process.pid}`)
if (adminUrl === undefined || adminUrl === '') {
  // A data folder per port, so suites on different ports can run side by side.
  // Test data is disposable: skipping durability makes every database clone and write cheaper.
  database = await startEmbeddedPostgres(path.resolve(`.data/test-${port}`), port, () => {}, [
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off'
  ])
  adminUrl = database.url
}

const admin = createSql(adminUrl, { max: 1 })
let code = 1
try {
  const leftovers = await admin<
    { datname: string }[]
  >`select datname from pg_database where datname like ${`${TEST_DATABASE_PREFIX}%`} or datname = ${TEMPLATE}`
  for (const { datname } of leftovers) await admin`drop database if exists ${admin(datname)} with (force)`
  await admin`create database ${admin(TEMPLATE)}`
  const templateUrl = new URL(adminUrl)
  templateUrl.pathname = `/${TEMPLATE}`
  const template = createSql(templateUrl.toString(), { max: 1 })
  // The database migrates while esbuild compiles: neither needs the other.
  const compiled = buildTapPlugins().then(async () => {
    await compile(outDir)
  })
  try {
    await migrate(template)
  } finally {
    await template.end()
  }
  await compiled
  const args = process.argv.slice(2)
  const files = args.some(arg => !arg.startsWith('-'))
    ? args.flatMap(arg => testFiles(arg, outDir))
    : [...args, ...testFiles('test', outDir)]
  // Without a terminal (CI), plain TAP: the interactive reporter's redraws are unreadable in a log.
  const reporter = process.stdout.isTTY ? [] : ['--reporter=tap']
  // tap's own runner straight from node_modules: `npx` would start npm first, a second of CPU.
  // (tap gives every test process --enable-source-maps itself.)
  const tap = spawn(process.execPath, [TAP, ...reporter, ...files], {
    stdio: ['inherit', process.stdout.isTTY ? 'inherit' : 'pipe', 'inherit'],
    env: {
      ...process.env,
      TEST_ADMIN_URL: adminUrl,
      TEST_TEMPLATE: TEMPLATE,
      TEST_DATABASE_PREFIX,
      TEST_CLONE_BY_FILE_COPY: String(database !== undefined)
    }
  })
  const failures = tap.stdout === null ? undefined : echoCollectingFailures(tap.stdout)
  code = await new Promise<number>(resolve => tap.on('close', exitCode => resolve(exitCode ?? 1)))
  if (failures !== undefined && failures.length > 0)
    process.stdout.write(`\n# failed assertions:\n${failures.map(line => `#   ${line}`).join('\n')}\n`)
} finally {
  await admin.end()
  await database?.stop()
  rmSync(outDir, { recursive: true, force: true })
}
process.exit(code)
