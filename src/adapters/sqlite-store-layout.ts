/**
 * The embedded store's file layout, and the move of older files to it.
 *
 * Layout 2: a collection has an integer key, and a point row carries that key
 * and its id as the UUID's 16 bytes, instead of the collection's name and the
 * 36-character text. Every index a point enters is keyed by the collection,
 * and the id index at random: smaller keys mean fewer pages to write and to
 * read. Measured through the store, filling 1,000,000 points in 1,000-point
 * durable batches: 1.35× the upserts a second and 1.2× the look-ups of layout 1
 * (BENCHMARKS.md, Round 4).
 *
 * Layout 3: a vector that several points share (the built-in embedder's lines
 * of one shape, `--embedding-text masked`'s) is kept once, in a table of its
 * own keyed by a hash of its bytes; a point row refers to it (`shared`) and
 * holds an empty `vector`. A vector of one point stays in its row, as before.
 * The default job's 200,000 HDFS points hold 16 distinct vectors: each row
 * carried a 1.5 KB copy, three quarters of the row.
 *
 * Layout 1 (files written before 2026-11-27) is moved in one transaction when
 * a store opens the file: nothing changes unless all of it moves. Layout 2
 * takes the new table and column in place (nothing is copied; its points keep
 * their vectors in their rows). `user_version` says which layout a file has
 * (0 for layout 1 and new files).
 */
import type Database from 'better-sqlite3'
import { LogstreamError } from '../../core/errors.ts'

export const STORE_LAYOUT = 3

// Vectors that points share (`points.shared` is a key here), keyed within their collection by their bytes' SHA-256.
const VECTORS_TABLE = 'CREATE TABLE vectors (key INTEGER PRIMARY KEY, collection INTEGER NOT NULL, hash BLOB NOT NULL, vector BLOB NOT NULL) STRICT;'
const VECTORS_INDEX = 'CREATE UNIQUE INDEX vectors_hash ON vectors (collection, hash);'
/** A shared vector's key by its collection's key and hash, and the statement that adds one: the writer's and `collections share`'s. */
export const FIND_VECTOR_SQL = 'SELECT key FROM vectors WHERE collection = ? AND hash = ?'
export const ADD_VECTOR_SQL = 'INSERT INTO vectors (collection, hash, vector) VALUES (?, ?, ?)'

// Rows go in rowid order and only the small unique index is keyed by the random ids: five times the upsert rate and nine
// times the look-up rate of a table clustered on the id (measured, 1000-point batches, layout 1).
const TABLES = `
  CREATE TABLE collections (
    key INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    dim INTEGER NOT NULL,
    distance TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    marker TEXT,
    vectors TEXT
  ) STRICT;
  CREATE TABLE points (
    seq INTEGER PRIMARY KEY,
    collection INTEGER NOT NULL,
    id BLOB NOT NULL CHECK (length(id) = 16),
    vector BLOB NOT NULL,
    payload TEXT NOT NULL,
    log_level TEXT,
    node_type TEXT,
    source TEXT,
    timestamp TEXT,
    shared INTEGER
  ) STRICT;
  ${VECTORS_TABLE}
`
const INDEXES = `
  CREATE UNIQUE INDEX points_id ON points (collection, id);
  CREATE INDEX points_level ON points (collection, log_level);
  CREATE INDEX points_node_type ON points (collection, node_type);
  CREATE INDEX points_source ON points (collection, source);
  CREATE INDEX points_timestamp ON points (collection, timestamp);
  ${VECTORS_INDEX}
`

/** What opening did to the file. */
export interface LayoutOpened {
  /** Set when a layout 1 file was moved to this layout: its points, and collections that had points but no entry of their own. */
  readonly migrated?: { readonly points: number; readonly collections: number; readonly orphanCollections: readonly string[] }
  /** Set when a layout 2 file took this layout's table of shared vectors (in place: no point moved). */
  readonly fromLayout2?: true
}

const tableExists = (db: Database.Database, name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
const hasColumn = (db: Database.Database, table: string, name: string) => (db.pragma(`table_info(${table})`) as Array<{ name: string }>).some((col) => col.name === name)

/**
 * Creates the layout in a new file, moves a layout 1 or 2 file to it, or refuses a file of a newer layout.
 * Jobs sharing the file may open it at the same moment: the first one to take the write lock does the work.
 */
export function openLayout(db: Database.Database, path: string): LayoutOpened {
  const version = () => db.pragma('user_version', { simple: true }) as number
  if (version() === STORE_LAYOUT) return {}
  return db
    .transaction((): LayoutOpened => {
      const v = version()
      if (v === STORE_LAYOUT) return {}
      if (v > STORE_LAYOUT) {
        throw new LogstreamError('STORAGE_FAILED', `the embedded store ${path} has layout ${v}, newer than this logstream knows (${STORE_LAYOUT}): run a newer logstream on it`)
      }
      if (v === 2) {
        moveLayout2(db)
        return { fromLayout2: true }
      }
      if (tableExists(db, 'points')) return { migrated: moveLayout1(db, path) }
      db.exec(TABLES + INDEXES)
      db.pragma(`user_version = ${STORE_LAYOUT}`)
      return {}
    })
    .immediate()
}

/** Layout 2 → 3, inside the caller's transaction: the shared vectors' table and the points' column, and the collections' record of their vectors where the file is older than it. */
function moveLayout2(db: Database.Database): void {
  if (!hasColumn(db, 'collections', 'vectors')) db.exec('ALTER TABLE collections ADD COLUMN vectors TEXT')
  db.exec(`ALTER TABLE points ADD COLUMN shared INTEGER; ${VECTORS_TABLE} ${VECTORS_INDEX}`)
  db.pragma(`user_version = ${STORE_LAYOUT}`)
}

/** Layout 1 → 3, inside the caller's transaction. */
function moveLayout1(db: Database.Database, path: string): NonNullable<LayoutOpened['migrated']> {
  const bad = db.prepare("SELECT collection, id FROM points WHERE length(unhex(id, '-')) IS NOT 16 LIMIT 1").get() as { collection: string; id: string } | undefined
  if (bad) {
    throw new LogstreamError(
      'STORAGE_FAILED',
      `the embedded store ${path} holds a point whose id is not a UUID (${JSON.stringify(bad.id)} in collection ${bad.collection}), so it cannot move to layout ${STORE_LAYOUT}; nothing was changed`,
    )
  }
  const hasMarker = hasColumn(db, 'collections', 'marker')
  db.exec('ALTER TABLE collections RENAME TO collections_layout1; ALTER TABLE points RENAME TO points_layout1')
  // The indexes went with the renamed table; dropped with it below.
  db.exec(TABLES)
  db.exec(`INSERT INTO collections (name, dim, distance, created_at, marker) SELECT name, dim, distance, created_at, ${hasMarker ? 'marker' : 'NULL'} FROM collections_layout1 ORDER BY name`)
  // Points of a collection whose entry was deleted while a write was in flight kept their name only; they stay, under an
  // entry made for them (no marker: the job that wrote them is told the collection was made again).
  const orphans = db.prepare('SELECT DISTINCT collection FROM points_layout1 WHERE collection NOT IN (SELECT name FROM collections_layout1) ORDER BY collection').pluck().all() as string[]
  const addOrphan = db.prepare("INSERT INTO collections (name, dim, distance, created_at) SELECT ?, length(vector) / 4, 'Cosine', ? FROM points_layout1 WHERE collection = ? LIMIT 1")
  for (const name of orphans) addOrphan.run(name, Date.now(), name)
  const moved = db
    .prepare(
      `INSERT INTO points (seq, collection, id, vector, payload, log_level, node_type, source, timestamp)
       SELECT p.seq, c.key, unhex(p.id, '-'), p.vector, p.payload, p.log_level, p.node_type, p.source, p.timestamp
       FROM points_layout1 p JOIN collections c ON c.name = p.collection ORDER BY p.seq`,
    )
    .run().changes
  const before = db.prepare('SELECT COUNT(*) FROM points_layout1').pluck().get() as number
  if (moved !== before) throw new LogstreamError('STORAGE_FAILED', `moving the embedded store ${path} to layout ${STORE_LAYOUT} moved ${moved} of its ${before} points; nothing was changed`)
  db.exec('DROP TABLE points_layout1; DROP TABLE collections_layout1')
  db.exec(INDEXES)
  db.pragma(`user_version = ${STORE_LAYOUT}`)
  return { points: moved, collections: db.prepare('SELECT COUNT(*) FROM collections').pluck().get() as number, orphanCollections: orphans }
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/** True when `id` is a UUID as Qdrant takes it (hyphenated or 32 hex digits, any case): the only ids either store keeps. */
export const isUuid = (id: string): boolean => UUID.test(id)

/** A stored id (16 bytes) as the lowercase hyphenated UUID Qdrant also answers with. */
export function uuidText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
