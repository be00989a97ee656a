import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'

export type Db = DatabaseSync

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tracks (
  content_hash TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  artist TEXT NOT NULL,
  album TEXT,
  duration INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL,
  manifest_root TEXT,
  created_at TEXT NOT NULL,
  local INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS manifests (
  content_hash TEXT PRIMARY KEY,
  chunk_size INTEGER NOT NULL,
  size INTEGER NOT NULL,
  root TEXT NOT NULL,
  chunks TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS peers (
  peer_id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  state TEXT NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  score INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER NOT NULL DEFAULT 0,
  timestamp INTEGER NOT NULL,
  signature TEXT NOT NULL,
  tracks TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp TEXT NOT NULL,
  node_id TEXT NOT NULL,
  action TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  result TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(timestamp);

-- IPFS (src/ipfs/block-index.ts): interior dag-pb nodes and small blobs inline; raw leaves
-- point into the content store; one row per DAG root (a track's CID or a blob's).
CREATE TABLE IF NOT EXISTS ipfs_blocks (
  cid TEXT PRIMARY KEY,
  bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS ipfs_leaves (
  cid TEXT PRIMARY KEY,
  content_hash TEXT NOT NULL,
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ipfs_roots (
  cid TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  content_hash TEXT,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ipfs_roots_content ON ipfs_roots(content_hash);

-- On-chain registration (src/chain/registration.ts). The salt and the artist's signature never leave the node
-- before the reveal; the wire type shows only the state.
CREATE TABLE IF NOT EXISTS registrations (
  content_hash TEXT PRIMARY KEY,
  mode TEXT NOT NULL,
  artist TEXT NOT NULL,
  registration TEXT NOT NULL,
  deadline TEXT,
  signature TEXT,
  salt TEXT NOT NULL,
  round INTEGER NOT NULL DEFAULT 1,
  state TEXT NOT NULL,
  reason TEXT,
  commit_tx TEXT,
  register_tx TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS registrations_state ON registrations(state);
`

/** Columns added after a table first shipped: added in place on databases created before them. */
const ADDED_COLUMNS: Array<{ table: string; column: string; type: string }> = [
  { table: 'tracks', column: 'media_type', type: 'TEXT' },
  // 1: a relayed registration asked for without the operator token (counted against the relay budget).
  { table: 'registrations', column: 'public_relay', type: 'INTEGER NOT NULL DEFAULT 0' },
]

function migrate(db: Db): void {
  for (const { table, column, type } of ADDED_COLUMNS) {
    const cols = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>
    if (!cols.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`)
  }
}

/** Opens (and migrates) the node's metadata database at `<dataDir>/node.db`. */
export function openDb(dataDir: string): Db {
  const db = new DatabaseSync(join(dataDir, 'node.db'))
  // cache_size: SQLite's page cache is 2 MiB by default and fills as the peer and track tables grow; 512 KiB keeps the
  // hot pages (the kernel's page cache holds the rest of the file), for ~1.5 MiB less RSS at 10,000 tracks.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -512;')
  db.exec(SCHEMA)
  migrate(db)
  return db
}

export function transaction<T>(db: Db, fn: () => T): T {
  db.exec('BEGIN')
  try {
    const r = fn()
    db.exec('COMMIT')
    return r
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}
