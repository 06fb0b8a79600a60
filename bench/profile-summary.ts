/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) for BENCHMARKS.md: the
 * share of the main thread's busy time (idle left out) by self time of each
 * function and by area (file or module), and the inclusive share of the
 * functions named on the command line.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [top=25] [function…]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArg, ...named] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile [top] [function…]\n')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const self = new Map<number, number>()
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))

const area = (url: string): string => {
  if (!url) return '(native or V8)'
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]!
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  const local = /\/(operators|src|checkpoints|core|bench)\/(.+?)\.[jt]s$/.exec(url)
  return local ? `${local[1]}/${local[2]}` : url
}
const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${area(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`

let idle = 0
let total = 0
const fnSelf = new Map<string, number>()
const areaSelf = new Map<string, number>()
for (const [id, us] of self) {
  const n = byId.get(id)!
  total += us
  if (n.callFrame.functionName === '(idle)') {
    idle += us
    continue
  }
  const special = n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : null
  fnSelf.set(key(n), (fnSelf.get(key(n)) ?? 0) + us)
  const a = special ?? area(n.callFrame.url)
  areaSelf.set(a, (areaSelf.get(a) ?? 0) + us)
}
const busy = total - idle
const pct = (us: number) => `${((us / busy) * 100).toFixed(1)}%`
const rows = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)

const out: string[] = [`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (${((busy / total) * 100).toFixed(0)}%), ${(idle / 1e6).toFixed(2)} s idle`, '', 'self time by area:']
for (const [a, us] of rows(areaSelf)) out.push(`  ${pct(us).padStart(6)}  ${a}`)
out.push('', 'self time by function:')
for (const [f, us] of rows(fnSelf)) out.push(`  ${pct(us).padStart(6)}  ${f}`)

if (named.length > 0) {
  // Inclusive time of each named function, counted once per sample however deep it recurs.
  out.push('', 'inclusive time:')
  for (const name of named) {
    let us = 0
    profile.samples.forEach((id, i) => {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (byId.get(at)!.callFrame.functionName === name) {
          us += profile.timeDeltas[i] ?? 0
          break
        }
      }
    })
    out.push(`  ${pct(us).padStart(6)}  ${name}`)
  }
}
process.stdout.write(`${out.join('\n')}\n`)
