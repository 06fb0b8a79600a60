import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { blockIdOf, nodeTypeOf, parseHdfsLine } from '../../operators/hdfs-line.ts'

test('a raw HDFS line becomes the message format', () => {
  const line = '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating'
  assert.deepEqual(parseHdfsLine(line), {
    text: 'PacketResponder 1 for block blk_38865049064139660 terminating',
    original_text: line,
    log_level: 'INFO',
    source: 'hdfs_datanode',
    timestamp: '2008-11-09T20:36:15.000',
    node_type: 'datanode',
    label: null,
    block_id: 'blk_38865049064139660',
    component: 'dfs.DataNode$PacketResponder',
    pid: '148',
  })
})

test('negative block ids stay strings, whole', () => {
  const e = parseHdfsLine('081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 terminating')
  assert.equal(e?.block_id, 'blk_-6952295868487656571')
  assert.equal(blockIdOf('no block here'), null)
})

test('namenode components and WARN levels', () => {
  const e = parseHdfsLine('081109 204005 35 WARN dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated')
  assert.equal(e?.node_type, 'namenode')
  assert.equal(e?.source, 'hdfs_namenode')
  assert.equal(e?.log_level, 'WARN')
  assert.equal(nodeTypeOf('org.example.Thing'), 'unknown')
})

test('lines not in the HDFS format are not parsed', () => {
  assert.equal(parseHdfsLine('hello world'), null)
  assert.equal(parseHdfsLine('081399 203615 148 INFO dfs.X: month 13'), null)
  assert.equal(parseHdfsLine('081109 203615 148 INFO dfs.X: '), null)
})

test('every line of the bundled sample parses', () => {
  const lines = readFileSync(new URL('../../data/hdfs/HDFS_2k.log', import.meta.url), 'utf8').split('\n').filter(Boolean)
  assert.equal(lines.length, 2000)
  const parsed = lines.map(parseHdfsLine)
  assert.equal(parsed.filter((e) => e === null).length, 0)
  assert.ok(parsed.every((e) => e!.node_type !== 'unknown'))
})
