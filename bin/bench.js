#!/usr/bin/env node
// `npm run bench`: installs what it needs, builds, then runs bench/main.ts through tsx;
// its rows run the compiled build, as the container image does.
// `npm run bench -- store`: the embedded store alone (bench/store.ts); `npm run bench -- bodies`: Qdrant upsert bodies (bench/bodies.ts).
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
execFileSync('bash', ['scripts/setup.sh', '--test'], { cwd: root, stdio: 'inherit' })
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
