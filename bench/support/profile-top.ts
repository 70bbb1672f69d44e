// `tsx bench/support/profile-top.ts FILE.cpuprofile [N]`: the N functions with the most self
// time in a V8 CPU profile (node --cpu-prof, or BENCH_CPU_PROF=DIR npm run bench:ingest), and
// the share of each package or source folder, for reading where a server's time goes without
// a browser's DevTools.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, count = '25'] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: profile-top.ts FILE.cpuprofile [N]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map(node => [node.id, node]))
const self = new Map<string, number>()
const areas = new Map<string, number>()
let total = 0

function area(url: string): string {
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]
  if (module !== undefined) return module
  if (url.startsWith('node:')) return 'node internals'
  const source = /\/(src|dist)\/(.+)\/[^/]+$/.exec(url)?.[2]
  if (source !== undefined) return `service ${source}/`
  return url === '' ? 'V8 (GC, idle, native)' : 'other'
}

profile.samples.forEach((id, index) => {
  const node = byId.get(id)
  const micros = profile.timeDeltas[index] ?? 0
  if (node === undefined) return
  total += micros
  const { functionName, url, lineNumber } = node.callFrame
  const key = `${functionName === '' ? '(anonymous)' : functionName} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|dist)\//, '$1/')}:${lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + micros)
  areas.set(area(url), (areas.get(area(url)) ?? 0) + micros)
})

const share = (micros: number): string => `${((micros / total) * 100).toFixed(1).padStart(5)}%`
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time by package or folder:`)
for (const [name, micros] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`  ${share(micros)}  ${name}`)
console.log('\nfunctions by self time:')
for (const [name, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count)))
  console.log(`  ${share(micros)}  ${name}`)
