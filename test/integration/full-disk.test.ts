/**
 * A full disk under a Kafka job: the checkpoint and the embedded store on a
 * small tmpfs. The job exits non-zero by itself, within its shutdown timeout,
 * instead of hanging; once space is freed, a restart ends with the store of
 * one clean run. (Mounting a tmpfs needs root, as the test machines run.)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hdfsMessages, kcatLine } from '../helpers/hdfs-messages.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { runCli } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedPayloads } from '../helpers/store.ts'
import Database from 'better-sqlite3'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { STORE_LAYOUT } from '../../src/adapters/sqlite-store-layout.ts'
import { DIM, point } from '../helpers/vector-store-contract.ts'
import { writeLayout1 } from '../helpers/store-layout1.ts'

function mountTmpfs(t: { after(fn: () => unknown): void }, bytes: number): { dir: string; resize(bytes: number): void } {
  const dir = mkdtempSync(join(tmpdir(), 'logstream-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    rmdirSync(dir)
    throw new Error(`this test mounts a small tmpfs to fill it, which needs root (or CAP_SYS_ADMIN): ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? err}`)
  }
  t.after(() => {
    execFileSync('umount', ['-l', dir])
    rmdirSync(dir)
  })
  return { dir, resize: (size) => execFileSync('mount', ['-o', `remount,size=${size}`, dir]) }
}

test('a full disk stops a Kafka job with a non-zero exit within the shutdown timeout; after space is freed a restart ends as one clean run', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('full')
  await broker.createTopic(topic, 3)
  await kcatProduce(broker.bootstrap, topic, hdfsMessages(4000, 21, 0.1).map(kcatLine), { keyed: true })
  const args = (dir: string) => ['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-2`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--batch-size', '250', '--trigger', '300ms', '--stop-when-idle', '3s', '--shutdown-timeout', '10s']

  const clean = tempDir(t)
  assert.equal((await runCli(args(clean))).code, 0)
  const reference = await storedPayloads(clean)

  const disk = mountTmpfs(t, 4 << 20)
  // The test's own timeout is far above the shutdown timeout: a job that hangs on a full disk fails it.
  const full = await runCli(args(disk.dir), { timeoutMs: 180_000 })
  assert.notEqual(full.code, 0, 'the job stops with an error')
  assert.equal(full.signal, null, 'by itself, not killed')
  assert.match(`${full.stderr}\n${full.stdout}`, /STORAGE_FULL|SQLITE_FULL|database or disk is full/)
  const failedAt = full.logs.find((l) => /job failed/.test(String(l.msg)))?.time as number
  const lastLine = full.logs.at(-1)?.time as number
  // The job arms a 10 s exit when it fails; allow the timer's own scheduling delay on a busy machine.
  assert.ok(failedAt !== undefined && lastLine - failedAt < 12_000, `closed and exited within the shutdown timeout of its failure (${lastLine - failedAt} ms)`)

  disk.resize(64 << 20)
  const restarted = await runCli(args(disk.dir), { timeoutMs: 180_000 })
  assert.equal(restarted.code, 0, restarted.stderr)
  assert.deepEqual(await storedPayloads(disk.dir), reference)
})

test('moving a layout 1 store on a disk without room for the copy fails with STORAGE_FULL and changes nothing; with room, it moves', async (t) => {
  const made = join(tempDir(t), 'vectors.sqlite')
  const points = Array.from({ length: 6000 }, (_, i) => point(i))
  writeLayout1(made, [{ name: 'c', points }], { withMarker: true })
  const disk = mountTmpfs(t, 6 << 20)
  const path = join(disk.dir, 'vectors.sqlite')
  copyFileSync(made, path)
  const state = () => {
    const db = new Database(path, { readonly: true })
    try {
      return { layout: db.pragma('user_version', { simple: true }), points: db.prepare('SELECT COUNT(*) FROM points').pluck().get(), id: db.prepare('SELECT typeof(id) FROM points LIMIT 1').pluck().get() }
    } finally {
      db.close()
    }
  }
  assert.throws(() => createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'STORAGE_FULL', err.message)
    return true
  })
  assert.deepEqual(state(), { layout: 0, points: 6000, id: 'text' })

  disk.resize(64 << 20)
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => store.close())
  assert.equal(await store.count(), 6000)
  assert.deepEqual(state(), { layout: STORE_LAYOUT, points: 6000, id: 'blob' })
})
