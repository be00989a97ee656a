import type { RegistrationState, Track } from '../api.ts'
import type { ContentHash } from '../core/hash.ts'
import type { Manifest } from '../core/manifest.ts'
import type { Db } from './db.ts'

export type { Track }

interface TrackRow {
  content_hash: string
  title: string
  artist: string
  album: string | null
  duration: number
  size: number
  manifest_root: string | null
  created_at: string
  local: number
  cid: string | null
  media_type: string | null
  r_state: string | null
  r_mode: string | null
  r_artist: string | null
  r_round: number | null
  r_reason: string | null
  r_commit_tx: string | null
  r_register_tx: string | null
  r_updated_at: number | null
  uploader: string | null
  uploader_signature: string | null
}

/** A registered track's metadata from the chain index (TrackRegistered), which overrides what gossip says. */
export interface RegisteredMetadata {
  title: string
  artist_name: string
  album: string
  duration: number
}

/** On conflict, a signed version replaces an unsigned placeholder (e.g. the fetcher's 'Unknown') whole. */
const SIGNED_REPLACES_UNSIGNED = ['title', 'artist', 'album', 'duration', 'created_at', 'uploader', 'uploader_signature']
  .map((c) => `${c} = CASE WHEN tracks.uploader_signature IS NULL AND excluded.uploader_signature IS NOT NULL THEN excluded.${c} ELSE tracks.${c} END`)
  .join(',\n           ')

/** A track row plus its IPFS root CID (computed for local content, src/ipfs/) and its registration state. */
const SELECT = `SELECT t.*, (SELECT r.cid FROM ipfs_roots r WHERE r.content_hash = t.content_hash AND r.kind = 'track') AS cid,
  g.state AS r_state, g.mode AS r_mode, g.artist AS r_artist, g.round AS r_round, g.reason AS r_reason,
  g.commit_tx AS r_commit_tx, g.register_tx AS r_register_tx, g.updated_at AS r_updated_at
  FROM tracks t LEFT JOIN registrations g ON g.content_hash = t.content_hash`

function toTrack(r: TrackRow): Track {
  return {
    title: r.title,
    artist: r.artist,
    album: r.album,
    duration: r.duration,
    content_hash: r.content_hash,
    size: r.size,
    manifest_root: r.manifest_root,
    created_at: r.created_at,
    ...(r.uploader && r.uploader_signature ? { uploader: r.uploader, uploader_signature: r.uploader_signature } : {}),
    ...(r.cid ? { cid: r.cid } : {}),
    ...(r.media_type ? { media_type: r.media_type } : {}),
    ...(r.r_state
      ? {
          registration: {
            state: r.r_state as RegistrationState,
            mode: r.r_mode as 'relayed' | 'operator',
            artist: r.r_artist as string,
            round: r.r_round as number,
            reason: r.r_reason,
            commit_tx: r.r_commit_tx,
            register_tx: r.r_register_tx,
            updated_at: new Date(r.r_updated_at as number).toISOString(),
          },
        }
      : {}),
  }
}

/** Columns of the metadata's provenance, added in place on databases created before them. */
const PROVENANCE_COLUMNS = ['uploader', 'uploader_signature']

/**
 * Track metadata (the node's catalog: its own tracks and those learned from peers) and the
 * manifests of locally stored content. Backed by SQLite so a restart loses nothing.
 *
 * Provenance: gossiped metadata is stored only with a valid uploader signature (checked by the caller,
 * src/mesh/track-metadata.ts) and the first signed version of a hash is kept; a registered track shows the
 * chain's title, artist name, album and duration instead (`registered`), while `signed()` returns the
 * uploader's version as signed, for gossip.
 */
export class TrackStore {
  #db: Db
  #registered: (hash: string) => RegisteredMetadata | undefined
  #withheld = new Set<string>()

  constructor(components: { db: Db; registered?: (hash: string) => RegisteredMetadata | undefined }) {
    this.#db = components.db
    this.#registered = components.registered ?? (() => undefined)
    const cols = this.#db.prepare('PRAGMA table_info(tracks)').all() as Array<{ name: string }>
    for (const c of PROVENANCE_COLUMNS) if (!cols.some((x) => x.name === c)) this.#db.exec(`ALTER TABLE tracks ADD COLUMN ${c} TEXT`)
  }

  /** The chain's metadata over the gossiped one, for a registered track. */
  #view(t: Track): Track {
    let reg: RegisteredMetadata | undefined
    try {
      reg = this.#registered(t.content_hash)
    } catch {
      reg = undefined // the chain index may not exist yet (chain not started): gossip metadata stands
    }
    if (!reg) return t
    // The uploader's signature does not cover the chain's fields: this view carries none (gossip uses signed()).
    const { uploader_signature: _sig, ...rest } = t
    return { ...rest, title: reg.title || t.title, artist: reg.artist_name || t.artist, album: reg.album || t.album, duration: reg.duration || t.duration }
  }

  /**
   * Inserts or refreshes metadata; `local` only ever goes from 0 to 1 here. For local content the
   * manifest root is computed by this node and replaces any root learned from gossip.
   */
  upsert(track: Track, local: boolean): void {
    this.#db
      .prepare(
        `INSERT INTO tracks (content_hash, title, artist, album, duration, size, manifest_root, created_at, local, media_type, uploader, uploader_signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(content_hash) DO UPDATE SET
           ${SIGNED_REPLACES_UNSIGNED},
           local = max(tracks.local, excluded.local),
           media_type = coalesce(excluded.media_type, tracks.media_type),
           manifest_root = CASE WHEN excluded.local = 1 THEN excluded.manifest_root
                                ELSE coalesce(tracks.manifest_root, excluded.manifest_root) END`,
      )
      .run(
        track.content_hash,
        track.title,
        track.artist,
        track.album,
        track.duration,
        track.size,
        track.manifest_root,
        track.created_at,
        local ? 1 : 0,
        local ? (track.media_type ?? null) : null,
        track.uploader ?? null,
        track.uploader_signature ?? null,
      )
  }

  /** The media type detected from the stored bytes (`application/octet-stream` when unknown or not recorded). */
  mediaType(hash: ContentHash): string | undefined {
    const r = this.#db.prepare('SELECT media_type FROM tracks WHERE content_hash = ?').get(hash) as { media_type: string | null } | undefined
    return r?.media_type ?? undefined
  }

  /**
   * Stores gossiped metadata whose uploader signature the caller verified: it never overwrites signed
   * metadata we already have (the first signed version stays), only an unsigned placeholder.
   */
  learn(track: Track): boolean {
    if (!track.uploader || !track.uploader_signature) return false
    const r = this.#db
      .prepare(
        `INSERT INTO tracks (content_hash, title, artist, album, duration, size, manifest_root, created_at, local, uploader, uploader_signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT(content_hash) DO UPDATE SET ${SIGNED_REPLACES_UNSIGNED}
         WHERE tracks.uploader_signature IS NULL`,
      )
      .run(
        track.content_hash,
        track.title,
        track.artist,
        track.album,
        track.duration,
        track.size,
        track.manifest_root,
        track.created_at,
        track.uploader,
        track.uploader_signature,
      )
    return r.changes > 0
  }

  /** Whether we already hold this exact signed metadata (gossip skips verifying it again). */
  hasSigned(hash: string, signature: string): boolean {
    return this.#db.prepare('SELECT 1 FROM tracks WHERE content_hash = ? AND uploader_signature = ?').get(hash, signature) !== undefined
  }

  get(hash: ContentHash): (Track & { local: boolean }) | undefined {
    const r = this.#db.prepare(`${SELECT} WHERE t.content_hash = ?`).get(hash) as TrackRow | undefined
    return r ? { ...this.#view(toTrack(r)), local: r.local === 1 } : undefined
  }

  /** The metadata as its uploader signed it (no chain overlay), for gossip; undefined when unsigned or unknown. */
  signed(hash: ContentHash): Track | undefined {
    const r = this.#db.prepare(`${SELECT} WHERE t.content_hash = ?`).get(hash) as TrackRow | undefined
    return r?.uploader_signature ? toTrack(r) : undefined
  }

  /**
   * Local tracks with uploader-signed metadata, as signed, for gossip: all of them up to `limit`, else a random
   * `limit` of them, so that over successive messages every track's metadata gets out.
   */
  listLocalSigned(limit: number): Track[] {
    return (
      this.#db
        .prepare(
          `SELECT * FROM (${SELECT} WHERE t.local = 1 AND t.uploader_signature IS NOT NULL)
           ORDER BY CASE WHEN (SELECT count(*) FROM tracks WHERE local = 1) > :limit THEN random() ELSE 0 END LIMIT :limit`,
        )
        .all({ limit }) as unknown as TrackRow[]
    )
      .filter((r) => !this.#withheld.has(r.content_hash))
      .map(toTrack)
  }

  /** Local tracks the mesh may hear of (not withheld). */
  listLocal(): Track[] {
    return (this.#db.prepare(`${SELECT} WHERE t.local = 1 ORDER BY t.created_at`).all() as unknown as TrackRow[])
      .filter((r) => !this.#withheld.has(r.content_hash))
      .map((r) => this.#view(toTrack(r)))
  }

  /**
   * Holds a local track back from the mesh (gossip and the public `/tracks` list it no longer) until `release`: an
   * upload waits for its on-chain registration (see chain/register-then-announce.ts). In memory only.
   */
  withhold(hash: ContentHash): void {
    this.#withheld.add(hash)
  }

  release(hash: ContentHash): void {
    this.#withheld.delete(hash)
  }

  /** Deletes a track and its manifest outright (an unregistered upload whose reservation lapsed); the caller removes the bytes. */
  forget(hash: ContentHash): void {
    this.#db.prepare('DELETE FROM tracks WHERE content_hash = ?').run(hash)
    this.#db.prepare('DELETE FROM manifests WHERE content_hash = ?').run(hash)
    this.#withheld.delete(hash)
  }

  isWithheld(hash: ContentHash): boolean {
    return this.#withheld.has(hash)
  }

  /** Every track known here, local or heard of, except those withheld from the mesh. */
  listAll(): Array<Track & { local: boolean }> {
    return (this.#db.prepare(`${SELECT} ORDER BY t.created_at`).all() as unknown as TrackRow[])
      .filter((r) => !this.#withheld.has(r.content_hash))
      .map((r) => ({ ...this.#view(toTrack(r)), local: r.local === 1 }))
  }

  /** Hashes of the local tracks the mesh may hear of (not withheld); `{ all: true }` with the withheld ones. */
  localHashes(opts: { all?: boolean } = {}): string[] {
    return (this.#db.prepare('SELECT content_hash FROM tracks WHERE local = 1').all() as Array<{ content_hash: string }>)
      .map((r) => r.content_hash)
      .filter((h) => opts.all || !this.#withheld.has(h))
  }

  countLocal(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM tracks WHERE local = 1').get() as { n: number }).n
  }

  putManifest(m: Manifest): void {
    this.#db
      .prepare('INSERT OR IGNORE INTO manifests (content_hash, chunk_size, size, root, chunks) VALUES (?, ?, ?, ?, ?)')
      .run(m.contentHash, m.chunkSize, m.size, m.root, m.chunks.join(''))
  }

  getManifest(hash: ContentHash): Manifest | undefined {
    const r = this.#db.prepare('SELECT * FROM manifests WHERE content_hash = ?').get(hash) as
      | { content_hash: string; chunk_size: number; size: number; root: string; chunks: string }
      | undefined
    if (!r) return undefined
    const chunks: string[] = []
    for (let i = 0; i < r.chunks.length; i += 64) chunks.push(r.chunks.slice(i, i + 64))
    return { version: 1, contentHash: r.content_hash, size: r.size, chunkSize: r.chunk_size, chunks, root: r.root }
  }
}
