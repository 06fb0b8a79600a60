import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lastValueFrom, of, toArray } from 'rxjs'
import { parse } from '../../operators/parse.ts'
import { refusal } from '../../operators/refusals.ts'
import type { ParsedEntry, SourceRecord } from '../../operators/contracts.ts'
import { createTestContext, record } from '../helpers/context.ts'

const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const sources: SourceRecord[] = [
  record('{"text":"PacketResponder 1 terminating","timestamp":"t"}', 0),
  record('{"text":"naïve ünïcödé — 日本語 👍 e\u0301","timestamp":"t"}', 1, 'logs/2', { key: 'k1', timestampMs: 1_700_000_000_123, headers: { origin: 'a' } }),
  record(Buffer.concat([BOM, Buffer.from('{"text":"after a byte-order mark","timestamp":"t"}')]), 2),
  record(Buffer.concat([BOM, BOM, Buffer.from('{"text":"after two","timestamp":"t"}')]), 3),
  record(Buffer.concat([BOM, Buffer.from('081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating \t ')]), 4),
]

async function parsedEntries(): Promise<ParsedEntry[]> {
  const [items] = await lastValueFrom(of(sources).pipe(parse(createTestContext('parse'), { maxMessageBytes: 1000 }), toArray()))
  assert.deepEqual(items!.map((i) => i.kind), sources.map(() => 'entry'))
  return items as ParsedEntry[]
}

test("the entries of a chunk share one buffer, the source's own let go, and each record gives back its source's bytes exactly, with every other field", async () => {
  const entries = await parsedEntries()
  const shared = entries[0]!.record.value.buffer
  assert.equal(shared.byteLength, sources.reduce((n, r) => n + r.value.length, 0), "one buffer of the chunk's bytes, not Node's shared pool")
  entries.forEach((e, i) => {
    const source = sources[i]!
    assert.equal(e.record.value.buffer, shared, `record ${i} has a buffer of its own`)
    assert.notEqual(e.record.value.buffer, source.value.buffer, `record ${i} keeps its source's buffer`)
    assert.ok(e.record.value.equals(source.value), `record ${i}: ${e.record.value.toString('hex')} is not ${source.value.toString('hex')}`)
    for (const field of ['partition', 'offset', 'nextOffset', 'key', 'timestampMs', 'headers'] as const) assert.deepEqual(e.record[field], source[field], `${field} of record ${i}`)
  })
})

test('a malformed record between entries keeps its own bytes, and the entries after it theirs; an oversized one takes no room in the buffer', async () => {
  const oversized = record(`{"text":"${'x'.repeat(5000)}"}`, 11)
  const mixed = [sources[0]!, record('{"text": broken', 9), sources[1]!, oversized, record('', 10), sources[2]!]
  const [items] = await lastValueFrom(of(mixed).pipe(parse(createTestContext('parse'), { maxMessageBytes: 1000 }), toArray()))
  assert.deepEqual(items!.map((i) => i.kind), ['entry', 'dead-letter', 'entry', 'dead-letter', 'dead-letter', 'entry'])
  items!.forEach((item, i) => assert.ok(item.record.value.equals(mixed[i]!.value), `item ${i}`))
  const shared = items![0]!.record.value.buffer
  assert.ok(shared.byteLength < 1000, `the chunk's buffer holds ${shared.byteLength} bytes, the oversized record's included`)
})

test('an entry dead-lettered after the parse (refused by the embedder) carries its original bytes to the dead-letter store', async () => {
  const entries = await parsedEntries()
  for (const [i, e] of entries.entries()) {
    const dead = refusal(e, 'embedding-failed', new Error('refused'))
    assert.ok(dead.record.value.equals(sources[i]!.value))
    assert.equal(dead.record.offset, sources[i]!.offset)
  }
})
