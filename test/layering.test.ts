// The layering holds: routes/jobs -> services -> db -> schemas, nothing back up, no import
// cycles (type-only ones included). The rules live in .dependency-cruiser.cjs.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)
const ROOT = process.cwd()
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise')
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs')

async function cruise (cwd: string): Promise<{ code: number, output: string }> {
  try {
    const { stdout } = await run(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd })
    return { code: 0, output: stdout }
  } catch (error) {
    const failed = error as { code: number, stdout: string }
    return { code: failed.code, output: failed.stdout }
  }
}

t.test('the source keeps the layering and has no import cycle', async (t) => {
  const { code, output } = await cruise(ROOT)
  t.equal(code, 0, output)
})

t.test('a service reaching up into a route, a schema into a service, and a type-only cycle are each refused', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'core314-layering-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
    'src/routes/things.ts': 'export const route = 1\n',
    'src/services/things.ts': "import { route } from '../routes/things.js'\nexport const service = route\n",
    'src/schemas/thing.ts': "import { service } from '../services/things.js'\nexport const schema = service\n",
    'src/jobs/a.ts': "import type { B } from './b.js'\nexport interface A { b: B }\n",
    'src/jobs/b.ts': "import type { A } from './a.js'\nexport interface B { a: A }\n"
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await writeFile(path.join(dir, file), text)
  }
  const { code, output } = await cruise(dir)
  t.not(code, 0)
  t.match(output, /services-stay-below-routes-jobs-plugins: src\/services\/things\.ts/)
  t.match(output, /schemas-import-only-schemas: src\/schemas\/thing\.ts/)
  t.match(output, /no-circular: src\/jobs\/(a|b)\.ts/)
})
