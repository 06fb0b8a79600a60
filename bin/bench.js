#!/usr/bin/env node
// `npm run bench`: installs what it needs, builds, then runs bench/main.ts through tsx;
// its rows run the compiled build, as the container image does.
// `npm run bench -- store`: the embedded store alone (bench/store.ts); `npm run bench -- bodies`: Qdrant upsert bodies (bench/bodies.ts).
// The rows run on Node 24, the container image's Node (scripts/node24.sh makes it ready, once), so they measure what
// production runs; `BENCH_NODE=machine npm run bench` runs them on the Node that runs this script instead.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const onNode = process.env.BENCH_NODE || '24'
if (onNode !== '24' && onNode !== 'machine') {
  console.error(`BENCH_NODE=${onNode}: the bench runs on Node 24, the image's (BENCH_NODE=24, the default), or on the machine's Node (BENCH_NODE=machine)`)
  process.exit(2)
}
// Already on Node 24 (the machine's, or the tree's below): nothing to hand over.
const handOver = onNode === '24' && process.versions.node.split('.')[0] !== '24'
// In .node24/tree the checkout's set-up has run: its copied package files look newer than the installed modules.
if (!process.env.LOGSTREAM_BENCH_ON_NODE24) execFileSync('bash', ['scripts/setup.sh', '--test'], { cwd: root, stdio: 'inherit' })
if (handOver) {
  // --prepare says where it made the tree and Node 24 (tree=…, node=…); its other lines are progress.
  const said = execFileSync('bash', ['scripts/node24.sh', '--prepare'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  const ready = {}
  for (const line of said.split('\n')) {
    const m = /^(tree|node)=(.+)$/.exec(line)
    if (m) ready[m[1]] = m[2]
    else if (line) console.log(line)
  }
  if (!ready.tree || !ready.node) throw new Error(`scripts/node24.sh --prepare did not say where Node 24 is ready:\n${said}`)
  const { tree, node: node24 } = ready
  // The checkout's Kafka and Qdrant binaries, not second copies in the tree.
  const env = {
    ...process.env,
    LOGSTREAM_BENCH_ON_NODE24: '1',
    PATH: `${dirname(node24)}:${process.env.PATH}`,
    LOGSTREAM_KAFKA_HOME: process.env.LOGSTREAM_KAFKA_HOME ?? process.env.KAFKA_HOME ?? join(root, '.kafka'),
    LOGSTREAM_QDRANT_HOME: process.env.LOGSTREAM_QDRANT_HOME ?? join(root, '.qdrant'),
  }
  const run = spawnSync(node24, ['bin/bench.js', ...process.argv.slice(2)], { cwd: tree, env, stdio: 'inherit' })
  if (existsSync(join(tree, 'bench-results'))) cpSync(join(tree, 'bench-results'), join(root, 'bench-results'), { recursive: true })
  process.exit(run.status ?? 1)
}
const { register } = await import('tsx/esm/api')
register()
if (process.argv[2] === 'store') {
  await import('../bench/store.ts')
} else if (process.argv[2] === 'bodies') {
  await import('../bench/bodies.ts')
} else {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  process.env.LOGSTREAM_BENCH_BUILT = '1'
  await import('../bench/main.ts')
}
