import { Worker } from 'node:worker_threads'

import type { Manifest } from '../api.ts'
import { ChunkVerificationError } from '../core/errors.ts'
import type { FromWorker, ToWorker } from './hash-worker.ts'

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

  constructor(id: number, post: (m: ToWorker, transfer?: ArrayBuffer[]) => void) {
    this.id = id
    this.#post = post
  }

  /** Hands over consecutive buffers starting at `offset`; buffers owning their memory are transferred (detached here). */
  push(offset: number, bufs: Buffer[]): void {
    const out: ArrayBuffer[] = []
    const transfer: ArrayBuffer[] = []
    for (const b of bufs) {
      const ab = b.buffer as ArrayBuffer
      if (b.byteOffset === 0 && b.byteLength === ab.byteLength && !transfer.includes(ab)) {
        out.push(ab)
        transfer.push(ab)
      } else {
        out.push(ab.slice(b.byteOffset, b.byteOffset + b.byteLength))
      }
    }
    this.#post({ type: 'pieces', id: this.id, offset, bufs: out }, transfer)
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
    else if (m.type === 'digest') this.#digest?.(m.hex)
    else if (m.type === 'settled') {
      this.verified = m.next
      this.#settled += 1
    }
    const ws = this.#waiters
    this.#waiters = []
    for (const w of ws) w()
  }
}

/** Piece buffers kept for reuse (1 MiB each: 32 MiB at most). */
const POOL_MAX = 32
export const PIECE_SIZE = 1 << 20

/** Owns the hash worker (started on first use, unref'd so it never keeps the process alive). */
export class ChunkVerifier {
  #worker: Worker | undefined
  #pool: ArrayBuffer[] = []
  #sessions = new Map<number, VerifySession>()
  #nextId = 1

  /** `wholeFile: false` (anchored content): only the chunk hashes are computed and `end()` answers ''. */
  begin(m: Manifest, opts: { wholeFile?: boolean } = {}): VerifySession {
    const w = this.#ensure()
    const s = new VerifySession(this.#nextId++, (msg, transfer) => w.postMessage(msg, transfer))
    this.#sessions.set(s.id, s)
    w.postMessage({ type: 'begin', id: s.id, chunks: m.chunks, chunkSize: m.chunkSize, size: m.size, wholeFile: opts.wholeFile ?? true } satisfies ToWorker)
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

  /**
   * A buffer of `size` bytes that owns its memory, for a download's next piece: a `PIECE_SIZE` one comes from the
   * pool the worker refills after hashing (a fresh 1 MiB buffer per piece made V8 run full GCs every few dozen MiB).
   */
  alloc = (size: number): Buffer => {
    const ab = size === PIECE_SIZE ? this.#pool.pop() : undefined
    return ab ? Buffer.from(ab) : Buffer.allocUnsafeSlow(size)
  }

  release(s: VerifySession): void {
    this.#sessions.delete(s.id)
    if (this.#sessions.size === 0) this.#worker?.unref()
  }

  async stop(): Promise<void> {
    await this.#worker?.terminate()
    this.#worker = undefined
  }

  #ensure(): Worker {
    if (!this.#worker) {
      this.#worker = new Worker(new URL('./hash-worker.ts', import.meta.url))
      this.#worker.on('message', (m: FromWorker) => {
        if (m.type === 'free') {
          for (const ab of m.bufs) if (ab.byteLength === PIECE_SIZE && this.#pool.length < POOL_MAX) this.#pool.push(ab)
          return
        }
        this.#sessions.get(m.id)?.onMessage(m)
      })
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
