// The service's node runs with a heap limit wherever it is started for real (`npm start`, the
// Docker image, the benchmarks through bench/support/server.ts). Without one, V8 on a host with
// 16 GB or more sizes the heap at 4 GB, and with an old generation of 2 GB or more it lets the
// heap grow to four times what is live before a full collection (its heap controller's largest
// growing factor): a soak saw RSS climb 242 -> 377 MB over a live heap of 55-64 MB. Below 2 GB
// the factor falls linearly to 1.3 at 256 MB; 1024 MB gives 1.6. The initial old space and the
// malloc arena cap hold RSS nearer its level from the first minute (docs/deployment.md, "Memory").
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { SERVICE_ENV, SERVICE_NODE_FLAGS } from '../../bench/support/server.js'

/** From this old generation size on, V8's largest heap growing factor is 4. */
const FACTOR_FOUR_FROM = 2 * 1024 ** 3

const flagsOf = (words: string[]): string[] =>
  words.filter(word => word.startsWith('--') && word !== '--enable-source-maps')

t.test('npm start, the Docker image and the benchmarks give node the same heap limit', async t => {
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: { start: string } }
  const start = flagsOf(pkg.scripts.start.split(/\s+/))
  t.match(start.join(' '), /--max-old-space-size=\d+/, 'npm start sets a heap limit')
  const cmd = /^CMD (\[.*\])$/m.exec(await readFile('Dockerfile', 'utf8'))?.[1]
  t.ok(cmd, 'the Dockerfile has an exec-form CMD')
  t.same(flagsOf(JSON.parse(cmd as string) as string[]), start, 'the Docker image starts node with the same flags')
  t.same(SERVICE_NODE_FLAGS, start, 'benchmarks start the server with the same flags')
})

t.test('npm start, the Docker image and the benchmarks cap malloc arenas alike', async t => {
  t.same(SERVICE_ENV, { MALLOC_ARENA_MAX: '2' }, 'npm start sets MALLOC_ARENA_MAX for node')
  const dockerfile = await readFile('Dockerfile', 'utf8')
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
  t.match(runtime, /^ENV (.*\\\n)*.*\bMALLOC_ARENA_MAX=2\b/m, 'the runtime image sets the same')
})

t.test('the limit keeps V8 below the size where it lets the heap grow fourfold', async t => {
  const limit = Number(
    execFileSync(process.execPath, [
      ...SERVICE_NODE_FLAGS,
      '-e',
      'process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))'
    ])
  )
  t.ok(limit > 0 && limit < FACTOR_FOUR_FROM, `heap limit ${(limit / 2 ** 20).toFixed(0)} MB`)
})
