/** Checkpoint files as an older logstream left them, for the tests of what a newer one makes of them. */
import Database from 'better-sqlite3'
import { MIGRATIONS } from '../../checkpoints/migrations.ts'

/**
 * Writes a checkpoint at `path` with only the first `migrations` applied and the identity of a Kafka job `j` on
 * `logs` into the embedded `logs_embeddings` at 384 dimensions; returns the open file for more rows (close it).
 */
export function checkpointAtMigration(path: string, migrations: number): Database.Database {
  const db = new Database(path)
  for (const [i, m] of MIGRATIONS.slice(0, migrations).entries()) {
    db.exec(m)
    db.pragma(`user_version = ${i + 1}`)
  }
  db.prepare('INSERT INTO identity (key, value) VALUES (?, ?), (?, ?), (?, ?), (?, ?)').run('job', 'j', 'source', 'kafka:logs', 'sink', 'embedded:logs_embeddings', 'dim', '384')
  return db
}
