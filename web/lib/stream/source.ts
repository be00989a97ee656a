/**
 * StreamSource: verified bytes of a registered track, from whichever mesh nodes hold it.
 *
 * For a content hash it reads the manifest root from the TrackRegistry (no registration, no playback), finds the
 * holders through the nodes' catalog (falling back to the configured nodes), fetches and verifies the manifest, then
 * serves byte ranges chunk by chunk: each chunk is fetched with `Range` from a holder, checked against the manifest
 * (length and SHA-256) before any of its bytes leave this module, and kept in a bounded LRU cache. A node that lies
 * (bad chunk or manifest) is dropped for the source's lifetime; one that refuses or fails is rested for a while;
 * either way an event names it and the next holder is tried.
 *
 * Runs wherever `fetch` and `crypto.subtle` do: the service worker, and Node 24 in the tests.
 */
import { trackRegistryAbi } from '@dcmx/deployments'
import { catalogTrackResponseSchema } from '@dcmx/node/api'
import type { Manifest } from '@dcmx/node/api'
import { BaseError, ContractFunctionRevertedError, createPublicClient, http } from 'viem'
import type { Address, PublicClient } from 'viem'

import { ChainReadError, ChunkVerificationError, ManifestMismatchError, NodeRequestError, NoHolderError, StreamError, TrackNotRegisteredError } from './errors.ts'
import { chunkRange, chunkSlices, contentRange, rangeLength } from './range.ts'
import type { ByteRange } from './range.ts'
import { normalizeHash, STREAM_CHUNK_SIZE, verifyChunk, verifyManifest } from './verify.ts'
import type { TrackAnchor } from './verify.ts'

export interface StreamSourceInit {
  /** JSON-RPC URL of the chain holding the TrackRegistry. */
  readonly rpcUrl: string
  readonly registry: Address
  /** Base URLs of the mesh nodes to ask (catalog, and holders of last resort), e.g. `http://127.0.0.1:4001`. */
  readonly nodes: readonly string[]
  /** Verified chunks kept in memory (LRU; 1 MiB each at the default chunk size). Default 32. */
  readonly cacheChunks?: number
  /** Per-request timeout for node requests. Default 10 s. */
  readonly timeoutMs?: number
  /** How long a node that refused or failed a request is skipped. Default 30 s. A node that lied is skipped for good. */
  readonly restMs?: number
  /** Use holders the catalog names besides the configured nodes. Default true. */
  readonly discoverHolders?: boolean
  /**
   * The chunk size manifests must use (the protocol's 1 MiB). The on-chain root binds the chunk hashes but not the
   * size they were cut at, so a manifest naming another size could pass the root check and then fail every honest
   * chunk: it is refused instead.
   */
  readonly chunkSize?: number
}

export interface StreamSourceComponents {
  readonly fetch?: typeof globalThis.fetch
  /** A viem public client for the chain; default: one over `http(rpcUrl)`. */
  readonly publicClient?: Pick<PublicClient, 'readContract'>
  readonly now?: () => number
}

/** What the source reports: which node served each chunk, which lied, which failed. */
export type StreamEvent =
  | { readonly kind: 'served'; readonly hash: string; readonly node: string; readonly chunk: number }
  /** The node's bytes (or manifest: `chunk` null) failed verification: it lied. */
  | { readonly kind: 'bad-chunk'; readonly hash: string; readonly node: string; readonly chunk: number | null; readonly reason: string }
  /** A node refused or failed (`node` set), or the track cannot play at all (`node` null). */
  | { readonly kind: 'error'; readonly hash: string; readonly node: string | null; readonly chunk: number | null; readonly reason: string }

/** A track resolved against the chain and ready to serve. */
export interface VerifiedTrack {
  readonly hash: string
  readonly anchor: TrackAnchor
  readonly manifest: Manifest
  /** An audio media type from a holder's HEAD (anything not audio/* becomes application/octet-stream). */
  readonly mediaType: string
  /** Base URLs to fetch from, in preference order. */
  readonly holders: readonly string[]
}

/** A verified piece of a range, and the node whose chunk it came from. */
export interface VerifiedSlice {
  readonly chunk: number
  readonly node: string
  readonly bytes: Uint8Array
}

/** Media types the worker may label a same-origin response with: playable audio only, never markup or script. */
const AUDIO_TYPE = /^audio\/[a-z0-9.+-]{1,50}$/
const SAFE_FALLBACK_TYPE = 'application/octet-stream'

export function safeMediaType(header: string | null | undefined): string {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return AUDIO_TYPE.test(type) ? type : SAFE_FALLBACK_TYPE
}

/** A node base URL as the source keys it: origin plus path, no trailing slash; http(s) only. */
export function nodeUrl(base: string): string {
  const u = new URL(base)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`node URL must be http(s): ${base}`)
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
}

/** Holders taken from the catalogs (a hostile catalog could name thousands to try one by one). */
const MAX_HOLDERS = 16

const HOST = /^[A-Za-z0-9.-]{1,253}$|^\[[0-9a-fA-F:.]{2,45}\]$/

export class StreamSource {
  readonly #init: Required<StreamSourceInit>
  readonly #fetch: typeof globalThis.fetch
  readonly #client: Pick<PublicClient, 'readContract'>
  readonly #now: () => number
  readonly #listeners = new Set<(e: StreamEvent) => void>()
  readonly #tracks = new Map<string, Promise<VerifiedTrack>>()
  readonly #cache = new Map<string, { bytes: Uint8Array; node: string }>()
  readonly #inflight = new Map<string, Promise<{ bytes: Uint8Array; node: string }>>()
  /** Nodes not to ask until `until` (Infinity: lied), and why. */
  readonly #bad = new Map<string, { until: number; reason: string }>()
  /** Aborts everything in flight on `stop()`. Shared work never runs under one caller's signal: a player that
   * cancels a request (a seek) must not fail another request waiting for the same chunk. */
  readonly #life = new AbortController()

  constructor(components: StreamSourceComponents, init: StreamSourceInit) {
    this.#init = {
      cacheChunks: 32,
      timeoutMs: 10_000,
      restMs: 30_000,
      discoverHolders: true,
      chunkSize: STREAM_CHUNK_SIZE,
      ...init,
      nodes: init.nodes.map(nodeUrl),
    }
    this.#fetch = components.fetch ?? globalThis.fetch.bind(globalThis)
    this.#now = components.now ?? Date.now
    this.#client = components.publicClient ?? (createPublicClient({ transport: http(init.rpcUrl, { retryCount: 1 }) }) as Pick<PublicClient, 'readContract'>)
  }

  /** Aborts all requests in flight and forgets every track and chunk. */
  stop(): void {
    this.#life.abort(new StreamError('aborted', 'The stream source stopped'))
    this.#tracks.clear()
    this.#cache.clear()
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: (e: StreamEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Nodes currently skipped and why (for a status display). */
  badNodes(): { node: string; reason: string; lied: boolean }[] {
    const now = this.#now()
    return [...this.#bad].filter(([, b]) => b.until > now).map(([node, b]) => ({ node, reason: b.reason, lied: b.until === Infinity }))
  }

  /**
   * Resolves a track: chain anchor, holders, verified manifest, media type. Shared by concurrent callers and kept
   * (a failure is not kept, so a later call retries). Throws TrackNotRegisteredError, ChainReadError or NoHolderError.
   */
  track(contentHash: string, signal?: AbortSignal): Promise<VerifiedTrack> {
    const hash = normalizeHash(contentHash)
    let p = this.#tracks.get(hash)
    if (!p) {
      p = this.#resolve(hash)
      this.#tracks.set(hash, p)
      p.catch((err: unknown) => {
        this.#tracks.delete(hash)
        this.#emit({ kind: 'error', hash, node: null, chunk: null, reason: reasonOf(err) })
      })
      if (this.#tracks.size > 64) this.#tracks.delete(this.#tracks.keys().next().value as string)
    }
    return raceAbort(p, signal)
  }

  /** Chunk `index`'s verified bytes (from the cache, a fetch in flight, or the holders in turn). */
  async chunk(track: VerifiedTrack, index: number, signal?: AbortSignal): Promise<{ bytes: Uint8Array; node: string }> {
    const key = `${track.hash}:${index}`
    const hit = this.#cache.get(key)
    if (hit) {
      this.#cache.delete(key)
      this.#cache.set(key, hit)
      return hit
    }
    let p = this.#inflight.get(key)
    if (!p) {
      p = this.#fetchChunk(track, index).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, p)
    }
    const got = await raceAbort(p, signal)
    this.#cache.set(key, got)
    while (this.#cache.size > this.#init.cacheChunks) this.#cache.delete(this.#cache.keys().next().value as string)
    return got
  }

  /**
   * The verified bytes of `range` (inclusive, inside the track), as slices in order. The next chunk is fetched while
   * the current one is consumed, so a steady reader never waits for more than one chunk.
   */
  async *read(track: VerifiedTrack, range: ByteRange, signal?: AbortSignal): AsyncGenerator<VerifiedSlice> {
    if (range.start < 0 || range.end >= track.manifest.size || range.end < range.start) {
      throw new RangeError(`range ${contentRange(range, track.manifest.size)} is outside the track`)
    }
    const slices = chunkSlices(range, track.manifest.chunkSize)
    let next = this.chunk(track, (slices[0] as (typeof slices)[number]).index, signal)
    for (let i = 0; i < slices.length; i++) {
      const s = slices[i] as (typeof slices)[number]
      const current = next
      if (i + 1 < slices.length) {
        next = this.chunk(track, (slices[i + 1] as (typeof slices)[number]).index, signal)
        // A prefetch the reader never reaches (it stopped early) must not surface as an unhandled rejection.
        next.catch(() => {})
      }
      const { bytes, node } = await current
      yield { chunk: s.index, node, bytes: bytes.subarray(s.from, s.to) }
    }
  }

  /** Convenience for tests and small reads: the verified bytes of `range` in one array. */
  async readAll(track: VerifiedTrack, range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const out = new Uint8Array(rangeLength(range))
    let off = 0
    for await (const s of this.read(track, range, signal)) {
      out.set(s.bytes, off)
      off += s.bytes.byteLength
    }
    return out
  }

  async #resolve(hash: string): Promise<VerifiedTrack> {
    const signal = this.#life.signal
    const [anchor, discovered] = await Promise.all([this.#anchor(hash), this.#discover(hash, signal)])
    const candidates = unique([...discovered.slice(0, MAX_HOLDERS), ...this.#init.nodes])
    const failures: string[] = []
    for (const node of this.#usable(candidates)) {
      try {
        const [manifestJson, head] = await Promise.all([
          this.#getJson(node, `/manifest/${hash}`, signal),
          this.#request(node, `/content/${hash}`, { method: 'HEAD' }, signal).catch(() => undefined),
        ])
        const manifest = await verifyManifest(manifestJson, anchor, { chunkSize: this.#init.chunkSize })
        const mediaType = safeMediaType(head?.headers.get('content-type'))
        // The node that just proved itself goes first.
        return { hash, anchor, manifest, mediaType, holders: [node, ...candidates.filter((c) => c !== node)] }
      } catch (err) {
        if (signal?.aborted) throw err
        failures.push(`${node}: ${reasonOf(err)}`)
        this.#blame(hash, node, null, err)
      }
    }
    throw new NoHolderError(hash, failures.length ? failures.join('; ') : 'no node to ask (all were marked bad)')
  }

  /** The chain's record for the track: the anchor everything else is checked against. */
  async #anchor(hash: string): Promise<TrackAnchor> {
    try {
      const t = await this.#client.readContract({ address: this.#init.registry, abi: trackRegistryAbi, functionName: 'getTrack', args: [`0x${hash}`] })
      return { contentHash: hash, manifestRoot: normalizeHash(t.manifestRoot), size: Number(t.size) }
    } catch (err) {
      const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined
      if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName === 'TrackNotRegistered') throw new TrackNotRegisteredError(hash, { cause: err })
      throw new ChainReadError(err instanceof BaseError ? err.shortMessage : String(err), { cause: err })
    }
  }

  /** Holders the configured nodes' catalogs name (each node's own entry maps to its configured URL). */
  async #discover(hash: string, signal?: AbortSignal): Promise<string[]> {
    const answers = await Promise.allSettled(
      this.#init.nodes.map(async (node) => {
        const parsed = catalogTrackResponseSchema.safeParse(await this.#getJson(node, `/catalog/tracks/${hash}`, signal))
        if (!parsed.success) throw new NodeRequestError(node, 'catalog answer is not a catalog track')
        if (parsed.data.track.content_hash !== hash) throw new NodeRequestError(node, 'catalog answered for another track')
        return parsed.data.track.holders.flatMap((h) => {
          if (h.self) return [node]
          if (!this.#init.discoverHolders || !HOST.test(h.host) || h.port < 1 || h.port > 65535) return []
          return [nodeUrl(`${new URL(node).protocol}//${h.host}:${h.port}`)]
        })
      }),
    )
    return unique(answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : [])))
  }

  async #fetchChunk(track: VerifiedTrack, index: number): Promise<{ bytes: Uint8Array; node: string }> {
    const signal = this.#life.signal
    const { manifest, hash } = track
    if (index < 0 || index >= manifest.chunks.length) throw new RangeError(`no chunk ${index}`)
    const r = chunkRange(index, manifest.chunkSize, manifest.size)
    const want = rangeLength(r)
    const failures: string[] = []
    // Chunks are spread over the holders (chunk i starts at holder i mod n, the others in turn behind it), so a
    // track plays from every node that has it: load and rewards are shared, and a liar is found quickly.
    const usable = this.#usable(track.holders)
    const start = usable.length ? index % usable.length : 0
    for (const node of [...usable.slice(start), ...usable.slice(0, start)]) {
      try {
        const res = await this.#request(node, `/content/${hash}`, { headers: { range: `bytes=${r.start}-${r.end}` } }, signal)
        const expectRange = contentRange(r, manifest.size)
        const whole = res.status === 200 && want === manifest.size
        if (res.status !== 206 && !whole) throw new NodeRequestError(node, `answered ${res.status} to a range request`)
        if (res.status === 206 && res.headers.get('content-range') !== expectRange) {
          throw new NodeRequestError(node, `sent Content-Range "${res.headers.get('content-range')}", asked ${expectRange}`)
        }
        const bytes = await readCapped(res, want, node)
        await verifyChunk(manifest, index, bytes)
        this.#emit({ kind: 'served', hash, node, chunk: index })
        return { bytes, node }
      } catch (err) {
        if (signal?.aborted) throw err
        failures.push(`${node}: ${reasonOf(err)}`)
        this.#blame(hash, node, index, err)
      }
    }
    throw new NoHolderError(hash, `chunk ${index}: ${failures.length ? failures.join('; ') : 'every holder is marked bad'}`)
  }

  /** Marks a node bad after a failure: for good if it lied (its data failed verification), else for `restMs`. */
  #blame(hash: string, node: string, chunk: number | null, err: unknown): void {
    const reason = reasonOf(err)
    const lied = err instanceof ChunkVerificationError || err instanceof ManifestMismatchError
    this.#bad.set(node, { until: lied ? Infinity : this.#now() + this.#init.restMs, reason })
    this.#emit(lied ? { kind: 'bad-chunk', hash, node, chunk, reason } : { kind: 'error', hash, node, chunk, reason })
  }

  /** Nodes to try, in order: those not marked bad; when every one is resting after a failure, those (a blip
   * everywhere must not stop playback for `restMs`). Nodes that lied are never used again. */
  #usable(nodes: readonly string[]): string[] {
    const now = this.#now()
    const ok = nodes.filter((n) => (this.#bad.get(n)?.until ?? 0) <= now)
    return ok.length > 0 ? ok : nodes.filter((n) => this.#bad.get(n)?.until !== Infinity)
  }

  async #request(node: string, path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#init.timeoutMs)
    let res: Response
    try {
      res = await this.#fetch(`${node}${path}`, { ...init, cache: 'no-store', credentials: 'omit', redirect: 'error', signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
    } catch (err) {
      if (signal?.aborted) throw new StreamError('aborted', 'Aborted', { cause: err })
      throw new NodeRequestError(node, timeout.aborted ? `no answer within ${this.#init.timeoutMs} ms` : `request failed (${reasonOf(err)})`, { cause: err })
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      throw new NodeRequestError(node, `answered ${res.status} to ${init.method ?? 'GET'} ${path}`)
    }
    return res
  }

  async #getJson(node: string, path: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.#request(node, path, { headers: { accept: 'application/json' } }, signal)
    // A manifest of a 10 GiB track at 1 MiB chunks is ~700 kB of JSON; refuse anything far larger.
    const text = new TextDecoder().decode(await readCapped(res, 4 << 20, node, { exact: false }))
    try {
      return JSON.parse(text) as unknown
    } catch {
      throw new NodeRequestError(node, `${path} is not JSON`)
    }
  }

  #emit(e: StreamEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e)
      } catch {
        // A listener's failure is the listener's business, not the stream's.
      }
    }
  }
}

/**
 * Reads a response body of exactly `length` bytes (at most, with `exact: false`), cancelling it as soon as it runs
 * longer: a node that ignores Range and sends a whole track (or an endless body) costs one chunk, not the file.
 */
async function readCapped(res: Response, length: number, node: string, opts: { exact?: boolean } = {}): Promise<Uint8Array> {
  const declared = res.headers.get('content-length')
  if (declared !== null && Number(declared) > length) {
    await res.body?.cancel().catch(() => {})
    throw new NodeRequestError(node, `body of ${declared} bytes, expected ${opts.exact === false ? 'at most ' : ''}${length}`)
  }
  // Exact reads fill one buffer of the known size; bounded reads (JSON) collect parts, so a small answer stays small.
  const exact = opts.exact !== false
  const out = exact ? new Uint8Array(length) : undefined
  const parts: Uint8Array[] = []
  let off = 0
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader()
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (off + value.byteLength > length) {
        await reader.cancel().catch(() => {})
        throw new NodeRequestError(node, `body longer than the ${length} bytes expected`)
      }
      if (out) out.set(value, off)
      else parts.push(value)
      off += value.byteLength
    }
  }
  if (out) {
    if (off !== length) throw new NodeRequestError(node, `body of ${off} bytes, expected ${length}`)
    return out
  }
  const joined = new Uint8Array(off)
  let at = 0
  for (const p of parts) {
    joined.set(p, at)
    at += p.byteLength
  }
  return joined
}

/** Waits for shared work `p`, or rejects as soon as the caller's `signal` aborts (the work goes on for others). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  const aborted = () => new StreamError('aborted', 'Aborted', { cause: signal.reason })
  if (signal.aborted) return Promise.reject(aborted())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted())
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)]
}

function reasonOf(err: unknown): string {
  if (err instanceof StreamError) return err.details ?? err.shortMessage
  if (err instanceof BaseError) return err.shortMessage
  return err instanceof Error ? err.message : String(err)
}
