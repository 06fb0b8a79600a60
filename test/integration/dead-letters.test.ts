/**
 * Dead letters: the Kafka dead-letter topic with its headers, `dlq list`, and
 * `dlq replay` after a fix (here: a larger message limit), which sends each
 * message again with its own time and headers, so it keeps its id.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { tempDir } from '../helpers/temp-dir.ts'
import { runCli, summaryOf } from '../helpers/cli.ts'
import { kcatConsumeAll, kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedPayloads } from '../helpers/store.ts'
import { pointId } from '../../operators/point-id.ts'

const long = JSON.stringify({ text: `Receiving block blk_42 ${'x'.repeat(200)}`, timestamp: '2025-09-27T10:30:45.123' })
// No timestamp field: the entry's time, and so its id, is the Kafka message's.
const untimedText = `Receiving block blk_43 ${'x'.repeat(200)}`
const longUntimed = JSON.stringify({ text: untimedText })

test('malformed Kafka messages go to <topic>.dlq with reason and origin headers; replay after a fix re-feeds them', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  await broker.createTopic(topic, 1)
  await broker.createTopic(`${topic}.dlq`, 1)
  const dir = tempDir(t)
  const job = ['--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints')]
  const run = (extra: string[]) => runCli(['run', ...job, '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s', ...extra])
  await kcatProduce(broker.bootstrap, topic, [`k1\t${JSON.stringify({ text: 'fine line', timestamp: 't' })}`, `k2\t${longUntimed}`, 'k3\t{"text": broken'], { keyed: true, headers: { trace: 'abc' } })
  const original = (await kcatConsumeAll(broker.bootstrap, topic)).find((m) => m.key === 'k2')!
  assert.ok(original.timestampMs > 0)
  const first = await run(['--max-message-bytes', '150'])
  assert.equal(first.code, 0, first.stderr)
  assert.equal(summaryOf(first).deadLettered, 2)

  const dlq = await kcatConsumeAll(broker.bootstrap, `${topic}.dlq`)
  assert.equal(dlq.length, 2)
  const oversized = dlq.find((m) => m.key === 'k2')!
  assert.equal(oversized.value, longUntimed, 'the original value')
  for (const h of ['reason=oversized', `topic=${topic}`, 'partition=0', 'offset=1', 'trace=abc']) assert.ok(oversized.headers.includes(h), `header ${h} in ${oversized.headers}`)
  assert.equal(oversized.timestampMs, original.timestampMs, 'the original time')
  assert.ok(dlq.find((m) => m.key === 'k3')!.headers.includes('reason=bad-json'))

  const listed = await runCli(['dlq', 'list', '--json', ...job])
  const letters = JSON.parse(listed.stdout) as Array<{ partition: string; offset: number; reason: string }>
  assert.deepEqual(letters.map((l) => [l.partition, l.offset, l.reason]), [[`${topic}/0`, 1, 'oversized'], [`${topic}/0`, 2, 'bad-json']])

  const replay = await runCli(['dlq', 'replay', '--json', ...job, '--max-message-bytes', '100000'])
  assert.equal(replay.code, 0, replay.stderr)
  assert.deepEqual(JSON.parse(replay.stdout), { replayed: 1, stillMalformed: 1, to: 'their topics' })
  const replayed = (await kcatConsumeAll(broker.bootstrap, topic)).find((m) => m.offset === 3)!
  assert.equal(replayed.value, longUntimed)
  assert.equal(replayed.timestampMs, original.timestampMs, 'sent again with its own time')
  for (const h of ['trace=abc', `replayed_from=${topic}/0@1`]) assert.ok(replayed.headers.includes(h), `header ${h} in ${replayed.headers}`)
  const second = await run(['--max-message-bytes', '100000'])
  assert.equal(summaryOf(second).stored, 1, 'the replayed message is stored')
  // The id the original would have had: a later re-read of the topic (`run --rebuild`) finds it stored, not a second point.
  const timestamp = new Date(original.timestampMs).toISOString().slice(0, 23)
  const point = (await storedPayloads(dir)).find((p) => p.text === untimedText)!
  assert.equal(point.timestamp, timestamp)
  assert.equal(point.id, pointId(untimedText, timestamp))
  const left = JSON.parse((await runCli(['dlq', 'list', '--json', ...job])).stdout) as Array<{ reason: string }>
  assert.deepEqual(left.map((l) => l.reason), ['bad-json'], 'what is still malformed stays')
})

test('a file job replays its dead letters into a file', async (t) => {
  const dir = tempDir(t)
  const input = join(dir, 'in.log')
  writeFileSync(input, `${long}\n{"text": broken\n`)
  const job = ['--source', `file:${input}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints')]
  assert.equal(summaryOf(await runCli(['run', ...job, '--no-http', '--max-message-bytes', '150'])).deadLettered, 2)
  const refused = await runCli(['dlq', 'replay', ...job])
  assert.equal(refused.code, 2)
  const out = join(dir, 'replayed.log')
  const replay = await runCli(['dlq', 'replay', ...job, '--to-file', out, '--max-message-bytes', '100000'])
  assert.equal(replay.code, 0, replay.stderr)
  assert.equal(readFileSync(out, 'utf8'), `${long}\n`)
})

test('dead letters past --dead-letters-kept-mb: the oldest are dropped and reported, the newest kept, every one counted', async (t) => {
  const dir = tempDir(t)
  const input = join(dir, 'in.log')
  // 3,000 lines that claim to be JSON and are not, about 2.3 MiB of dead letters: more than twice the room of 1 MiB.
  const lines = Array.from({ length: 3000 }, (_, i) => `{"text": "broken ${i} ${'y'.repeat(700)}`)
  writeFileSync(input, `${lines.join('\n')}\n`)
  const job = ['--source', `file:${input}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints')]
  const run = await runCli(['run', ...job, '--no-http', '--batch-size', '500', '--dead-letters-kept-mb', '1'])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(summaryOf(run).deadLettered, 3000, 'every malformed line is counted')
  const reports = run.logs.filter((l) => String(l.msg).startsWith('the oldest dead letters were dropped'))
  const dropped = reports.reduce((n, l) => n + (l.count as number), 0)
  assert.ok(dropped > 1500, `dropped ${dropped}`)

  const kept = JSON.parse((await runCli(['dlq', 'list', '--json', '--limit', '5000', ...job])).stdout) as Array<{ offset: number; value: string; detail: string }>
  assert.equal(kept.length + dropped, 3000, 'each one either kept or reported dropped')
  // A file record's offset is its line's first byte.
  let at = 0
  const starts = lines.map((l) => (at += l.length + 1) - l.length - 1)
  assert.deepEqual(kept.map((d) => d.offset), starts.slice(3000 - kept.length), 'the newest are kept')
  const room = kept.reduce((n, d) => n + Buffer.from(d.value, 'base64').length + Buffer.byteLength(d.detail) + 64, 0)
  assert.ok(room <= 1 << 20, `${room} bytes kept`)
  assert.ok(room > (1 << 20) - 2000, `the room is used: ${room} bytes kept`)
})

test('a room made smaller takes effect when the job starts again, with no new dead letter: the oldest are dropped and reported', async (t) => {
  const dir = tempDir(t)
  const input = join(dir, 'in.log')
  // 2,000 lines that claim to be JSON and are not, about 1.6 MiB of dead letters: within 2 MiB, past 1 MiB.
  const lines = Array.from({ length: 2000 }, (_, i) => `{"text": "broken ${i} ${'y'.repeat(700)}`)
  writeFileSync(input, `${lines.join('\n')}\n`)
  const job = ['--source', `file:${input}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http']
  const first = await runCli(['run', ...job, '--dead-letters-kept-mb', '2'])
  assert.equal(first.code, 0, first.stderr)
  assert.equal(summaryOf(first).deadLettered, 2000)
  assert.ok(!first.logs.some((l) => String(l.msg).startsWith('the oldest dead letters were dropped')), 'all kept within 2 MiB')

  // Started again on the same file: nothing new to read, so no commit; the smaller room is kept at start all the same.
  const again = await runCli(['run', ...job, '--dead-letters-kept-mb', '1'])
  assert.equal(again.code, 0, again.stderr)
  assert.equal(summaryOf(again).received, 0)
  const reports = again.logs.filter((l) => String(l.msg).startsWith('the oldest dead letters were dropped'))
  assert.equal(reports.length, 1)
  assert.equal(reports[0]!.at, 'start')
  const kept = JSON.parse((await runCli(['dlq', 'list', '--json', '--limit', '5000', ...job.slice(0, -1)])).stdout) as Array<{ value: string; detail: string; offset: number }>
  assert.equal(kept.length + (reports[0]!.count as number), 2000, 'each one either kept or reported dropped')
  const room = kept.reduce((n, d) => n + Buffer.from(d.value, 'base64').length + Buffer.byteLength(d.detail) + 64, 0)
  assert.ok(room <= 1 << 20 && room > (1 << 20) - 2000, `${room} bytes kept`)
  assert.equal(kept[0]!.offset, lines.slice(0, 2000 - kept.length).reduce((n, l) => n + l.length + 1, 0), 'the newest are kept')
})

test('dlq list --json prints every dead letter whole into a pipe, megabytes of them', async (t) => {
  const dir = tempDir(t)
  const input = join(dir, 'in.log')
  writeFileSync(input, Array.from({ length: 2000 }, (_, i) => `${i} ${'z'.repeat(2000)}\n`).join(''))
  const job = ['--source', `file:${input}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints')]
  assert.equal(summaryOf(await runCli(['run', ...job, '--no-http', '--max-message-bytes', '150'])).deadLettered, 2000)
  const listed = await runCli(['dlq', 'list', '--json', '--limit', '5000', ...job])
  assert.equal(listed.code, 0, listed.stderr)
  assert.ok(listed.stdout.length > 5_000_000, `${listed.stdout.length} characters`)
  assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 2000)
})

test('a topic that refuses a message of its own time takes the dead-letter copy and the replay stamped now, the time in a header', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  // Messages more than 3 s old are refused (Kafka's INVALID_TIMESTAMP): by the dead-letter topic, and by the topic on replay.
  const limit = { 'message.timestamp.before.max.ms': '3000' }
  await broker.createTopic(topic, 1, limit)
  await broker.createTopic(`${topic}.dlq`, 1, limit)
  const dir = tempDir(t)
  const job = ['--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints')]
  await kcatProduce(broker.bootstrap, topic, [`k2\t${longUntimed}`], { keyed: true })
  const original = (await kcatConsumeAll(broker.bootstrap, topic))[0]!
  while (Date.now() - original.timestampMs < 3500) await new Promise((r) => setTimeout(r, 100))

  const first = await runCli(['run', ...job, '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s', '--max-message-bytes', '150'])
  assert.equal(first.code, 0, first.stderr)
  const [copy] = await kcatConsumeAll(broker.bootstrap, `${topic}.dlq`)
  assert.ok(copy!.timestampMs > original.timestampMs + 3000, 'stamped now')
  assert.ok(copy!.headers.includes(`original_timestamp_ms=${original.timestampMs}`), copy!.headers)
  assert.ok(first.logs.some((l) => /^1 dead letter\(s\) went to .* stamped now/.test(String(l.msg))))

  const replay = await runCli(['dlq', 'replay', '--json', ...job, '--max-message-bytes', '100000'])
  assert.equal(replay.code, 0, replay.stderr)
  assert.deepEqual(JSON.parse(replay.stdout), { replayed: 1, stillMalformed: 0, to: 'their topics' })
  assert.match(replay.stderr, /1 message\(s\) went stamped now/)
  const replayed = (await kcatConsumeAll(broker.bootstrap, topic)).find((m) => m.offset === 1)!
  assert.equal(replayed.value, longUntimed)
  assert.ok(replayed.timestampMs > original.timestampMs + 3000)
  for (const h of [`original_timestamp_ms=${original.timestampMs}`, `replayed_from=${topic}/0@0`]) assert.ok(replayed.headers.includes(h), `header ${h} in ${replayed.headers}`)
})
