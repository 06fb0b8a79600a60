/**
 * Crash tests against the real broker: SIGKILL at every stage boundary and at
 * random moments, restart, and compare the store with one uninterrupted run
 * over the same input.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { jobIdentity } from '../../src/adapters/factory.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { runCli, startCli, summaryOf } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedPayloads, toFlags } from '../helpers/store.ts'
import { hdfsMessages, kcatLine } from '../helpers/hdfs-messages.ts'

const MALFORMED = ['{"text": oops', '{"log_level": "INFO"}', '{"text": 12}', '[1, 2]']

/** Input: HDFS traffic with exact duplicates, as keyed lines, with a few malformed ones mixed in; and the ids of the good ones. */
function input(count: number, seed: number): { messages: string[]; ids: Set<string> } {
  const traffic = hdfsMessages(count, seed, 0.15)
  const messages = traffic.map(kcatLine)
  MALFORMED.forEach((m, i) => messages.splice(Math.floor(((i + 1) * messages.length) / (MALFORMED.length + 1)), 0, `bad-${i}\t${m}`))
  return { messages, ids: new Set(traffic.map((m) => m.id)) }
}

async function setup(t: { after(fn: () => unknown): void }, count: number, seed: number) {
  const broker = await sharedBroker()
  const topic = topicName('crash')
  await broker.createTopic(topic, 3)
  const { messages, ids } = input(count, seed)
  await kcatProduce(broker.bootstrap, topic, messages, { keyed: true })
  const args = (dir: string) => ['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-2`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--batch-size', '100', '--trigger', '200ms', '--max-in-flight', '300', '--stop-when-idle', '2s']
  const reference = tempDir(t)
  const whole = await runCli(args(reference))
  assert.equal(whole.code, 0, whole.stderr)
  const referencePoints = await storedPayloads(reference)
  assert.deepEqual(new Set(referencePoints.map((p) => p.id)), ids)
  return { topic, messages, args, referencePoints }
}

/** Every input message is accounted for: its id stored, or it is a dead letter; the positions are at the end. */
function deadLetters(dir: string, topic: string) {
  const config = loadConfig({ flags: new Map(Object.entries(toFlags(['--source', 'kafka', '--topics', topic]))) })
  const store = openCheckpointStore({ path: checkpointPath(join(dir, 'checkpoints'), 'logs'), identity: jobIdentity(config) })
  try {
    return { dead: store.deadLetters().length, positions: [...store.positions().values()].reduce((a, b) => a + b, 0), pending: store.pendingBatches().length }
  } finally {
    store.close()
  }
}

const BOUNDARIES = ['after-fetch', 'after-dedup', 'after-plan', 'after-embed', 'after-sink', 'after-checkpoint'] as const

test('SIGKILL at every stage boundary, then a restart, ends with the store of one uninterrupted run', async (t) => {
  const { topic, messages, args, referencePoints } = await setup(t, 1500, 7)
  for (const boundary of BOUNDARIES) {
    const dir = tempDir(t)
    const killed = await runCli(args(dir), { env: { LOGSTREAM_CRASH_AT: `${boundary}:3` } })
    assert.equal(killed.signal, 'SIGKILL', `${boundary}: the job stopped itself at the boundary (${killed.stderr})`)
    const restarted = await runCli(args(dir))
    assert.equal(restarted.code, 0, `${boundary}: ${restarted.stderr}`)
    if (boundary !== 'after-fetch') {
      assert.ok(restarted.logs.some((l) => l.msg === 'replaying a batch that was planned and never committed') || boundary === 'after-checkpoint', `${boundary}: the planned batch is replayed`)
    }
    assert.deepEqual(await storedPayloads(dir), referencePoints, `${boundary}: same ids, count and payloads`)
    const { dead, positions, pending } = deadLetters(dir, topic)
    assert.equal(dead, MALFORMED.length, `${boundary}: every malformed message dead-lettered once`)
    assert.equal(positions, messages.length, `${boundary}: every message consumed`)
    assert.equal(pending, 0)
    if (boundary === 'after-sink') {
      // The interrupted batch was stored before the crash: its replay embeds nothing of it again.
      const replayed = restarted.logs.find((l) => l.batch === 3 && typeof l.stored === 'number')
      assert.ok(replayed, 'the replayed batch 3 commits')
      assert.equal(replayed.stored, 0, 'nothing of the replayed batch is embedded or stored again')
      assert.ok((replayed.skippedExisting as number) > 0)
      assert.ok(summaryOf(restarted).stored > 0)
    }
  }
})

test('20 SIGKILLs at random moments, each followed by a restart, end with the store of one uninterrupted run; no restart waits on the replay timeout', async (t) => {
  const { topic, messages, args, referencePoints } = await setup(t, 40_000, 11)
  const dir = tempDir(t)
  let random = 12345
  const next = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  let midRun = 0
  const firstCommits: number[] = []
  const stalls: string[] = []
  for (let kill = 0; kill < 20; kill++) {
    const started = Date.now()
    const job = startCli(args(dir))
    // Each start runs to its first commit (the replayed batch, if any), which is timed; it is killed a random number
    // of commits later (1 to 6) and a random moment after that, so a restart that waited on the replay timeout
    // would show here, and a fast job still has work left to interrupt.
    const commits = 1 + Math.floor(next() * 6)
    const delay = Math.floor(next() * 300)
    const isCommit = (l: Record<string, unknown>) => /^Processing batch/.test(String(l.msg))
    void job.waitFor(isCommit, 120_000).then(
      () => firstCommits.push(Date.now() - started),
      () => undefined,
    )
    let seen = 0
    void job.waitFor((l) => isCommit(l) && ++seen >= commits, 120_000).then(
      () => setTimeout(() => job.child.kill('SIGKILL'), delay),
      () => undefined,
    )
    const result = await job.done
    for (const l of result.logs) if (/could not be rebuilt|records of a replayed batch are not coming/.test(String(l.msg))) stalls.push(String(l.msg))
    if (result.signal === 'SIGKILL') midRun++
    else assert.equal(result.code, 0, result.stderr)
  }
  const final = await runCli(args(dir))
  assert.equal(final.code, 0, final.stderr)
  console.log(`random kills: 20, of which ${midRun} landed while the job ran; start to first commit of each start that committed (ms): ${firstCommits.join(', ')}`)
  assert.ok(midRun >= 10, `most starts are killed mid-run (${midRun})`)
  assert.deepEqual(stalls, [], 'no replay waited for records it could not get')
  assert.ok(firstCommits.length >= 10, `restarts timed (${firstCommits.length})`)
  assert.ok(firstCommits.every((ms) => ms < 30_000), `no restart waited on the 30 s replay timeout: ${firstCommits.join(', ')} ms`)
  assert.deepEqual(await storedPayloads(dir), referencePoints)
  const { dead, positions, pending } = deadLetters(dir, topic)
  assert.equal(dead, MALFORMED.length)
  assert.equal(positions, messages.length)
  assert.equal(pending, 0)
})
