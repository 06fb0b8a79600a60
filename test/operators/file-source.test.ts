import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { lastValueFrom, toArray, Subscription } from 'rxjs'
import { pino } from 'pino'
import { createFileSource, plausibleFileTime } from '../../operators/file-source.ts'
import { FlowControl } from '../../operators/flow-control.ts'
import type { SourceContext, SourceRecord } from '../../operators/contracts.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { eventually } from '../helpers/cli.ts'

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

const silent = pino({ level: 'silent' })
function sourceCtx(opts: { flow?: FlowControl; from?: number; signal?: AbortSignal } = {}): SourceContext {
  return { logger: silent, flow: opts.flow ?? new FlowControl(1_000_000), signal: opts.signal ?? new AbortController().signal, resumeFrom: () => opts.from }
}

test('lines become records with byte offsets; a last line without a newline is read too', async (t) => {
  const path = join(tempDir(t), 'a.log')
  writeFileSync(path, 'first\nsecond\r\n\nlast')
  const chunks = await lastValueFrom(createFileSource({ path }).open(sourceCtx()).pipe(toArray()))
  const records = chunks.flat()
  assert.deepEqual(records.map((r) => r.value.toString()), ['first', 'second', '', 'last'])
  assert.deepEqual(records.map((r) => [r.offset, r.nextOffset]), [[0, 6], [6, 14], [14, 15], [15, 19]])
  assert.ok(records.every((r) => r.partition === `file:${path}`))
})

test("records carry the file's modification time as read, unless it cannot be when the lines were written", async (t) => {
  const path = join(tempDir(t), 'a.log')
  writeFileSync(path, 'a\nb\n')
  const read = async () => (await lastValueFrom(createFileSource({ path }).open(sourceCtx()).pipe(toArray()))).flat().map((r) => r.fileTimeMs)
  const june = Date.UTC(2024, 5, 1, 12)
  utimesSync(path, june / 1000, june / 1000)
  assert.deepEqual(await read(), [june, june])
  // Archives and build tools set 0 or 1; a time ahead of the clock is no bound either.
  utimesSync(path, 1, 1)
  assert.deepEqual(await read(), [undefined, undefined])
  assert.equal(plausibleFileTime(Date.now() + 60_000), undefined)
  assert.equal(plausibleFileTime(Date.UTC(1999, 11, 31)), undefined)
  assert.equal(plausibleFileTime(june), june)
})

test('reading resumes at a committed position', async (t) => {
  const path = join(tempDir(t), 'a.log')
  writeFileSync(path, 'a\nb\nc\n')
  const records = (await lastValueFrom(createFileSource({ path }).open(sourceCtx({ from: 2 })).pipe(toArray()))).flat()
  assert.deepEqual(records.map((r) => r.value.toString()), ['b', 'c'])
})

test('lines spanning read blocks are whole; a line past the limit is cut and says how long it was', async (t) => {
  const path = join(tempDir(t), 'a.log')
  writeFileSync(path, `${'x'.repeat(50)}\n${'y'.repeat(300)}\nz\n`)
  const records = (await lastValueFrom(createFileSource({ path, blockSize: 16, maxLineBytes: 100 }).open(sourceCtx()).pipe(toArray()))).flat()
  assert.equal(records[0]!.value.toString(), 'x'.repeat(50))
  assert.equal(records[1]!.value.length, 101)
  assert.equal(records[1]!.headers?.original_length, '300')
  assert.equal(records[2]!.value.toString(), 'z')
  assert.equal(records[2]!.offset, 352)
})

test('the source waits while the pipeline is full and goes on when it drains', async (t) => {
  const path = join(tempDir(t), 'a.log')
  writeFileSync(path, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n')
  const flow = new FlowControl(10)
  const seen: SourceRecord[] = []
  const done = new Promise<void>((resolve, reject) => {
    createFileSource({ path, chunkSize: 5 }).open(sourceCtx({ flow })).subscribe({ next: (c) => void seen.push(...c), complete: resolve, error: reject })
  })
  // Waits for what must come; a short pause only where nothing more may come (a busy machine can only make it pass).
  await eventually(() => seen.length >= 10, 30_000, 5)
  await pause(50)
  assert.equal(seen.length, 10, 'stops at the flow limit')
  flow.release(10)
  await eventually(() => seen.length >= 20, 30_000, 5)
  await pause(50)
  assert.equal(seen.length, 20)
  flow.release(1000)
  // Keep releasing as records come, until the end.
  const timer = setInterval(() => flow.release(1000), 5)
  await done
  clearInterval(timer)
  assert.equal(seen.length, 100)
})

test('a followed file is read as it grows, and reading stops on the stop signal', async (t) => {
  const path = join(tempDir(t), 'a.log')
  writeFileSync(path, 'one\n')
  const stop = new AbortController()
  const seen: string[] = []
  const sub = new Subscription()
  const done = new Promise<void>((resolve, reject) => {
    sub.add(createFileSource({ path, follow: true, pollMs: 20 }).open(sourceCtx({ signal: stop.signal })).subscribe({ next: (c) => void seen.push(...c.map((r) => r.value.toString())), complete: resolve, error: reject }))
  })
  await eventually(() => seen.length >= 1, 30_000, 5)
  appendFileSync(path, 'two\nthr')
  await eventually(() => seen.length >= 2, 30_000, 5)
  // Three polls at least, for a partial line that must not come.
  await pause(80)
  assert.deepEqual(seen, ['one', 'two'], 'a partial last line waits for its newline')
  appendFileSync(path, 'ee\n')
  await eventually(() => seen.length >= 3, 30_000, 5)
  assert.deepEqual(seen, ['one', 'two', 'three'])
  stop.abort()
  await done
})

