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

test('the operating system releases the lock of a process killed with SIGKILL', async (t) => {
  const dir = tempDir(t)
  const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { lockCheckpoint } = await import(${JSON.stringify(`${ROOT}checkpoints/lock.ts`)})
    // Held in a global, as a job holds it for its whole run: an unreferenced lock's connection may be collected, and its lock with it.
    globalThis.held = lockCheckpoint(${JSON.stringify(dir)}, 'logs')
    process.stdout.write('locked\\n')
    setInterval(() => {}, 1000)
  `], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => holder.kill('SIGKILL'))
  await once(holder.stdout!, 'data')
  assert.throws(() => lockCheckpoint(dir, 'logs'), new RegExp(`held by process ${holder.pid} `))
  holder.kill('SIGKILL')
  await once(holder, 'exit')
  lockCheckpoint(dir, 'logs').release()
})

test('a lock lasts until it is released, even when its holder keeps no reference to it', async (t) => {
  const dir = tempDir(t)
  const holder = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', `
    const { lockCheckpoint } = await import(${JSON.stringify(`${ROOT}checkpoints/lock.ts`)})
    lockCheckpoint(${JSON.stringify(dir)}, 'logs')
    globalThis.gc()
    globalThis.gc()
    process.stdout.write('locked\\n')
    setInterval(() => {}, 1000)
  `], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => holder.kill('SIGKILL'))
  await once(holder.stdout!, 'data')
  assert.throws(() => lockCheckpoint(dir, 'logs'), new RegExp(`held by process ${holder.pid} `))
})
