import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { pointId, pointKey } from '../../operators/point-id.ts'
import { parseRecord } from '../../operators/parse.ts'

test('the id of a known text and timestamp is the documented test vector', () => {
  // Computed independently with Python's hashlib and uuid (see README, "Point ids").
  assert.equal(
    pointId('PacketResponder 1 for block blk_38865049064139660 terminating', '2008-11-09T20:36:15'),
    '504f1ec0-1db3-8314-a93a-6491a872661e',
  )
})

test('ids are UUIDv8 strings derived from SHA-256 of text_timestamp', () => {
  const id = pointId('Receiving block blk_1', '2025-09-27T10:30:45.123')
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  const digest = createHash('sha256').update('Receiving block blk_1_2025-09-27T10:30:45.123').digest('hex')
  // All but the version and variant bits are the digest's first 16 bytes.
  assert.equal(id.replace(/-/g, '').slice(0, 12), digest.slice(0, 12))
  assert.equal(id.replace(/-/g, '').slice(13, 16), digest.slice(13, 16))
  assert.equal(id.replace(/-/g, '').slice(18, 32), digest.slice(18, 32))
})

test('every id sets exactly the version and variant bits of the digest, whatever its digits', () => {
  // 2,000 keys cover each of the 16 values of the digits the version and variant bits change.
  for (let i = 0; i < 2000; i++) {
    const h = createHash('sha256').update(`line ${i}_t`).digest().subarray(0, 16)
    h[6] = (h[6]! & 0x0f) | 0x80
    h[8] = (h[8]! & 0x3f) | 0x80
    const hex = h.toString('hex')
    assert.equal(pointId(`line ${i}`, 't'), `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`)
  }
})

test('the same entry gets the same id; another text or timestamp another', () => {
  assert.equal(pointId('a', 't'), pointId('a', 't'))
  assert.notEqual(pointId('a', 't'), pointId('a', 't2'))
  assert.notEqual(pointId('a', 't'), pointId('b', 't'))
  assert.equal(pointKey('x y', '2025'), 'x y_2025')
})

test('non-ASCII text is hashed as UTF-8', () => {
  const digest = createHash('sha256').update(Buffer.from('Grüße_t', 'utf8')).digest('hex')
  assert.equal(pointId('Grüße', 't').slice(0, 8), digest.slice(0, 8))
})

test('every line of the HDFS sample keeps the id it had before log formats were detected', () => {
  const lines = readFileSync(new URL('../../data/hdfs/HDFS_2k.log', import.meta.url), 'utf8').split('\n').filter(Boolean)
  const ids = lines.map((line, i) => {
    const out = parseRecord({ partition: 'p', offset: i, nextOffset: i + 1, key: null, value: Buffer.from(line) }, { maxMessageBytes: 1 << 20 })
    assert.ok('entry' in out)
    return pointId(out.entry.text, out.entry.timestamp)
  })
  // SHA-256 over the 2,000 ids, one a line, as computed with the parser before formats were detected.
  assert.equal(createHash('sha256').update(ids.join('\n')).digest('hex'), '3a22ab862d365a7880ca5c6ced0c8cf0462ddc4d9d6c6b116cbe07cc09d7b869')
})
