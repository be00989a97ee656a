import { readFileSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'
import { Worker } from 'node:worker_threads'

import type { Manifest } from '../api.ts'
import { ChunkVerificationError } from '../core/errors.ts'
import type { FromWorker, Part, ToWorker } from './hash-worker.ts'

let source: URL | undefined
/**
 * The hash worker as plain JavaScript (a data: URL of hash-worker.ts with its types stripped, by the stripper the
 * main thread has already loaded): a worker started on the .ts file loads its own TypeScript stripper, ~18 MiB of
 * RSS for a worker that only imports node:crypto.
 */
function workerUrl(): URL {
  if (source) return source
  // Built (npm run build): the worker is a JavaScript file beside this chunk's directory.
  if (import.meta.url.endsWith('.js')) return (source = new URL('../hash-worker.js', import.meta.url))
  const ts = readFileSync(new URL('./hash-worker.ts', import.meta.url), 'utf8')
  // The API warns that it is experimental (once per process); the same stripper runs every .ts import here.
  const emitWarning = process.emitWarning
  process.emitWarning = (warning: string | Error, ...rest: unknown[]): void => {
    if (!String(warning).includes('stripTypeScriptTypes')) Reflect.apply(emitWarning, process, [warning, ...rest])
  }
  try {
    source = new URL(`data:text/javascript,${encodeURIComponent(stripTypeScriptTypes(ts))}`)
  } finally {
    process.emitWarning = emitWarning
  }
  return source
}

/** Bytes per ring slot: the pieces a download reads from its socket. */
export const PIECE_SIZE = 1 << 20
/** Slots per download (32 MiB): above what is ever in flight (unverified chunks, writes, the socket's queue). */
const RING_SLOTS = 32

/** 64 KiB, the unit of WebAssembly memory. */
const WASM_PAGE = 1 << 16
/** The global's constructor (this project's TypeScript libs declare WebAssembly's types only). */
type WasmMemory = new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer }

/**
 * A ring of `bytes` shared with the worker, page-aligned where possible: a shared WebAssembly memory is mapped on its
 * own pages, so its slots can be written to disk with O_DIRECT (a plain SharedArrayBuffer comes from malloc, 16 bytes
 * past a page boundary). Without WebAssembly (`--jitless`), or when it cannot be reserved, a SharedArrayBuffer.
 */
interface Ring {
  ring: SharedArrayBuffer
  aligned: boolean
}

/** Rings kept between downloads, and for how long once idle. */
const IDLE_RINGS = 2
const IDLE_RING_MS = 30_000

function allocRing(bytes: number): Ring {
  try {
    const pages = bytes / WASM_PAGE
    const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemory } }).WebAssembly.Memory
    return { ring: new Memory({ initial: pages, maximum: pages, shared: true }).buffer, aligned: true }
  } catch {
    return { ring: new SharedArrayBuffer(bytes), aligned: false }
  }
}

/**
 * One verification session: bytes (already written to the temp file) are handed to the hash
 * worker; `verified` counts the chunks of the in-order prefix that matched the manifest.
 */
export class VerifySession {
  readonly id: number
  verified = 0
  failedAt: number | undefined
  #post: (m: ToWorker, transfer?: ArrayBuffer[]) => void
  #waiters: Array<() => void> = []
  #digest: ((hex: string) => void) | undefined
  #settled = 0
  /** This download's ring, shared with the worker, and its free slots. */
  readonly ring: SharedArrayBuffer | null
  /** Whether the ring starts on a page boundary (so do its slots). */
  readonly ringAligned: boolean
  #free: number[]
  /** `end` answered: the worker is done with every piece, so the ring may serve another download. */
  done = false
  /** Slots handed to the worker before their write finished: freed when both are done (2 -> 0). */
  #holds = new Map<number, number>()

  constructor(id: number, post: (m: ToWorker, transfer?: ArrayBuffer[]) => void, ring: Ring | null) {
    this.id = id
    this.#post = post
    this.ring = ring?.ring ?? null
    this.ringAligned = ring?.aligned ?? false
    const slots = ring ? ring.ring.byteLength / PIECE_SIZE : 0
    this.#free = Array.from({ length: slots }, (_, i) => slots - 1 - i)
  }

  /**
   * A buffer of `size` bytes for the next piece read from a peer: a free slot of the ring (the worker hashes it in
   * place and gives it back), else (all slots busy, or bigger than a slot) memory of its own.
   */
  alloc = (size: number): Buffer => {
    const slot = this.ring && size <= PIECE_SIZE ? this.#free.pop() : undefined
    return slot === undefined ? Buffer.allocUnsafeSlow(size) : Buffer.from(this.ring as SharedArrayBuffer, slot * PIECE_SIZE, size)
  }

  /** Whether every buffer is a slot of this session's ring (then it may be hashed while it is being written). */
  shared(bufs: Buffer[]): boolean {
    return this.ring !== null && bufs.every((b) => b.buffer === this.ring)
  }

  /** No slot is held for a write still running. */
  get idle(): boolean {
    return this.#holds.size === 0
  }

  /** Whether every buffer starts on a page boundary: ring slots of a page-aligned ring (see `TempWrite.writevAt`). */
  aligned(bufs: Buffer[]): boolean {
    return this.ringAligned && bufs.every((b) => b.buffer === this.ring && b.byteOffset % PIECE_SIZE === 0)
  }

  /**
   * Hands over consecutive buffers starting at `offset`. Ring slots go by index (and must not be touched until the
   * worker frees them); with `writing`, their file write is still running and `written` must follow. Other buffers
   * (already written) that own their memory are transferred (detached here), the rest copied.
   */
  push(offset: number, bufs: Buffer[], opts: { writing?: boolean } = {}): void {
    const parts: Part[] = []
    const transfer: ArrayBuffer[] = []
    for (const b of bufs) {
      if (this.ring && b.buffer === this.ring) {
        const slot = Math.floor(b.byteOffset / PIECE_SIZE)
        if (opts.writing) this.#holds.set(slot, 2)
        parts.push({ slot, len: b.byteLength })
        continue
      }
      const ab = b.buffer as ArrayBuffer
      if (b.byteOffset === 0 && b.byteLength === ab.byteLength && !transfer.includes(ab)) {
        parts.push(ab)
        transfer.push(ab)
      } else {
        parts.push(ab.slice(b.byteOffset, b.byteOffset + b.byteLength))
      }
    }
    this.#post({ type: 'pieces', id: this.id, offset, parts }, transfer)
  }

  /** The file write of ring slots pushed with `writing` finished. */
  written(bufs: Buffer[]): void {
    for (const b of bufs) if (this.ring && b.buffer === this.ring) this.#release(Math.floor(b.byteOffset / PIECE_SIZE))
  }

  #release(slot: number): void {
    const holds = this.#holds.get(slot)
    if (holds === 2) {
      this.#holds.set(slot, 1)
      return
    }
    this.#holds.delete(slot)
    this.#free.push(slot)
  }

  /** Resolves once `count` chunks are verified; throws ChunkVerificationError at a bad one. */
  async waitVerified(count: number): Promise<void> {
    while (this.verified < count) {
      if (this.failedAt !== undefined) throw new ChunkVerificationError(this.failedAt, 'hash differs from the manifest')
      await new Promise<void>((r) => this.#waiters.push(r))
    }
  }

  /**
   * After a failed stream: drops unverified chunks in the worker and resolves with the exact
   * number of verified chunks, where the next stream must resume.
   */
  async settle(): Promise<number> {
    const before = this.#settled
    this.#post({ type: 'settle', id: this.id })
    while (this.#settled === before) await new Promise<void>((r) => this.#waiters.push(r))
    this.failedAt = undefined
    return this.verified
  }

  end(): Promise<string> {
    return new Promise((resolve) => {
      this.#digest = resolve
      this.#post({ type: 'end', id: this.id })
    })
  }

  drop(): void {
    this.#post({ type: 'drop', id: this.id })
  }

  /** @internal */
  onMessage(m: FromWorker): void {
    if (m.type === 'ok') this.verified = m.index + 1
    else if (m.type === 'bad') this.failedAt = m.index
    else if (m.type === 'digest') {
      this.done = true
      this.#digest?.(m.hex)
    }
    else if (m.type === 'free') {
      for (const slot of m.slots) this.#release(slot)
      return
    }
    else if (m.type === 'settled') {
      this.verified = m.next
      this.#settled += 1
    }
    const ws = this.#waiters
    this.#waiters = []
    for (const w of ws) w()
  }
}

/** Owns the hash worker (started on first use, unref'd so it never keeps the process alive). */
export class ChunkVerifier {
  #worker: Worker | undefined
  #sessions = new Map<number, VerifySession>()
  #nextId = 1
  /**
   * Rings of finished downloads, reused by the next ones: a fresh ring's pages are zeroed by the kernel on first touch
   * (the socket's reads into it), which perf showed as the main thread's largest cost after SHA-256 here (~15% of a
   * 100 MiB fetch). Dropped after IDLE_RING_MS without a download.
   */
  #idle: Ring[] = []
  #idleTimer: NodeJS.Timeout | undefined
  #stopped = false

  /** `wholeFile: false` (anchored content): only the chunk hashes are computed and `end()` answers ''. */
  begin(m: Manifest, opts: { wholeFile?: boolean } = {}): VerifySession {
    const w = this.#ensure()
    // A ring (one allocation per download, shared with the worker): fresh 1 MiB buffers per piece made V8 run full GCs
    // every few dozen MiB, and transferring them back and forth counted as new external memory each time.
    const slots = Math.min(RING_SLOTS, Math.ceil(m.size / PIECE_SIZE))
    const s = new VerifySession(this.#nextId++, (msg, transfer) => w.postMessage(msg, transfer), slots > 0 ? this.#takeRing(slots * PIECE_SIZE) : null)
    this.#sessions.set(s.id, s)
    w.postMessage({
      type: 'begin',
      id: s.id,
      chunks: m.chunks,
      chunkSize: m.chunkSize,
      size: m.size,
      wholeFile: opts.wholeFile ?? true,
      ring: s.ring,
      slotSize: PIECE_SIZE,
    } satisfies ToWorker)
    return s
  }

  /**
   * Starts the worker ahead of the first download (it takes tens of ms to boot, which would otherwise stall the
   * first fetch at its unverified-chunk limit). Stays unref'd: it never keeps the process alive.
   */
  warm(): void {
    this.#ensure()
    if (this.#sessions.size === 0) this.#worker?.unref()
  }

  release(s: VerifySession): void {
    this.#sessions.delete(s.id)
    if (this.#sessions.size === 0) this.#worker?.unref()
    // Only a ring the worker is done with and no write still reads (a failed download may still have pieces queued
    // there; it is left to GC), and never after stop().
    if (s.done && s.idle && s.ring && !this.#stopped && this.#idle.length < IDLE_RINGS) {
      this.#idle.push({ ring: s.ring, aligned: s.ringAligned })
      clearTimeout(this.#idleTimer)
      this.#idleTimer = setTimeout(() => (this.#idle = []), IDLE_RING_MS).unref()
    }
  }

  #takeRing(bytes: number): Ring {
    const i = this.#idle.findIndex((r) => r.ring.byteLength === bytes)
    return i >= 0 ? (this.#idle.splice(i, 1)[0] as Ring) : allocRing(bytes)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#idleTimer)
    this.#idle = []
    await this.#worker?.terminate()
    this.#worker = undefined
  }

  #ensure(): Worker {
    if (!this.#worker) {
      this.#worker = new Worker(workerUrl())
      this.#worker.on('message', (m: FromWorker) => this.#sessions.get(m.id)?.onMessage(m))
      this.#worker.on('error', (err) => {
        for (const s of this.#sessions.values()) s.onMessage({ type: 'bad', id: s.id, index: s.verified })
        this.#worker = undefined
        void err
      })
    }
    this.#worker.ref()
    return this.#worker
  }
}
