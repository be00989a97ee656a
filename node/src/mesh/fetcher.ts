import { createHash } from 'node:crypto'

import { WINDOW_HEADER } from '../api.ts'
import type { Manifest, Track } from '../api.ts'
import { ChunkVerificationError, ContentUnavailableError, DcmxError, HashMismatchError, LocalStorageError, PeerRequestError, ValidationError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { assertManifestConsistent, chunkCount } from '../core/manifest.ts'
import { detectMediaType, SNIFF_BYTES } from '../core/media-type.ts'
import type { NodeMetrics } from '../core/metrics.ts'
import type { AuditLog } from '../storage/audit-log.ts'
import type { ContentStore, TempWrite } from '../storage/content-store.ts'
import type { TrackStore } from '../storage/track-store.ts'
import { PIECE_SIZE } from './chunk-verifier.ts'
import type { ChunkVerifier } from './chunk-verifier.ts'
import type { PeerEntry, PeerTable } from './peer-table.ts'
import type { ProtocolClient } from './protocol-client.ts'

export interface FetcherComponents {
  store: ContentStore
  tracks: TrackStore
  peers: PeerTable
  client: ProtocolClient
  metrics: NodeMetrics
  audit: AuditLog
  verifier: ChunkVerifier
  logger: Logger
  /** Bandwidth receipts for the serving peer (on chain only): identifies this node and signs as bytes verify. */
  receipts?: () => ReceiptHooks | undefined
  /**
   * The manifest root the chain anchors for a hash (TrackRegistry), if any. An anchored track accepts only that
   * manifest and needs no whole-file SHA-256: each chunk is bound to the artist's registration by the root.
   */
  anchor?: (hash: string) => Promise<string | undefined>
}

/** What the fetcher needs from the receipt service (src/chain/receipts.ts). */
export interface ReceiptHooks {
  contentHeaders(server: string, hash: string, start: number): Promise<Record<string, string>>
  verified(server: string, hash: string, bytes: number, final?: boolean): void
  /** The server's receipts window, from its `/content` answer. */
  serverWindow(server: string, bytes: number): void
}

/** The media type of stored content, sniffed from its first bytes. */
export async function mediaTypeOf(store: ContentStore, hash: string): Promise<string> {
  const f = await store.openRead(hash)
  if (!f) return 'application/octet-stream'
  try {
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, f.size))
    if (head.length > 0) await f.handle.read(head, 0, head.length, 0)
    return detectMediaType(head)
  } finally {
    await f.close()
  }
}

export interface FetcherInit {
  /** How many peers race for the first verified chunk. */
  raceWidth: number
  /** Largest file this node accepts from a peer (a manifest claiming more is refused before any byte is fetched). */
  maxContentBytes: number
}

export interface FetchResult {
  track: Track
  manifest: Manifest
  /** Peer that served the bytes; undefined when the content was already local. */
  from?: string
  /** The copy asked for with `copyTo` was written during the download and is in place. */
  copied?: boolean
}

/** Chunks written but not yet verified before the download waits for the hash worker. */
const MAX_UNVERIFIED = 16
/** Positional writes in flight at once. */
const MAX_WRITES = 8
/** Received bytes gathered per write and per message to the hash worker. */
const WRITE_BATCH = 1 << 20

function chunkLength(m: Manifest, i: number): number {
  return Math.min(m.chunkSize, m.size - i * m.chunkSize)
}

interface Piece {
  offset: number
  buf: Buffer
}

/**
 * Streams `/content/{hash}` from a peer starting at chunk `first` and yields the received pieces
 * as they are (1 MiB pieces read straight from the socket into pooled buffers: no copies). The first chunk is verified here before anything is yielded (it
 * decides the race); the rest is verified by the hash worker. Throws ChunkVerificationError at a
 * bad first chunk, at bytes past the end, or when the response ends early.
 */
async function* peerPieces(
  client: ProtocolClient,
  peer: PeerEntry,
  m: Manifest,
  first: number,
  signal: AbortSignal,
  alloc: (size: number) => Buffer,
  receipts?: ReceiptHooks,
): AsyncGenerator<Piece> {
  const start = first * m.chunkSize
  const headers = receipts ? await receipts.contentHeaders(peer.record.peer_id, m.contentHash, start).catch(() => ({})) : {}
  const res = await client.content(peer.record, m.contentHash, start, signal, { headers, pieceSize: PIECE_SIZE, alloc })
  try {
    const okStatus = start > 0 ? res.statusCode === 206 : res.statusCode === 200 || res.statusCode === 206
    if (!okStatus) throw new PeerRequestError(`Peer answered /content with ${res.statusCode}`)
    const window = res.headers.get(WINDOW_HEADER)
    if (receipts && window !== undefined) receipts.serverWindow(peer.record.peer_id, Number(window))
    const firstLen = first < m.chunks.length ? chunkLength(m, first) : 0
    const held: Piece[] = []
    const h = createHash('sha256')
    let offset = start
    let verifiedFirst = firstLen === 0
    for await (const buf of res.pieces) {
      if (offset + buf.byteLength > m.size) {
        throw new ChunkVerificationError(Math.floor(m.size / m.chunkSize), 'peer sent more bytes than the manifest lists')
      }
      const piece = { offset, buf }
      offset += buf.byteLength
      if (verifiedFirst) {
        yield piece
        continue
      }
      held.push(piece)
      const inFirst = Math.min(buf.byteLength, start + firstLen - piece.offset)
      h.update(inFirst === buf.byteLength ? buf : buf.subarray(0, inFirst))
      if (offset >= start + firstLen) {
        if (h.digest('hex') !== m.chunks[first]) throw new ChunkVerificationError(first, 'hash differs from the manifest')
        verifiedFirst = true
        yield* held.splice(0)
      }
    }
    // The response ended normally but short: the peer claimed bytes it did not send.
    if (offset < m.size) throw new ChunkVerificationError(Math.floor(offset / m.chunkSize), 'peer ended the response early')
  } finally {
    res.destroy()
  }
}

interface Attempt {
  peer: PeerEntry
  ac: AbortController
  it: AsyncGenerator<Piece>
  first: Promise<IteratorResult<Piece>>
}

/**
 * Gets content from the mesh: races the best `raceWidth` candidates for the first verified chunk
 * (the losers are cancelled), continues with the winner, and on a failure or a bad chunk resumes
 * from the last verified chunk with the next peers. Liars are penalized; nothing unverified is
 * ever stored.
 */
export class ContentFetcher {
  #c: FetcherComponents
  #init: FetcherInit
  #log: Logger
  #inflight = new Map<string, Promise<FetchResult>>()

  constructor(components: FetcherComponents, init: FetcherInit) {
    this.#c = components
    this.#init = init
    this.#log = components.logger.child({ component: 'fetcher' })
  }

  /**
   * Local first; concurrent calls for one hash share one download. `copyTo` (a temp path checked by `copyTarget`
   * and its destination): the download also writes there, and the copy is renamed into place once verified
   * (`copied`); a call that finds the content local or joins another's download, or whose copy could not be
   * written, gets no copy (the caller copies from the store).
   */
  async fetch(hash: string, opts: { signal?: AbortSignal; copyTo?: { tmp: string; dest: string } } = {}): Promise<FetchResult> {
    const local = this.#c.tracks.get(hash)
    const localManifest = this.#c.tracks.getManifest(hash)
    if (local?.local && localManifest && (await this.#c.store.has(hash))) return { track: local, manifest: localManifest }
    const joined = this.#inflight.get(hash)
    // Joining another caller's download: its copy is not this caller's (the caller copies from the store).
    if (joined) return joined.then(({ copied: _theirs, ...r }) => r)
    const p = this.#fetchRemote(hash, opts.signal, opts.copyTo).finally(() => this.#inflight.delete(hash))
    this.#inflight.set(hash, p)
    return p
  }

  async #fetchRemote(hash: string, signal?: AbortSignal, copyTo?: { tmp: string; dest: string }): Promise<FetchResult> {
    const t0 = performance.now()
    const candidates = this.#c.peers.candidatesFor(hash)
    if (candidates.length === 0) {
      this.#c.audit.record('DOWNLOAD', hash, 'FAILED', { reason: 'no peer holds it' })
      throw new ContentUnavailableError(hash, 'no known peer holds it')
    }
    const known = this.#c.tracks.get(hash)
    // The hash worker boots (tens of ms, once per process) while the manifest and the anchor are read.
    this.#c.verifier.warm()
    let tmp: TempWrite | undefined
    try {
      // The chain's root, when it holds one, overrides whatever root gossip taught us.
      const anchored = await this.#c.anchor?.(hash)
      const { manifest, source } = await this.#getManifest(hash, candidates, anchored ?? known?.manifest_root ?? undefined, signal)
      tmp = await this.#c.store.beginWrite({ direct: true })
      // A copy that cannot even be opened is left to the caller (copied: false), never a failed download.
      if (copyTo) await tmp.tee(copyTo.tmp, copyTo.dest).catch(() => {})
      const from = await this.#download(manifest, candidates, tmp, signal, source, anchored !== undefined)
      const created = await tmp.commit(hash, manifest.size)
      const media_type = await mediaTypeOf(this.#c.store, hash)
      const track: Track = known ?? {
        title: 'Unknown',
        artist: 'Unknown',
        album: null,
        duration: 0,
        content_hash: hash,
        size: manifest.size,
        manifest_root: manifest.root,
        created_at: new Date().toISOString(),
      }
      this.#c.tracks.putManifest(manifest)
      this.#c.tracks.upsert({ ...track, manifest_root: manifest.root, media_type }, true)
      const ms = performance.now() - t0
      this.#c.metrics.contentRetrievalLatency.observe(ms)
      this.#c.metrics.downloadedBytes.inc(manifest.size)
      this.#c.audit.record('DOWNLOAD', hash, 'SUCCESS', { from, bytes: manifest.size, ms: Math.round(ms), created, anchored: anchored !== undefined })
      this.#log.info({ hash, from, bytes: manifest.size, ms: Math.round(ms), anchored: anchored !== undefined }, 'content fetched')
      return { track: { ...track, manifest_root: manifest.root, media_type }, manifest, from, ...(tmp.copied ? { copied: true } : {}) }
    } catch (err) {
      await tmp?.abort()
      this.#c.audit.record('DOWNLOAD', hash, 'FAILED', { reason: err instanceof DcmxError ? err.shortMessage : String(err) })
      if (err instanceof DcmxError && !(err instanceof ContentUnavailableError) && !(err instanceof LocalStorageError)) {
        throw new ContentUnavailableError(hash, err.shortMessage)
      }
      throw err
    }
  }

  async #getManifest(
    hash: string,
    candidates: PeerEntry[],
    expectedRoot: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ manifest: Manifest; source: string }> {
    const errors: string[] = []
    for (const peer of candidates) {
      signal?.throwIfAborted()
      try {
        const m = await this.#c.client.manifest(peer.record, hash, signal)
        try {
          assertManifestConsistent(m, hash, expectedRoot)
          if (m.size > this.#init.maxContentBytes) {
            throw new ValidationError(`Manifest claims ${m.size} bytes, above this node's ${this.#init.maxContentBytes}-byte limit`)
          }
        } catch (err) {
          this.#penalize(peer, err)
          throw err
        }
        return { manifest: m, source: peer.record.peer_id }
      } catch (err) {
        errors.push(`${peer.record.peer_id}: ${(err as Error).message.split('\n')[0]}`)
      }
    }
    throw new ContentUnavailableError(hash, `no peer served a valid manifest (${errors.join('; ')})`)
  }

  async #download(
    m: Manifest,
    candidates: PeerEntry[],
    tmp: TempWrite,
    signal: AbortSignal | undefined,
    manifestSource: string,
    anchored: boolean,
  ): Promise<string> {
    const n = chunkCount(m.size, m.chunkSize)
    // Anchored: the chunk hashes are bound to the chain, so the worker skips the whole-file SHA-256.
    const session = this.#c.verifier.begin(m, { wholeFile: !anchored })
    const queue = [...candidates]
    let lastPeer = ''
    const errors: string[] = []
    try {
      let next = 0
      while (next < n) {
        signal?.throwIfAborted()
        const racers = queue.splice(0, this.#init.raceWidth)
        if (racers.length === 0) throw new ContentUnavailableError(m.contentHash, `all peers failed (${errors.join('; ')})`)
        const { winner, losers } = await this.#race(racers, m, next, signal, errors, session.alloc)
        queue.unshift(...losers)
        if (!winner) continue
        lastPeer = winner.peer.record.peer_id
        const report = this.#reportVerified(winner.peer, m, session)
        const writes = new Set<Promise<void>>()
        // A write to this node's own disk that fails ends the download as this node's error: the worker verified those
        // bytes in memory, so settling and resuming would count chunks that never reached the file (and blame the peer).
        let writeError: unknown
        // Received pieces are gathered to ~1 MiB (at most a chunk), written with one positional
        // writev (the temp file is invisible) and handed to the hash worker without copying.
        let batch: Buffer[] = []
        let batchAt = 0
        let batchBytes = 0
        const batchLimit = Math.min(WRITE_BATCH, m.chunkSize)
        const flush = (): void => {
          const bufs = batch
          const at = batchAt
          batch = []
          batchBytes = 0
          // Ring slots are hashed while they are written (both only read them); other buffers are handed over
          // (transferred) once written.
          let w: Promise<void>
          if (session.shared(bufs)) {
            session.push(at, bufs, { writing: true })
            w = tmp.writevAt(bufs, at, { aligned: session.aligned(bufs) }).finally(() => session.written(bufs))
          } else w = tmp.writevAt(bufs, at).then(() => session.push(at, bufs))
          writes.add(w)
          void w.then(
            () => writes.delete(w),
            (err: unknown) => {
              writes.delete(w)
              writeError ??= err
            },
          )
        }
        const failedWrite = (): LocalStorageError =>
          new LocalStorageError('This node could not write the download to its disk', { details: (writeError as Error).message, cause: writeError })
        try {
          let r = await winner.first
          while (!r.done) {
            const { offset, buf } = r.value
            if (batch.length === 0) batchAt = offset
            batch.push(buf)
            batchBytes += buf.byteLength
            if (batchBytes >= batchLimit) {
              flush()
              const received = Math.floor((offset + buf.byteLength) / m.chunkSize)
              if (received - session.verified > MAX_UNVERIFIED) await session.waitVerified(received - MAX_UNVERIFIED)
              if (writes.size > MAX_WRITES) await Promise.race(writes).catch(() => {})
              if (writeError !== undefined) throw failedWrite()
            }
            r = await winner.it.next()
          }
          if (batch.length > 0) flush()
          await Promise.allSettled(writes)
          if (writeError !== undefined) throw failedWrite()
          await session.waitVerified(n)
          next = n
        } catch (err) {
          // Bytes received before the failure still count once the worker has verified them (and their write is done).
          if (batch.length > 0 && writeError === undefined) flush()
          await Promise.allSettled(writes)
          if (writeError !== undefined) throw err instanceof LocalStorageError ? err : failedWrite()
          errors.push(`${lastPeer}: ${(err as Error).message.split('\n')[0]}`)
          this.#classify(winner.peer, err)
          next = await session.settle()
        } finally {
          report()
          winner.ac.abort()
          await winner.it.return(undefined).catch(() => {})
        }
      }
      const actual = await session.end()
      if (!anchored && actual !== m.contentHash) {
        // Every chunk matched the manifest yet the whole file does not: the manifest lied.
        const liar = this.#c.peers.get(manifestSource)
        if (liar) this.#penalize(liar, new HashMismatchError(m.contentHash, actual))
        throw new HashMismatchError(m.contentHash, actual)
      }
      return lastPeer || manifestSource
    } catch (err) {
      session.drop()
      throw err
    } finally {
      this.#c.verifier.release(session)
    }
  }

  /** Starts `batch` in parallel from chunk `from`; the first verified chunk wins, the rest are cancelled. */
  async #race(
    batch: PeerEntry[],
    m: Manifest,
    from: number,
    signal: AbortSignal | undefined,
    errors: string[],
    alloc: (size: number) => Buffer,
  ): Promise<{ winner?: Attempt; losers: PeerEntry[] }> {
    const attempts: Attempt[] = batch.map((peer) => {
      const ac = new AbortController()
      const s = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal
      const it = peerPieces(this.#c.client, peer, m, from, s, alloc, this.#c.receipts?.())
      return { peer, ac, it, first: it.next() }
    })
    const winner = await new Promise<Attempt | undefined>((resolve) => {
      let pending = attempts.length
      let decided = false
      for (const a of attempts) {
        a.first.then(
          () => {
            if (!decided) {
              decided = true
              resolve(a)
            }
          },
          (err: unknown) => {
            if (!(decided && a.ac.signal.aborted)) {
              errors.push(`${a.peer.record.peer_id}: ${(err as Error).message.split('\n')[0]}`)
              this.#classify(a.peer, err)
            }
            if (--pending === 0 && !decided) {
              decided = true
              resolve(undefined)
            }
          },
        )
      }
    })
    const losers: PeerEntry[] = []
    for (const a of attempts) {
      if (a === winner) continue
      const settled = await Promise.race([a.first.then(() => 'ok', () => 'err'), Promise.resolve('pending')])
      a.ac.abort()
      a.it.return(undefined).catch(() => {})
      // A loser that had not failed is still a good fallback.
      if (settled !== 'err') losers.push(a.peer)
    }
    return { winner, losers }
  }

  /**
   * Reports the serving peer's verified bytes to the receipt service as the hash worker confirms chunks (so the
   * client signs receipts while the stream continues); the returned stop function reports the rest, final.
   */
  #reportVerified(peer: PeerEntry, m: Manifest, session: { verified: number; waitVerified(n: number): Promise<void> }): () => void {
    const hooks = this.#c.receipts?.()
    if (!hooks) return () => {}
    const n = chunkCount(m.size, m.chunkSize)
    const bytesAt = (chunks: number): number => Math.min(m.size, chunks * m.chunkSize)
    const server = peer.record.peer_id
    let reported = session.verified
    let stopped = false
    const report = (final: boolean): void => {
      const v = session.verified
      if (v > reported || final) hooks.verified(server, m.contentHash, bytesAt(v) - bytesAt(reported), final)
      reported = Math.max(reported, v)
    }
    void (async () => {
      while (!stopped && reported < n) {
        await session.waitVerified(reported + 1).catch(() => (stopped = true))
        if (!stopped) report(false)
      }
    })()
    return () => {
      stopped = true
      report(true)
    }
  }

  #classify(peer: PeerEntry, err: unknown): void {
    if (err instanceof ChunkVerificationError) this.#penalize(peer, err)
    else this.#c.peers.markFailure(peer.record.peer_id)
  }

  #penalize(peer: PeerEntry, err: unknown): void {
    this.#c.metrics.peerPenalties.inc()
    this.#log.warn({ peer: peer.record.peer_id, err: (err as Error).message.split('\n')[0] }, 'peer served bad data')
    this.#c.peers.penalize(peer.record.peer_id)
  }
}
