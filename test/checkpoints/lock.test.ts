import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { lockCheckpoint } from '../../checkpoints/lock.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { ROOT } from '../helpers/cli.ts'

test('a second lock on one job is refused naming the holder; another job, or the same after release, is not', (t) => {
  const dir = tempDir(t)
  const first = lockCheckpoint(dir, 'logs')
  assert.throws(() => lockCheckpoint(dir, 'logs'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'CHECKPOINT_LOCKED')
    assert.match(err.message, new RegExp(`process ${process.pid} on .+, running since \\d{4}-`))
    return true
  })
  lockCheckpoint(dir, 'other').release()
  first.release()
  lockCheckpoint(dir, 'logs').release()
})

/**
 * Another process that takes the job's lock and keeps running; `referenced` says whether it keeps the lock object (as a
 * job does) or drops it at once and collects garbage twice.
 */
async function lockHolder(t: { after(fn: () => unknown): void }, dir: string, referenced: boolean) {
  const take = `lockCheckpoint(${JSON.stringify(dir)}, 'logs')`
  const holder = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', `
    const { lockCheckpoint } = await import(${JSON.stringify(`${ROOT}checkpoints/lock.ts`)})
    ${referenced ? `globalThis.held = ${take}` : `${take}; globalThis.gc(); globalThis.gc()`}
    process.stdout.write('locked\\n')
    setInterval(() => {}, 1000)
  `], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => holder.kill('SIGKILL'))
  await once(holder.stdout!, 'data')
  return holder
}

test('the operating system releases the lock of a process killed with SIGKILL', async (t) => {
  const dir = tempDir(t)
  const holder = await lockHolder(t, dir, true)
  assert.throws(() => lockCheckpoint(dir, 'logs'), new RegExp(`held by process ${holder.pid} `))
  holder.kill('SIGKILL')
  await once(holder, 'exit')
  lockCheckpoint(dir, 'logs').release()
})

test('a lock lasts until it is released, even when its holder keeps no reference to it', async (t) => {
  const dir = tempDir(t)
  const holder = await lockHolder(t, dir, false)
  assert.throws(() => lockCheckpoint(dir, 'logs'), new RegExp(`held by process ${holder.pid} `))
})
