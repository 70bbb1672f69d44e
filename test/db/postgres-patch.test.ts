// The start-up check for patches/postgres+3.4.9.patch, both ways: the installed driver passes;
// a copy with the patch reversed (what `npm install --ignore-scripts` leaves) is named as
// unpatched, and the real entry point, made to import that copy, refuses to start.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadedPostgresDir, postgresPatchProblem } from '../../src/db/postgres-patch.js'
import { spawnServer } from '../helpers/spawn-server.js'

const PATCH = path.resolve('patches/postgres+3.4.9.patch')

/** A copy of the installed driver with the patch reversed: postgres.js as npm ships it. */
async function unpatchedCopy(t: Test): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'core314-unpatched-'))
  t.teardown(async () => {
    await rm(root, { recursive: true, force: true })
  })
  const packageDir = path.join(root, 'postgres')
  await cp(path.dirname(loadedPostgresDir()), packageDir, { recursive: true })
  // The patch names a/node_modules/postgres/...: three components up to the package folder.
  execFileSync('patch', ['-R', '-p3', '--silent', '-i', PATCH], { cwd: packageDir })
  return packageDir
}

t.test('the installed postgres.js carries the patch', async t => {
  t.equal(await postgresPatchProblem(), null)
})

t.test('an unpatched copy is refused with a message that says what is missing and how to fix it', async t => {
  const packageDir = await unpatchedCopy(t)
  const problem = await postgresPatchProblem(path.join(packageDir, 'src'))
  t.match(problem, /lacks patches\/postgres\+3\.4\.9\.patch/)
  t.match(problem, /connection\.js: "Patched \(porsager\/postgres#1130, #1142\)"/)
  t.match(problem, /index\.js: "scoped\.catch/)
  t.match(problem, /--ignore-scripts/)
  t.match(problem, /npx patch-package/)
  t.match(await postgresPatchProblem(path.join(packageDir, 'missing')), /lacks/, 'an unreadable install is refused too')
})

t.test('the entry point refuses to start on the unpatched driver', async t => {
  const packageDir = await unpatchedCopy(t)
  // A resolution hook makes every `import 'postgres'` of the server load the unpatched copy.
  const entry = pathToFileURL(path.join(packageDir, 'src', 'index.js')).href
  const hooks = `export async function resolve (specifier, context, next) {
    return specifier === 'postgres' ? { url: ${JSON.stringify(entry)}, shortCircuit: true } : await next(specifier, context)
  }`
  const register = path.join(path.dirname(packageDir), 'register.mjs')
  await writeFile(
    register,
    `import { register } from 'node:module'\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)})\n`
  )
  const server = spawnServer(
    { PORT: '0', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', JWT_SECRET: 'x'.repeat(32) },
    [pathToFileURL(register).href]
  )
  t.teardown(() => {
    server.child.kill('SIGKILL')
  })
  t.equal(await server.exit, 1)
  t.match(
    server.output(),
    /refusing to start: postgres\.js in .*core314-unpatched-.* lacks patches\/postgres\+3\.4\.9\.patch/
  )
})
