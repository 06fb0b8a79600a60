/**
 * One owner per job checkpoint. A job holds an exclusive lock on
 * `<job>.lock` beside its checkpoint for as long as it runs; a second instance
 * of the same job is refused with the holder's PID, host and start time.
 *
 * The lock is SQLite's own (an fcntl lock), taken in exclusive locking mode and
 * never released until the connection closes; the operating system releases
 * it when the process dies, so a `kill -9` never leaves a stale lock that
 * blocks the restart. The holder's details go to `<job>.owner.json`, which a
 * refused instance reads (the locked file itself cannot be read).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { CheckpointError } from '../core/errors.ts'

export interface CheckpointLock {
  readonly path: string
  /** Releases the lock (also released when the process exits or dies). */
  release(): void
}

export interface LockOwner {
  readonly pid: number
  readonly host: string
  readonly since: string
}

/** The connections holding this process's locks: a lock lasts until released, even if its holder drops the object (a collected connection would close, and free the lock). */
const held = new Set<Database.Database>()

export function lockPath(dir: string, job: string): string {
  return join(dir, `${job}.lock`)
}

/**
 * Takes the job's lock or throws `CHECKPOINT_LOCKED` naming the holder.
 *
 * @example
 * const lock = lockCheckpoint('.logstream/checkpoints', 'logs')
 * try { ... } finally { lock.release() }
 */
export function lockCheckpoint(dir: string, job: string): CheckpointLock {
  mkdirSync(dir, { recursive: true })
  const path = lockPath(dir, job)
  const ownerFile = `${path.slice(0, -'.lock'.length)}.owner.json`
  const db = new Database(path, { timeout: 0 })
  try {
    db.pragma('journal_mode = MEMORY')
    db.pragma('locking_mode = EXCLUSIVE')
    // A write in exclusive locking mode takes the EXCLUSIVE lock and keeps it until the connection closes.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (at INTEGER); DELETE FROM held; INSERT INTO held VALUES (unixepoch()); COMMIT')
  } catch (err) {
    db.close()
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err
    const owner = readOwner(ownerFile)
    const who = owner ? `process ${owner.pid} on ${owner.host}, running since ${owner.since}` : 'another process'
    throw new CheckpointError('CHECKPOINT_LOCKED', `job ${job} is already running: its checkpoint in ${dir} is held by ${who}; stop that one first (two instances of one job would each replay the other's batches)`)
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
  writeFileSync(ownerFile, `${JSON.stringify(owner)}\n`)
  held.add(db)
  return {
    path,
    release() {
      held.delete(db)
      if (db.open) db.close()
    },
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner
  } catch {
    return null
  }
}
