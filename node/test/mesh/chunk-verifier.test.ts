import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { computeManifest } from '../../src/core/manifest.ts'
import { ChunkVerifier, PIECE_SIZE } from '../../src/mesh/chunk-verifier.ts'
import { randomBytesOf } from '../helpers.ts'

describe('chunk verifier (hash worker with a shared ring)', () => {
  it('verifies ring slots and own buffers alike, frees slots for reuse, and falls back to own memory when the ring is full', async () => {
    const verifier = new ChunkVerifier()
    try {
      const bytes = randomBytesOf(40 * PIECE_SIZE + 123, 5)
      const m = await computeManifest(bytes, { chunkSize: PIECE_SIZE })
      const s = verifier.begin(m, { wholeFile: true })
      // Hold 33 pieces at once: 32 ring slots, then memory of its own.
      const held = Array.from({ length: 33 }, () => s.alloc(PIECE_SIZE))
      assert.ok(held.slice(0, 32).every((b) => b.buffer === s.ring))
      assert.notEqual(held[32]?.buffer, s.ring)
      // Ring slots are page-aligned memory (the ring is a shared WebAssembly memory), so they may be written with
      // O_DIRECT; memory of its own is not.
      assert.equal(s.aligned(held.slice(0, 32)), true)
      assert.equal(s.aligned(held.slice(31)), false)
      let at = 0
      for (const b of held) {
        bytes.copy(b, 0, at, at + b.length)
        s.push(at, [b])
        at += b.length
      }
      await s.waitVerified(33)
      // Hashed slots came back: the rest of the file fits in the ring again.
      while (at < bytes.length) {
        const b = s.alloc(Math.min(PIECE_SIZE, bytes.length - at))
        assert.equal(b.buffer, s.ring)
        bytes.copy(b, 0, at, at + b.length)
        s.push(at, [b])
        at += b.length
      }
      await s.waitVerified(m.chunks.length)
      assert.equal(await s.end(), m.contentHash)
      verifier.release(s)
    } finally {
      await verifier.stop()
    }
  })

  it('reports the first bad chunk and, after a settle, verifies the resumed bytes', async () => {
    const verifier = new ChunkVerifier()
    try {
      const bytes = randomBytesOf(4 * PIECE_SIZE, 6)
      const m = await computeManifest(bytes, { chunkSize: PIECE_SIZE })
      const s = verifier.begin(m)
      for (let i = 0; i < 4; i++) {
        const b = s.alloc(PIECE_SIZE)
        bytes.copy(b, 0, i * PIECE_SIZE, (i + 1) * PIECE_SIZE)
        if (i === 2) b[10] = (b[10] as number) ^ 1
        s.push(i * PIECE_SIZE, [b])
      }
      await assert.rejects(() => s.waitVerified(4), /hash differs/)
      assert.equal(await s.settle(), 2)
      for (let i = 2; i < 4; i++) {
        const b = s.alloc(PIECE_SIZE)
        assert.equal(b.buffer, s.ring)
        bytes.copy(b, 0, i * PIECE_SIZE, (i + 1) * PIECE_SIZE)
        s.push(i * PIECE_SIZE, [b])
      }
      await s.waitVerified(4)
      assert.equal(await s.end(), m.contentHash)
      verifier.release(s)
    } finally {
      await verifier.stop()
    }
  })

  it('gives the ring of a finished download to the next one, never a ring the worker may still be reading', async () => {
    const verifier = new ChunkVerifier()
    try {
      const bytes = randomBytesOf(3 * PIECE_SIZE, 7)
      const m = await computeManifest(bytes, { chunkSize: PIECE_SIZE })
      const run = async (): Promise<SharedArrayBuffer | null> => {
        const s = verifier.begin(m)
        for (let i = 0; i < 3; i++) {
          const b = s.alloc(PIECE_SIZE)
          bytes.copy(b, 0, i * PIECE_SIZE, (i + 1) * PIECE_SIZE)
          s.push(i * PIECE_SIZE, [b])
        }
        await s.waitVerified(3)
        assert.equal(await s.end(), m.contentHash)
        verifier.release(s)
        return s.ring
      }
      const first = await run()
      assert.ok(first)
      // Kept and reused (its pages are already mapped), and it verifies the same again.
      assert.equal(await run(), first)
      // A dropped download (its pieces may still be queued in the worker): its ring is not handed out again.
      const dropped = verifier.begin(m)
      assert.equal(dropped.ring, first)
      const b = dropped.alloc(PIECE_SIZE)
      bytes.copy(b, 0, 0, PIECE_SIZE)
      dropped.push(0, [b])
      dropped.drop()
      verifier.release(dropped)
      const next = verifier.begin(m)
      assert.ok(next.ring)
      assert.notEqual(next.ring, first)
      verifier.release(next)
    } finally {
      await verifier.stop()
    }
  })
})
