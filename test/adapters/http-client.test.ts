import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bodyText } from '../../src/adapters/http-client.ts'

const answer = (body: Buffer) => ({ status: 200, headers: {}, body })

test('a body reads as its UTF-8 text, whether all ASCII, multi-byte or broken', () => {
  for (const body of [
    Buffer.from('{"embeddings":["AADAPwAAAMAAAEBA"]}'),
    Buffer.from('{"error":"modèle indisponible ✗ 🚫"}'),
    Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x7d]),
    Buffer.alloc(0),
  ]) {
    assert.equal(bodyText(answer(body)), body.toString('utf8'))
  }
})
