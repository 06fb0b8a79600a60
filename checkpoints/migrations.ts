/**
 * Ordered schema migrations of the checkpoint file. A migration is never edited
 * once released: a change is a new entry at the end. `user_version` holds how
 * many have been applied.
 */

/**
 * About what a dead letter's row takes in the file: its value, detail, key and headers, and a fixed part for the rest
 * (position, reason, batch, times), so a flood of empty messages is bounded too.
 */
export const DEAD_LETTER_BYTES = 'octet_length(value) + octet_length(detail) + coalesce(octet_length(key), 0) + coalesce(octet_length(headers), 0) + 64'

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE identity (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) STRICT;
   CREATE TABLE positions (
     partition TEXT PRIMARY KEY,
     next_offset INTEGER NOT NULL,
     batch_id TEXT,
     updated_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE batches (
     id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('planned', 'committed')),
     ranges TEXT NOT NULL,
     planned_at INTEGER NOT NULL,
     committed_at INTEGER,
     counts TEXT,
     timings TEXT
   ) STRICT;
   CREATE INDEX batches_by_seq ON batches (seq);
   CREATE INDEX batches_pending ON batches (state) WHERE state = 'planned';
   CREATE TABLE dead_letters (
     partition TEXT NOT NULL,
     offset INTEGER NOT NULL,
     reason TEXT NOT NULL,
     detail TEXT NOT NULL,
     key TEXT,
     value BLOB NOT NULL,
     headers TEXT,
     batch_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     replayed_at INTEGER,
     PRIMARY KEY (partition, offset)
   ) STRICT;`,
  // The store the checkpoint was written against: its collection's marker and the points acknowledged,
  // and a sample of each batch's stored ids, so a start can tell a store that was replaced or lost points.
  `ALTER TABLE batches ADD COLUMN stored_ids TEXT;
   CREATE TABLE store_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     marker TEXT,
     acknowledged INTEGER NOT NULL
   ) STRICT;
   INSERT INTO store_state (id, marker, acknowledged) VALUES (1, NULL, 0);`,
  // New patterns found at ingest: one row per announced shape (its quiet period and example), the lines of
  // each batch not yet committed (kept per batch, so a replayed batch counts nothing twice), and an outbox of
  // announcements to publish once their batch is stored.
  `CREATE TABLE anomaly_patterns (
     shape_id TEXT PRIMARY KEY,
     shape TEXT NOT NULL,
     first_seen_at INTEGER NOT NULL,
     announced_at INTEGER NOT NULL,
     announcements INTEGER NOT NULL,
     lines INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL,
     score REAL NOT NULL,
     level TEXT NOT NULL,
     point_id TEXT NOT NULL,
     example TEXT NOT NULL,
     source_position TEXT NOT NULL
   ) STRICT;
   CREATE INDEX anomaly_patterns_by_announcement ON anomaly_patterns (announced_at);
   CREATE TABLE anomaly_batch_lines (
     batch_id TEXT NOT NULL,
     shape_id TEXT NOT NULL,
     lines INTEGER NOT NULL,
     PRIMARY KEY (batch_id, shape_id)
   ) STRICT;
   CREATE TABLE anomaly_outbox (
     batch_id TEXT NOT NULL,
     batch_seq INTEGER NOT NULL,
     shape_id TEXT NOT NULL,
     point_id TEXT NOT NULL,
     message TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     published_at INTEGER,
     PRIMARY KEY (batch_id, shape_id)
   ) STRICT;
   CREATE INDEX anomaly_outbox_pending ON anomaly_outbox (batch_seq) WHERE published_at IS NULL;`,
  // A dead letter's own time (Kafka's timestamp): a message without a timestamp field, or a line without a year, takes
  // its id from it, so a replay that gave the message a new time would store it under another id. And the room the
  // dead letters take, kept as they come and go, so the oldest can be dropped past a limit without summing the table.
  `ALTER TABLE dead_letters ADD COLUMN timestamp_ms INTEGER;
   CREATE TABLE dead_letter_room (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     bytes INTEGER NOT NULL
   ) STRICT;
   INSERT INTO dead_letter_room (id, bytes) SELECT 1, COALESCE(SUM(${DEAD_LETTER_BYTES}), 0) FROM dead_letters;`,
]
