/**
 * Worker thread that verifies fetched chunks against their manifest hashes and keeps the
 * whole-file SHA-256 over the verified prefix, so hashing runs beside the network and disk I/O.
 * Protocol: see ChunkVerifier (chunk-verifier.ts).
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'

export type ToWorker =
  | { type: 'begin'; id: number; chunks: string[] }
  | { type: 'chunk'; id: number; index: number; buf: ArrayBuffer }
  | { type: 'settle'; id: number }
  | { type: 'end'; id: number }
  | { type: 'drop'; id: number }

export type FromWorker =
  | { type: 'ok'; id: number; index: number }
  | { type: 'bad'; id: number; index: number }
  | { type: 'digest'; id: number; hex: string }
  | { type: 'settled'; id: number; next: number }

interface Session {
  chunks: string[]
  next: number
  pending: Map<number, ArrayBuffer>
  whole: Hash
  failed: boolean
}

const sessions = new Map<number, Session>()
const port = parentPort
if (!port) throw new Error('hash-worker must run in a worker thread')

function drain(id: number, s: Session): void {
  while (!s.failed && s.pending.has(s.next)) {
    const buf = new Uint8Array(s.pending.get(s.next) as ArrayBuffer)
    s.pending.delete(s.next)
    if (createHash('sha256').update(buf).digest('hex') !== s.chunks[s.next]) {
      s.failed = true
      s.pending.clear()
      port?.postMessage({ type: 'bad', id, index: s.next } satisfies FromWorker)
      return
    }
    s.whole.update(buf)
    port?.postMessage({ type: 'ok', id, index: s.next } satisfies FromWorker)
    s.next += 1
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'begin') {
    sessions.set(m.id, { chunks: m.chunks, next: 0, pending: new Map(), whole: createHash('sha256'), failed: false })
    return
  }
  const s = sessions.get(m.id)
  if (!s) return
  if (m.type === 'chunk') {
    if (s.failed || m.index < s.next) return
    s.pending.set(m.index, m.buf)
    drain(m.id, s)
  } else if (m.type === 'settle') {
    // Only verified chunks reached the whole-file hash, so resuming at `next` keeps it exact.
    s.failed = false
    s.pending.clear()
    port.postMessage({ type: 'settled', id: m.id, next: s.next } satisfies FromWorker)
  } else if (m.type === 'end') {
    port.postMessage({ type: 'digest', id: m.id, hex: s.whole.digest('hex') } satisfies FromWorker)
    sessions.delete(m.id)
  } else if (m.type === 'drop') {
    sessions.delete(m.id)
  }
})
