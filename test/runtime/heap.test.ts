import { test } from 'node:test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { limitHeapGrowth } from '../../src/runtime/heap.ts'
import { loadConfig } from '../../src/config.ts'
import { ConfigError } from '../../core/errors.ts'
import { imageProcessEnv } from '../../bench/processes.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

test('the heap growth limit: 200% by default, set from the configuration, 0 leaves V8 its own', () => {
  assert.equal(loadConfig().heapGrowingPercent, 200)
  assert.equal(loadConfig({ env: { LOGSTREAM_HEAP_GROWING_PERCENT: '0' } }).heapGrowingPercent, 0)
  assert.equal(loadConfig({ flags: new Map([['heap-growing-percent', ['300']]]) }).heapGrowingPercent, 300)
  assert.throws(() => loadConfig({ flags: new Map([['heap-growing-percent', ['-5']]]) }), (e: unknown) => e instanceof ConfigError && /heapGrowingPercent/.test(e.message))
  assert.equal(limitHeapGrowth(0), false)
  assert.equal(limitHeapGrowth(100), true)
})

test("the store's threads keep their 4 MB young generation when NODE_OPTIONS sizes the main thread's (the image's --max-semi-space-size)", () => {
  // The flag must be there when the process starts, as the image sets it: a child process. Its thread makes garbage,
  // then says how large its young generation grew (16 MB when the flag overrides the thread's own limit).
  const script = `
    import { startSqliteThread } from ${JSON.stringify(new URL('../../src/adapters/sqlite-thread.ts', import.meta.url).href)}
    const thread = startSqliteThread({ role: 'probe', path: ':memory:', cacheMb: 1, script: \`function handle() {
      let kept = []
      for (let i = 0; i < 300000; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 20000) kept = [] }
      return require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
    }\` })
    process.stdout.write(String(await thread.request({})))
    await thread.close()
  `
  const imageOptions = imageProcessEnv(ROOT).NODE_OPTIONS ?? ''
  assert.match(imageOptions, /--max-semi-space-size=[1-9]/, "the image sizes the main thread's young generation (deploy/Dockerfile)")
  const dir = mkdtempSync(join(tmpdir(), 'logstream-heap-'))
  writeFileSync(join(dir, 'probe.mts'), script)
  let out: string
  try {
    out = execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'probe.mts')], {
      env: { ...process.env, NODE_OPTIONS: imageOptions },
      encoding: 'utf8',
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const newSpace = Number(out)
  assert.ok(newSpace > 0, `the thread answered its young generation's size (${out})`)
  assert.ok(newSpace <= 4 * 2 ** 20, `young generation ${newSpace} bytes, at most the thread's 4 MB`)
})
