/**
 * Worker thread that verifies fetched bytes against the manifest's chunk hashes and keeps the
 * whole-file SHA-256 over the verified prefix, so hashing runs beside network and disk I/O.
 * Pieces arrive in any order and are processed in offset order: most are slots of the session's
 * shared ring (a SharedArrayBuffer the socket reads into, so nothing is copied, transferred or
 * garbage collected), handed back with `free` once hashed; others are transferred ArrayBuffers.
 * Protocol: see ChunkVerifier (chunk-verifier.ts).
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'

/** A piece: a slot of the ring (index, bytes used) or bytes of its own. */
export type Part = { slot: number; len: number } | ArrayBuffer

export type ToWorker =
  | { type: 'begin'; id: number; chunks: string[]; chunkSize: number; size: number; wholeFile: boolean; ring: SharedArrayBuffer | null; slotSize: number }
  | { type: 'pieces'; id: number; offset: number; parts: Part[] }
  | { type: 'settle'; id: number }
  | { type: 'end'; id: number }
  | { type: 'drop'; id: number }

export type FromWorker =
  | { type: 'ok'; id: number; index: number }
  | { type: 'bad'; id: number; index: number }
  | { type: 'settled'; id: number; next: number }
  | { type: 'digest'; id: number; hex: string }
  /** Ring slots hashed (or dropped) and free for the next reads. */
  | { type: 'free'; id: number; slots: number[] }

interface Session {
  chunks: string[]
  chunkSize: number
  size: number
  ring: Uint8Array | null
  slotSize: number
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
  pending: Map<number, Part[]>
  failed: boolean
}

const sessions = new Map<number, Session>()
const port = parentPort
if (!port) throw new Error('hash-worker must run in a worker thread')

function chunkLen(s: Session): number {
  return Math.min(s.chunkSize, s.size - s.index * s.chunkSize)
}

function bytesOf(s: Session, p: Part): Uint8Array {
  if (p instanceof ArrayBuffer) return new Uint8Array(p)
  return (s.ring as Uint8Array).subarray(p.slot * s.slotSize, p.slot * s.slotSize + p.len)
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

function slotsOf(parts: Iterable<Part>, into: number[]): void {
  for (const p of parts) if (!(p instanceof ArrayBuffer)) into.push(p.slot)
}

/** Gives every pending slot back (after a bad chunk, a settle, the end). */
function dropPending(id: number, s: Session): void {
  const slots: number[] = []
  for (const parts of s.pending.values()) slotsOf(parts, slots)
  s.pending.clear()
  if (slots.length > 0) port?.postMessage({ type: 'free', id, slots } satisfies FromWorker)
}

function drain(id: number, s: Session): void {
  const done: number[] = []
  while (!s.failed && s.pending.has(s.offset)) {
    const parts = s.pending.get(s.offset) as Part[]
    s.pending.delete(s.offset)
    for (const p of parts) {
      if (!s.failed) process(id, s, bytesOf(s, p))
      if (!(p instanceof ArrayBuffer)) done.push(p.slot)
    }
  }
  if (done.length > 0) port?.postMessage({ type: 'free', id, slots: done } satisfies FromWorker)
  if (s.failed) dropPending(id, s)
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'begin') {
    const whole = m.wholeFile ? createHash('sha256') : null
    sessions.set(m.id, {
      chunks: m.chunks,
      chunkSize: m.chunkSize,
      size: m.size,
      ring: m.ring ? new Uint8Array(m.ring) : null,
      slotSize: m.slotSize,
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
    if (s.failed || m.offset < s.offset) {
      const slots: number[] = []
      slotsOf(m.parts, slots)
      if (slots.length > 0) port.postMessage({ type: 'free', id: m.id, slots } satisfies FromWorker)
      return
    }
    s.pending.set(m.offset, m.parts)
    drain(m.id, s)
  } else if (m.type === 'settle') {
    // Roll back to the last verified chunk boundary; the next stream resumes there.
    dropPending(m.id, s)
    s.failed = false
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
