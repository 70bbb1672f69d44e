// The layering holds: routes/jobs -> services -> db -> schemas, nothing back up, no import
// cycles (type-only ones included). The rules live in .dependency-cruiser.cjs (also run by
// `npx depcruise src`); both cruises here run in this process, sharing one TypeScript parser.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser'
import t from 'tap'

const ROOT = process.cwd()
const config = createRequire(path.join(ROOT, 'package.json'))('./.dependency-cruiser.cjs') as IConfiguration

async function cruiseSrc(baseDir: string): Promise<ICruiseResult> {
  const { output } = await cruise(
    ['src'],
    { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true, baseDir },
    { extensions: ['.ts', '.js'] }
  )
  return output as ICruiseResult
}

async function violations(baseDir: string): Promise<string[]> {
  return (await cruiseSrc(baseDir)).summary.violations.map(
    violation => `${violation.rule.name}: ${violation.from} -> ${violation.to}`
  )
}

t.test('the source keeps the layering and has no import cycle', async t => {
  const result = await cruiseSrc(ROOT)
  t.same(
    result.summary.violations.map(violation => `${violation.rule.name}: ${violation.from} -> ${violation.to}`),
    []
  )
  // A relative import the cruise could not follow to its file would hide any violation behind it.
  const unresolved = result.modules.flatMap(module =>
    module.dependencies
      .filter(dependency => dependency.couldNotResolve && dependency.module.startsWith('.'))
      .map(dependency => `${module.source} -> ${dependency.module}`)
  )
  t.same(unresolved, [])
  t.ok(result.summary.totalCruised > 200, `${result.summary.totalCruised} modules cruised`)
})

t.test(
  'a service reaching up into a route, a schema into a service, and a type-only cycle are each refused',
  async t => {
    const dir = await mkdtemp(path.join(tmpdir(), 'core314-layering-'))
    t.teardown(async () => {
      await rm(dir, { recursive: true, force: true })
    })
    const files: Record<string, string> = {
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
    const found = await violations(dir)
    t.ok(
      found.includes('services-stay-below-routes-jobs-plugins: src/services/things.ts -> src/routes/things.ts'),
      found.join('\n')
    )
    t.ok(
      found.includes('schemas-import-only-schemas: src/schemas/thing.ts -> src/services/things.ts'),
      found.join('\n')
    )
    t.ok(
      found.some(violation => /^no-circular: src\/jobs\/(a|b)\.ts/.test(violation)),
      found.join('\n')
    )
  }
)
