// The suite's processes run without tap's @tapjs/processinfo loader hook (patched out while
// coverage is disabled; see scripts/test.ts): it cost every test process, and every server one
// starts, about half a second of CPU. A tap upgrade that drops the patches fails here.
import { spawnSync } from 'node:child_process'
import t from 'tap'

const hooked = (args: string): boolean => args.includes('processinfo')

t.test('this test process has no processinfo hook', async t => {
  t.equal(hooked(process.execArgv.join(' ')), false, process.execArgv.join(' '))
  t.equal(hooked(process.env.NODE_OPTIONS ?? ''), false, process.env.NODE_OPTIONS ?? '')
})

// What the spawned process prints: the flags it was started with and the NODE_OPTIONS it inherited.
const PRINT_FLAGS = "process.execArgv.join(' ') + ' ' + (process.env.NODE_OPTIONS ?? '')"

t.test('a process it spawns gets none either', async t => {
  const child = spawnSync(process.execPath, ['-p', PRINT_FLAGS], { encoding: 'utf8' })
  t.equal(child.status, 0, child.stderr)
  t.equal(hooked(child.stdout), false, child.stdout)
})
