/**
 * The fsync of a SQLite database's write-ahead log, as synchronous=FULL does
 * at every commit, for connections in synchronous=NORMAL that make their
 * commits durable themselves: `syncWalAsync` runs it on libuv's thread pool,
 * so the main thread does not wait on the disk. NORMAL commits survive a
 * crash of the process as they return (they are in the WAL, in the OS's page
 * cache); after the fsync they survive a power loss too. SQLite itself syncs
 * the WAL before every checkpoint of it into the database, so a WAL that is
 * missing held nothing unsynced.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs'
import { open } from 'node:fs/promises'
import type Database from 'better-sqlite3'

const PAUSE = new Int32Array(new SharedArrayBuffer(4))

/**
 * Puts the database in WAL mode. Two processes opening one new file at once (jobs sharing an embedded store) both switch
 * it, and SQLite answers the loser SQLITE_BUSY at once instead of calling the busy handler (it could deadlock): 10 of 60
 * such races failed (measured). So a busy answer is retried, every 20 ms, for up to `timeoutMs`.
 */
export function useWal(db: Database.Database, timeoutMs = 30_000): void {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      db.pragma('journal_mode = WAL')
      return
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= end) throw err
      Atomics.wait(PAUSE, 0, 0, 20)
    }
  }
}

/**
 * fsyncs the WAL of the database at `path`, waiting for it. The embedded store's writer thread runs this function from
 * its source text (`sqlite-point-writer.ts`): it may call node:fs's openSync, fsyncSync and closeSync, and nothing else
 * of this module's scope.
 */
export function syncWal(path: string): void {
  let fd: number
  try {
    fd = openSync(`${path}-wal`, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** `syncWal` off the main thread. */
export async function syncWalAsync(path: string): Promise<void> {
  let handle
  try {
    handle = await open(`${path}-wal`, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
