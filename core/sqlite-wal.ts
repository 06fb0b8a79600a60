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

/** fsyncs the WAL of the database at `path`, waiting for it. */
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
