import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { syncWal, syncWalAsync } from '../../core/sqlite-wal.ts'
import { tempDir } from '../helpers/temp-dir.ts'

test('the WAL of a database in WAL mode is synced, with or without waiting; a database without a WAL needs nothing', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'store.db')
  const db = new Database(path)
  t.after(() => db.close())
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE t (x INTEGER)')
  db.prepare('INSERT INTO t VALUES (1)').run()
  syncWal(path)
  await syncWalAsync(path)
  // Many at once, as commits of batches in flight ask: each settles.
  await Promise.all(Array.from({ length: 50 }, () => syncWalAsync(path)))
  syncWal(join(dir, 'none.db'))
  await syncWalAsync(join(dir, 'none.db'))
})

test('a WAL that cannot be opened for another reason than its absence is an error, not a silent success', async (t) => {
  const dir = tempDir(t)
  const notADir = join(dir, 'file')
  writeFileSync(notADir, '')
  await assert.rejects(syncWalAsync(join(notADir, 'store.db')), { code: 'ENOTDIR' })
  assert.throws(() => syncWal(join(notADir, 'store.db')), { code: 'ENOTDIR' })
})

test('two processes switching one new file to WAL at once both succeed (SQLite answers the loser busy at once, without its busy handler)', async (t) => {
  const dir = tempDir(t)
  const run = promisify(execFile)
  const wal = new URL('../../core/sqlite-wal.ts', import.meta.url).href
  const open = `import Database from 'better-sqlite3'; import { useWal } from '${wal}'; const db = new Database(process.argv[1]); useWal(db); db.exec('CREATE TABLE IF NOT EXISTS t (x)'); db.close()`
  // Without the retry, 2 of 3 runs of these 40 races failed here (a process's start staggers the two).
  for (let i = 0; i < 40; i++) {
    const path = join(dir, `race-${i}.db`)
    const both = [0, 1].map(() => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', open, path], { cwd: new URL('../..', import.meta.url).pathname }))
    await Promise.all(both)
    const db = new Database(path, { readonly: true })
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    db.close()
  }
})
