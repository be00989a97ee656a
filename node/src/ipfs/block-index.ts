import { CID } from 'multiformats/cid'

import type { ContentHash } from '../core/hash.ts'
import type { Db } from '../storage/db.ts'
import { transaction } from '../storage/db.ts'
import { cidKey } from './dag.ts'
import type { Block, TrackDag } from './dag.ts'


const IDENTITY = 0x00

/** Where a block's bytes are: in SQLite (interior nodes, small blobs) or a slice of stored content. */
export type BlockLocation =
  | { kind: 'inline'; bytes: Uint8Array }
  | { kind: 'chunk'; contentHash: ContentHash; offset: number; length: number }

export interface IpfsRoot {
  cid: string
  kind: 'track' | 'blob'
  contentHash: ContentHash | null
  size: number
  createdAt: string
}

/**
 * The node's IPFS block index in SQLite: interior dag-pb nodes and small blobs inline, raw leaves
 * as (content hash, offset, length) into the chunk store, so audio is never stored twice.
 * Keys are CIDv1 base32 strings (`cidKey`). Tables: `ipfs_*` in storage/db.ts.
 */
export class BlockIndex {
  #db: Db

  constructor(components: { db: Db }) {
    this.#db = components.db
  }

  /** Records a track's DAG; idempotent. */
  putTrack(contentHash: ContentHash, size: number, chunkSize: number, dag: TrackDag): void {
    transaction(this.#db, () => {
      const block = this.#db.prepare('INSERT OR IGNORE INTO ipfs_blocks (cid, bytes) VALUES (?, ?)')
      for (const n of dag.nodes) block.run(cidKey(n.cid), n.bytes)
      // A chunk that occurs in several tracks (or twice in one) keeps its first location: same bytes.
      const leaf = this.#db.prepare('INSERT OR IGNORE INTO ipfs_leaves (cid, content_hash, offset, length) VALUES (?, ?, ?, ?)')
      dag.leaves.forEach((cid, i) => {
        const offset = i * chunkSize
        leaf.run(cidKey(cid), contentHash, offset, Math.min(chunkSize, size - offset))
      })
      this.#db
        .prepare('INSERT OR IGNORE INTO ipfs_roots (cid, kind, content_hash, size, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(cidKey(dag.root), 'track', contentHash, size, new Date().toISOString())
    })
  }

  /** Records a blob's blocks (all inline). */
  putBlob(root: CID, size: number, blocks: Block[]): void {
    transaction(this.#db, () => {
      const block = this.#db.prepare('INSERT OR IGNORE INTO ipfs_blocks (cid, bytes) VALUES (?, ?)')
      for (const b of blocks) block.run(cidKey(b.cid), b.bytes)
      this.#db
        .prepare('INSERT OR IGNORE INTO ipfs_roots (cid, kind, content_hash, size, created_at) VALUES (?, ?, NULL, ?, ?)')
        .run(cidKey(root), 'blob', size, new Date().toISOString())
    })
  }

  locate(cid: CID): BlockLocation | undefined {
    // An identity CID carries its block (e.g. the gateway probe bafkqaaa, the empty raw block).
    if (cid.multihash.code === IDENTITY) return { kind: 'inline', bytes: cid.multihash.digest }
    const key = cidKey(cid)
    const inline = this.#db.prepare('SELECT bytes FROM ipfs_blocks WHERE cid = ?').get(key) as { bytes: Uint8Array } | undefined
    if (inline) return { kind: 'inline', bytes: inline.bytes }
    const leaf = this.#db.prepare('SELECT content_hash, offset, length FROM ipfs_leaves WHERE cid = ?').get(key) as
      | { content_hash: string; offset: number; length: number }
      | undefined
    return leaf ? { kind: 'chunk', contentHash: leaf.content_hash, offset: leaf.offset, length: leaf.length } : undefined
  }

  /** The root CID of a stored track, if computed. */
  trackCid(contentHash: ContentHash): string | undefined {
    const r = this.#db.prepare("SELECT cid FROM ipfs_roots WHERE content_hash = ? AND kind = 'track'").get(contentHash) as { cid: string } | undefined
    return r?.cid
  }

  root(cid: CID): IpfsRoot | undefined {
    const r = this.#db.prepare('SELECT * FROM ipfs_roots WHERE cid = ?').get(cidKey(cid)) as
      | { cid: string; kind: 'track' | 'blob'; content_hash: string | null; size: number; created_at: string }
      | undefined
    return r ? { cid: r.cid, kind: r.kind, contentHash: r.content_hash, size: r.size, createdAt: r.created_at } : undefined
  }

  /**
   * Forgets a deleted track's root and leaves (its interior blocks are small and may be shared: they stay). A chunk
   * located in this track whose bytes another local track also holds (same SHA-256, e.g. digital silence) is pointed
   * at that track instead, so the other track stays whole over /ipfs. Call before the track's manifest is deleted
   * or after: only other tracks' manifests are read.
   */
  forgetTrack(contentHash: ContentHash): void {
    transaction(this.#db, () => {
      this.#db.prepare("DELETE FROM ipfs_roots WHERE content_hash = ? AND kind = 'track'").run(contentHash)
      const leaves = this.#db.prepare('SELECT cid FROM ipfs_leaves WHERE content_hash = ?').all(contentHash) as Array<{ cid: string }>
      const others = this.#db.prepare(
        `SELECT m.content_hash, m.chunk_size, m.size, m.chunks FROM manifests m JOIN tracks t ON t.content_hash = m.content_hash
         WHERE t.local = 1 AND m.content_hash != ? AND instr(m.chunks, ?) > 0`,
      )
      const move = this.#db.prepare('UPDATE ipfs_leaves SET content_hash = ?, offset = ?, length = ? WHERE cid = ?')
      const drop = this.#db.prepare('DELETE FROM ipfs_leaves WHERE cid = ?')
      for (const { cid } of leaves) {
        const digest = Buffer.from(CID.parse(cid).multihash.digest).toString('hex')
        let moved = false
        for (const m of others.all(contentHash, digest) as Array<{ content_hash: string; chunk_size: number; size: number; chunks: string }>) {
          // A match must sit on a 64-character boundary to be a whole chunk hash.
          for (let at = m.chunks.indexOf(digest); at >= 0 && !moved; at = m.chunks.indexOf(digest, at + 1)) {
            if (at % 64 !== 0) continue
            const offset = (at / 64) * m.chunk_size
            move.run(m.content_hash, offset, Math.min(m.chunk_size, m.size - offset), cid)
            moved = true
          }
          if (moved) break
        }
        if (!moved) drop.run(cid)
      }
    })
  }

  /** Local tracks (with a manifest) whose DAG is not computed yet: those stored before IPFS support. */
  tracksWithoutCid(): ContentHash[] {
    return (
      this.#db
        .prepare(
          `SELECT t.content_hash FROM tracks t JOIN manifests m ON m.content_hash = t.content_hash
           WHERE t.local = 1 AND NOT EXISTS (SELECT 1 FROM ipfs_roots r WHERE r.content_hash = t.content_hash AND r.kind = 'track')`,
        )
        .all() as Array<{ content_hash: string }>
    ).map((r) => r.content_hash)
  }
}
