/**
 * Log formats through Kafka, against the real broker: raw lines of several
 * formats on one topic are stored by their message with their header parsed
 * (a year-less syslog date placed by the record's Kafka time), and every JSON
 * value that is not an object is dead-lettered alike — in the checkpoint and
 * on the dead-letter topic. Lines sent by `logstream produce` are stored under
 * the ids a file source gives them.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { jobIdentity } from '../../src/adapters/factory.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { runCli, summaryOf } from '../helpers/cli.ts'
import { kcatConsumeAll, kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedIds, storedPayloads, toFlags } from '../helpers/store.ts'
import { loadLoghub } from '../helpers/loghub.ts'

const LINES = [
  'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
  '[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties',
  '2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001',
  '{"level":50,"time":1531171074631,"msg":"payment failed","pid":657,"hostname":"web-1"}',
  'a line in no format at all',
]
const JSON_VALUES = ['null', 'true', '42', '[1,2,3]', '"just a string"']

test('a topic of mixed raw lines: each stored by its message with its header parsed; every non-object JSON value dead-lettered alike', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  await broker.createTopic(topic, 1)
  await broker.createTopic(`${topic}.dlq`, 1)
  const dir = tempDir(t)
  const producedAt = Date.now()
  await kcatProduce(broker.bootstrap, topic, [...LINES, ...JSON_VALUES], { partition: 0 })
  const args = ['--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s']
  const run = await runCli(['run', ...args])
  assert.equal(run.code, 0, run.stderr)
  const s = summaryOf(run)
  assert.equal(s.received, LINES.length + JSON_VALUES.length)
  assert.equal(s.stored, LINES.length)
  assert.equal(s.deadLettered, JSON_VALUES.length)

  const byText = new Map((await storedPayloads(dir)).map((p) => [p.text as string, p]))
  const syslog = byText.get('Invalid user webmaster from 173.234.31.186')!
  // The year comes from the record's Kafka time: the same on every replay of it.
  const year = new Date(producedAt).getUTCFullYear() - (Date.UTC(new Date(producedAt).getUTCFullYear(), 11, 10) > producedAt + 2 * 86_400_000 ? 1 : 0)
  assert.deepEqual(
    { timestamp: syslog.timestamp, host: syslog.host, component: syslog.component, pid: syslog.pid, source: syslog.source, original_text: syslog.original_text },
    { timestamp: `${year}-12-10T06:55:46.000`, host: 'LabSZ', component: 'sshd', pid: '24200', source: 'syslog', original_text: LINES[0] },
  )
  assert.deepEqual([byText.get('workerEnv.init() ok /etc/httpd/conf/workers2.properties')!.timestamp, byText.get('workerEnv.init() ok /etc/httpd/conf/workers2.properties')!.source], ['2005-12-04T04:47:44.000', 'apache-error'])
  const hadoop = byText.get('Created MRAppMaster for application appattempt_1445144423722_0020_000001')!
  assert.deepEqual([hadoop.timestamp, hadoop.log_level, hadoop.component, hadoop.fields], ['2015-10-18T18:01:47.978', 'INFO', 'org.apache.hadoop.mapreduce.v2.app.MRAppMaster', { thread: 'main' }])
  const pino = byText.get('payment failed')!
  assert.deepEqual([pino.timestamp, pino.log_level, pino.host, pino.pid], ['2018-07-09T21:17:54.631Z', 'ERROR', 'web-1', '657'])
  assert.equal(byText.get('a line in no format at all')!.source, 'unknown')

  const config = loadConfig({ flags: new Map(Object.entries(toFlags(args))) })
  const checkpoints = openCheckpointStore({ path: checkpointPath(join(dir, 'checkpoints'), 'logs'), identity: jobIdentity(config) })
  const dead = checkpoints.deadLetters()
  checkpoints.close()
  assert.deepEqual(dead.map((d) => [d.offset, d.reason]), JSON_VALUES.map((_, i) => [LINES.length + i, 'not-an-object']))
  const dlq = await kcatConsumeAll(broker.bootstrap, `${topic}.dlq`)
  assert.deepEqual(dlq.map((m) => m.value).sort(), [...JSON_VALUES].sort())
  assert.ok(dlq.every((m) => m.headers.includes('reason=not-an-object')))
})

test('lines sent by logstream produce are stored under the ids the file source gives them; one message of one second from two hosts stays two points', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('produce-origin')
  await broker.createTopic(topic, 2)
  const dir = tempDir(t)
  const file = join(dir, 'mixed.log')
  const twins = ['Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown', 'Jun 14 15:16:01 other sshd(pam_unix)[19939]: check pass; user unknown']
  const sample = (set: 'Linux' | 'Hadoop' | 'HDFS') => loadLoghub(set).lines.slice(0, 150)
  writeFileSync(file, [...twins, ...sample('Linux'), ...sample('Hadoop'), ...sample('HDFS')].join('\n') + '\n')

  const produced = await runCli(['produce', file, '--brokers', broker.bootstrap, '--topic', topic, '--no-progress'])
  assert.equal(produced.code, 0, produced.stderr)
  const common = ['--no-http', '--trigger', '300ms']
  const viaKafka = join(dir, 'kafka')
  const run = await runCli(['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-1`, '--data-dir', join(viaKafka, 'data'), '--checkpoint-dir', join(viaKafka, 'checkpoints'), ...common, '--stop-when-idle', '2s'])
  assert.equal(run.code, 0, run.stderr)
  const fromFile = join(dir, 'file')
  const read = await runCli(['run', '--source', `file:${file}`, '--data-dir', join(fromFile, 'data'), '--checkpoint-dir', join(fromFile, 'checkpoints'), ...common])
  assert.equal(read.code, 0, read.stderr)

  const kafkaIds = await storedIds(viaKafka)
  assert.ok(kafkaIds.length > 400, `${kafkaIds.length} points`)
  assert.deepEqual(new Set(kafkaIds), new Set(await storedIds(fromFile)))
  const twinPoints = (await storedPayloads(viaKafka)).filter((p) => twins.includes(String(p.original_text)))
  assert.deepEqual(twinPoints.map((p) => p.host).sort(), ['combo', 'other'])
  assert.ok(twinPoints.every((p) => !('logstream_origin' in p)), 'the origin is in the id, not the payload')
})
