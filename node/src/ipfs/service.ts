import { CID } from 'multiformats/cid'

import type { Manifest } from '../api.ts'
import type { ContentHash } from '../core/hash.ts'
import type { Logger } from '../core/logger.ts'
import type { ContentStore } from '../storage/content-store.ts'
import type { TrackStore } from '../storage/track-store.ts'
import type { Db } from '../storage/db.ts'
import { BlockIndex } from './block-index.ts'
import type { IpfsRoot } from './block-index.ts'
import { carStream, ChunkReader } from './car.ts'
import { buildBlobDag, buildTrackDag, MAX_LEAF_BYTES, parseCid } from './dag.ts'
import type { KuboPinner } from './kubo-pinner.ts'
import { walkDag } from './walk.ts'
import type { BlockRef, WalkOptions } from './walk.ts'

export interface IpfsServiceComponents {
  db: Db
  store: ContentStore
  tracks: TrackStore
  logger: Logger
  kubo?: KuboPinner
}

export interface IpfsServiceInit {
  /** Largest blob accepted by `addBlob` (cover art, metadata JSON). */
  maxBlobBytes: number
}

/**
 * Content addressing for IPFS: a UnixFS CID per stored track (from its manifest, no re-hashing),
 * small blobs, DAG walks for the trustless gateway, and optional pinning to the operator's Kubo.
 */
export class IpfsService {
  readonly index: BlockIndex
  readonly maxBlobBytes: number
  #c: IpfsServiceComponents
  #log: Logger
  #backfill: Promise<void> | undefined
  #pins = new Set<Promise<unknown>>()
  #abort = new AbortController()

  constructor(components: IpfsServiceComponents, init: IpfsServiceInit) {
    this.#c = components
    this.#log = components.logger.child({ component: 'ipfs' })
    this.index = new BlockIndex({ db: components.db })
    this.maxBlobBytes = init.maxBlobBytes
  }

  /** Computes the CIDs of tracks stored before this node had IPFS support, in the background. */
  start(): void {
    this.#backfill = this.#indexMissing().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'CID backfill failed'))
  }

  /** Resolves once the CIDs of tracks stored before IPFS support are computed. */
  async backfilled(): Promise<void> {
    await this.#backfill
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    await this.#backfill
    await Promise.allSettled([...this.#pins])
  }

  /** The root CID of a stored track (computing it now if it was stored before IPFS support). */
  async trackCid(contentHash: ContentHash): Promise<string | undefined> {
    const known = this.index.trackCid(contentHash)
    if (known) return known
    const m = this.#c.tracks.getManifest(contentHash)
    return m ? this.indexTrack(m) : undefined
  }

  /**
   * Builds and records the DAG of a stored track; pins it to Kubo if configured, unless `pin: false` (an upload
   * withheld until its registration: Kubo would announce it to the public IPFS network). Returns the root CID, or
   * undefined for manifests whose chunks are too large to be IPFS blocks.
   */
  async indexTrack(m: Manifest, opts: { pin?: boolean } = {}): Promise<string | undefined> {
    const known = this.index.trackCid(m.contentHash)
    if (known) return known
    if (m.chunkSize > MAX_LEAF_BYTES) {
      this.#log.warn({ hash: m.contentHash, chunkSize: m.chunkSize }, 'chunks above 2 MiB: no CID')
      return undefined
    }
    const dag = await buildTrackDag(m)
    this.index.putTrack(m.contentHash, m.size, m.chunkSize, dag)
    const cid = dag.root.toString()
    this.#log.debug({ hash: m.contentHash, cid }, 'track indexed for IPFS')
    if (opts.pin !== false) this.#pin(dag.root)
    return cid
  }

  /** Pins an indexed track now (one indexed with `pin: false` while it was withheld). */
  pinTrack(hash: string): void {
    const cid = this.index.trackCid(hash)
    if (cid) this.#pin(CID.parse(cid))
  }

  /** Content-addresses a small blob (cover art, edition metadata JSON) and keeps its blocks. */
  async addBlob(bytes: Uint8Array): Promise<{ cid: string; size: number }> {
    const { root, blocks } = await buildBlobDag(bytes)
    this.index.putBlob(root, bytes.byteLength, blocks)
    this.#pin(root)
    return { cid: root.toString(), size: bytes.byteLength }
  }

  root(cid: CID): IpfsRoot | undefined {
    return this.index.root(cid)
  }

  has(cid: CID): boolean {
    return this.index.locate(cid) !== undefined
  }

  /** The blocks of a DAG rooted at `cid`, depth-first. */
  walk(cid: CID, opts: WalkOptions): AsyncGenerator<BlockRef> {
    return walkDag(this.index, cid, opts)
  }

  /** A whole DAG as a CAR byte stream (for Kubo and scripts; the gateway sends with pooled buffers). */
  car(cid: CID): AsyncIterable<Uint8Array> {
    return carStream(cid, this.walk(cid, { scope: 'all', dups: false }), new ChunkReader(this.#c.store))
  }

  parseCid(s: string): CID | undefined {
    return parseCid(s)
  }

  #pin(root: CID): void {
    const kubo = this.#c.kubo
    if (!kubo) return
    const p = kubo
      .pin(root, this.car(root), { signal: this.#abort.signal })
      .catch((err: unknown) => this.#log.warn({ cid: root.toString(), kubo: kubo.url, err: (err as Error).message }, 'kubo pin failed'))
    this.#pins.add(p)
    void p.finally(() => this.#pins.delete(p))
  }

  /** Resolves when every pin started so far has finished (tests, shutdown). */
  async pinsSettled(): Promise<void> {
    await Promise.allSettled([...this.#pins])
  }

  async #indexMissing(): Promise<void> {
    const missing = this.index.tracksWithoutCid()
    if (missing.length === 0) return
    this.#log.info({ tracks: missing.length }, 'computing CIDs of tracks stored before IPFS support')
    for (const hash of missing) {
      if (this.#abort.signal.aborted) return
      const m = this.#c.tracks.getManifest(hash)
      if (m) await this.indexTrack(m)
    }
  }
}
