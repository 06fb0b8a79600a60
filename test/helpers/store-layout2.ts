/**
 * Store files of layout 2, as logstream wrote them until 2026-11-28 (every
 * point's vector in its row), for the tests of the move to the current
 * layout: a file of the current layout taken back to layout 2.
 */
import Database from 'better-sqlite3'

/**
 * Takes a file of the current layout back to layout 2: shared vectors copied into their points' rows, the table of them
 * and the points' column dropped (`withVectorsColumn: false`: also from before collections recorded their vectors).
 */
export function toLayout2(path: string, opts: { withVectorsColumn: boolean }): void {
  const db = new Database(path)
  try {
    db.transaction(() => {
      db.exec(`UPDATE points SET vector = (SELECT v.vector FROM vectors v WHERE v.key = points.shared) WHERE shared IS NOT NULL;
        DROP INDEX vectors_hash; DROP TABLE vectors; ALTER TABLE points DROP COLUMN shared;`)
      if (!opts.withVectorsColumn) db.exec('ALTER TABLE collections DROP COLUMN vectors')
      db.pragma('user_version = 2')
    })()
  } finally {
    db.close()
  }
}
