import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ingestScores } from '../../operators/ingest-scores.ts'
import { RARITY_NEIGHBOURS, rarityScore } from '../../operators/rarity.ts'
import { embedText } from '../../src/adapters/builtin-embedder.ts'
import { maskVariables } from '../../operators/mask.ts'
import { cosine } from '../helpers/cosine.ts'
import { prng } from '../../bench/hdfs-traffic.ts'

test('nothing stored: the first line of a kind scores 1, the next ones as a store holding the earlier ones would', () => {
  const v = embedText('Receiving block blk_1 src: /10.0.0.1:5000', 64)
  const scores = ingestScores([{ vector: v, stored: [] }], [0, 0, 0, 0])
  assert.equal(scores[0], 1)
  for (let n = 1; n < 4; n++) assert.ok(Math.abs(scores[n]! - (1 - Math.log1p(n) / Math.log(101))) < 1e-9, `${n} alike before it`)
})

test("a shape the store holds enough of scores 0; an unscored shape's lines are null; the others are not affected", () => {
  const a = embedText('PacketResponder 1 for block blk_1 terminating', 64)
  const b = embedText('Deleting block blk_2 file /a/b', 64)
  const c = embedText('Verification succeeded for blk_3', 64)
  const scores = ingestScores([{ vector: a, stored: 'zero' }, { vector: b, stored: null }, { vector: c, stored: [0.99, 0.99] }], [0, 1, 2, 0, 1, 2])
  assert.deepEqual(scores.slice(0, 2), [0, null])
  assert.equal(scores[2], rarityScore([0.99, 0.99]))
  assert.deepEqual(scores.slice(3, 5), [0, null])
  assert.equal(scores[5], rarityScore([0.99, 0.99, 1]), 'the earlier line of its shape counts, at similarity 1')
})

test("every line's score equals the rarity score over its whole history: the stored lines and the batch's lines before it", () => {
  // Lines of a few templates with varying words, some near each other: a batch and a stored history of them.
  const random = prng(7)
  const templates = ['Receiving block blk_# src: /# dest: /#', 'Received block blk_# of size # from /#', 'PacketResponder # for block blk_# terminating', 'PacketResponder # for block blk_# closing', 'Deleting block blk_# file /data/#/x', 'BLOCK* ask # to delete blk_# blk_#', 'Unexpected error trying to delete block blk_#', 'Served block blk_# to /#']
  const line = () => templates[Math.floor(random() * random() * templates.length)]!.replace(/#/g, () => String(Math.floor(random() * 1e6)))
  const dim = 128
  const stored = Array.from({ length: 300 }, () => embedText(line(), dim))
  const batch = Array.from({ length: 400 }, () => line())
  // Groups by shape, as the score stage makes them.
  const groupIndex = new Map<string, number>()
  const groups: Array<{ vector: Float32Array; stored: number[] }> = []
  const groupOf = batch.map((text) => {
    const shape = maskVariables(text)
    if (!groupIndex.has(shape)) {
      const vector = embedText(text, dim)
      groupIndex.set(shape, groups.length)
      groups.push({ vector, stored: stored.map((s) => cosine(vector, s)).sort((x, y) => y - x).slice(0, RARITY_NEIGHBOURS) })
    }
    return groupIndex.get(shape)!
  })
  const scores = ingestScores(groups, groupOf)
  const vectors = batch.map((text) => embedText(text, dim))
  batch.forEach((_, i) => {
    const history = [...stored, ...vectors.slice(0, i)].map((h) => cosine(vectors[i]!, h))
    assert.ok(Math.abs(scores[i]! - rarityScore(history)) < 1e-9, `line ${i}: ${scores[i]} against ${rarityScore(history)}`)
  })
  assert.ok(new Set(scores.map((s) => s!.toFixed(3))).size > 5, 'the scores vary')
})
