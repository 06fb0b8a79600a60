/**
 * Store files of layout 1, as they were written until 2026-11-26 (the
 * collection's name and the id's text in every row), for the tests of the
 * move to the current layout.
 */
import Database from 'better-sqlite3'
import type { Point } from '../../operators/contracts.ts'
import { DIM } from './vector-store-contract.ts'

/** Writes a layout 1 file (`withMarker: false`: from before collections had a marker). */
export function writeLayout1(path: string, collections: Array<{ name: string; points: Point[]; entry?: boolean }>, opts: { withMarker: boolean }): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.exec(`
    CREATE TABLE collections (name TEXT PRIMARY KEY, dim INTEGER NOT NULL, distance TEXT NOT NULL, created_at INTEGER NOT NULL${opts.withMarker ? ', marker TEXT' : ''}) STRICT;
    CREATE TABLE points (seq INTEGER PRIMARY KEY, collection TEXT NOT NULL, id TEXT NOT NULL, vector BLOB NOT NULL, payload TEXT NOT NULL,
      log_level TEXT, node_type TEXT, source TEXT, timestamp TEXT) STRICT;
    CREATE UNIQUE INDEX points_id ON points (collection, id);
    CREATE INDEX points_level ON points (collection, log_level);
    CREATE INDEX points_node_type ON points (collection, node_type);
    CREATE INDEX points_source ON points (collection, source);
    CREATE INDEX points_timestamp ON points (collection, timestamp);
  `)
  const insert = db.prepare('INSERT INTO points (collection, id, vector, payload, log_level, node_type, source, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  for (const c of collections) {
    if (c.entry !== false) {
      if (opts.withMarker) db.prepare('INSERT INTO collections VALUES (?, ?, ?, ?, ?)').run(c.name, DIM, 'Cosine', 1, `marker-of-${c.name}`)
      else db.prepare('INSERT INTO collections VALUES (?, ?, ?, ?)').run(c.name, DIM, 'Cosine', 1)
    }
    for (const p of c.points) {
      const q = p.payload
      insert.run(c.name, p.id, Buffer.from(Float32Array.from(p.vector).buffer), JSON.stringify(q), q.log_level, q.node_type, q.source, q.timestamp)
    }
  }
  db.close()
}
