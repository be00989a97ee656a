/**
 * Worker thread that verifies fetched bytes against the manifest's chunk hashes and keeps the
 * whole-file SHA-256 over the verified prefix, so hashing runs beside network and disk I/O.
 * Pieces arrive (transferred, not copied) in any order and are processed in offset order.
 * Protocol: see ChunkVerifier (chunk-verifier.ts).
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'

export type ToWorker =
  | { type: 'begin'; id: number; chunks: string[]; chunkSize: number; size: number; wholeFile: boolean }
  | { type: 'pieces'; id: number; offset: number; bufs: ArrayBuffer[] }
  | { type: 'settle'; id: number }
  | { type: 'end'; id: number }
  | { type: 'drop'; id: number }

export type FromWorker =
  | { type: 'ok'; id: number; index: number }
  | { type: 'bad'; id: number; index: number }
  | { type: 'settled'; id: number; next: number }
  | { type: 'digest'; id: number; hex: string }
  /** Buffers hashed and no longer needed, transferred back for reuse. */
  | { type: 'free'; id: number; bufs: ArrayBuffer[] }

interface Session {
  chunks: string[]
  chunkSize: number
  size: number
  /** Next byte offset to process. */
  offset: number
  /** Chunk being hashed and bytes of it seen so far. */
  index: number
  inChunk: number
  chunkHash: Hash
  /** Whole-file hash; null when the manifest is anchored on chain (the chunk hashes suffice). */
  whole: Hash | null
  /** Whole-file hash state at the start of the current chunk (restored after a bad chunk). */
  snapshot: Hash | null
  pending: Map<number, ArrayBuffer[]>
  failed: boolean
}

const sessions = new Map<number, Session>()
const port = parentPort
if (!port) throw new Error('hash-worker must run in a worker thread')

function chunkLen(s: Session): number {
  return Math.min(s.chunkSize, s.size - s.index * s.chunkSize)
}

function process(id: number, s: Session, data: Uint8Array): void {
  let off = 0
  while (off < data.byteLength) {
    const take = Math.min(chunkLen(s) - s.inChunk, data.byteLength - off)
    const part = take === data.byteLength ? data : data.subarray(off, off + take)
    s.chunkHash.update(part)
    s.whole?.update(part)
    s.inChunk += take
    off += take
    if (s.inChunk === chunkLen(s)) {
      if (s.chunkHash.digest('hex') !== s.chunks[s.index]) {
        s.failed = true
        s.pending.clear()
        port?.postMessage({ type: 'bad', id, index: s.index } satisfies FromWorker)
        return
      }
      port?.postMessage({ type: 'ok', id, index: s.index } satisfies FromWorker)
      s.index += 1
      s.inChunk = 0
      s.chunkHash = createHash('sha256')
      s.snapshot = s.whole?.copy() ?? null
    }
  }
  s.offset += data.byteLength
}

function drain(id: number, s: Session): void {
  const done: ArrayBuffer[] = []
  while (!s.failed && s.pending.has(s.offset)) {
    const bufs = s.pending.get(s.offset) as ArrayBuffer[]
    s.pending.delete(s.offset)
    for (const ab of bufs) {
      process(id, s, new Uint8Array(ab))
      done.push(ab)
      if (s.failed) break
    }
  }
  // Hand the memory back (the main thread pools it for the next reads: no allocation or GC per piece).
  if (done.length > 0) port?.postMessage({ type: 'free', id, bufs: done } satisfies FromWorker, done)
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'begin') {
    const whole = m.wholeFile ? createHash('sha256') : null
    sessions.set(m.id, {
      chunks: m.chunks,
      chunkSize: m.chunkSize,
      size: m.size,
      offset: 0,
      index: 0,
      inChunk: 0,
      chunkHash: createHash('sha256'),
      whole,
      snapshot: whole?.copy() ?? null,
      pending: new Map(),
      failed: false,
    })
    return
  }
  const s = sessions.get(m.id)
  if (!s) return
  if (m.type === 'pieces') {
    if (s.failed || m.offset < s.offset) return
    s.pending.set(m.offset, m.bufs)
    drain(m.id, s)
  } else if (m.type === 'settle') {
    // Roll back to the last verified chunk boundary; the next stream resumes there.
    s.failed = false
    s.pending.clear()
    s.whole = s.snapshot?.copy() ?? null
    s.chunkHash = createHash('sha256')
    s.inChunk = 0
    s.offset = s.index * s.chunkSize
    port.postMessage({ type: 'settled', id: m.id, next: s.index } satisfies FromWorker)
  } else if (m.type === 'end') {
    port.postMessage({ type: 'digest', id: m.id, hex: s.whole?.digest('hex') ?? '' } satisfies FromWorker)
    sessions.delete(m.id)
  } else if (m.type === 'drop') {
    sessions.delete(m.id)
  }
})
