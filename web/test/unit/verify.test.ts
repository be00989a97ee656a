import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'

import { ChunkVerificationError, ManifestMismatchError } from '../../lib/stream/errors.ts'
import { computeManifestRoot, normalizeHash, sha256Hex, verifyChunk, verifyManifest } from '../../lib/stream/verify.ts'

const CHUNK = 1024

/** A manifest built the way the node builds one (node:crypto, independent of the code under test). */
function manifestOf(bytes: Uint8Array, chunkSize = CHUNK) {
  const chunks: string[] = []
  for (let off = 0; off < bytes.length; off += chunkSize) chunks.push(createHash('sha256').update(bytes.subarray(off, off + chunkSize)).digest('hex'))
  const root = createHash('sha256').update(Buffer.concat(chunks.map((c) => Buffer.from(c, 'hex')))).digest('hex')
  return { version: 1 as const, contentHash: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, chunkSize, chunks, root }
}

describe('verifyManifest', () => {
  const bytes = new Uint8Array(randomBytes(3 * CHUNK + 100))
  const m = manifestOf(bytes)
  const anchor = { contentHash: `0x${m.contentHash.toUpperCase()}`, manifestRoot: `0x${m.root}`, size: m.size }

  it('accepts a manifest whose root is the on-chain root (bytes32 in any case, with 0x)', async () => {
    assert.deepEqual(await verifyManifest(m, anchor), m)
  })

  it('computes the root as the node does: SHA-256 of the concatenated chunk hashes', async () => {
    assert.equal(await computeManifestRoot(m.chunks), m.root)
    assert.equal(await sha256Hex(bytes), m.contentHash)
  })

  it('refuses a manifest whose root differs from the chain (a node lying about the whole track)', async () => {
    const other = manifestOf(new Uint8Array(randomBytes(3 * CHUNK + 100)))
    const forged = { ...other, contentHash: m.contentHash }
    await assert.rejects(verifyManifest(forged, anchor), (e: unknown) => e instanceof ManifestMismatchError && /differs from the on-chain root/.test(e.message))
  })

  it('refuses a manifest with one chunk hash swapped and the root left alone', async () => {
    const chunks = [...m.chunks]
    chunks[1] = chunks[0] as string
    await assert.rejects(verifyManifest({ ...m, chunks }, anchor), (e: unknown) => e instanceof ManifestMismatchError && /not the hash of its chunk list/.test(e.message))
  })

  it('refuses a manifest for another content hash, another size, or a wrong chunk count', async () => {
    await assert.rejects(verifyManifest({ ...m, contentHash: 'ab'.repeat(32) }, anchor), /manifest is for abab/)
    await assert.rejects(verifyManifest({ ...m, size: m.size + 1 }, anchor), /differs from the registered size/)
    await assert.rejects(verifyManifest({ ...m, chunks: m.chunks.slice(1) }, { ...anchor }), /lists 3 chunks/)
  })

  it('refuses a manifest cut at another chunk size than the protocol\'s when told the size', async () => {
    await verifyManifest(m, anchor, { chunkSize: CHUNK })
    await assert.rejects(verifyManifest(m, anchor, { chunkSize: 2 * CHUNK }), /manifest cuts chunks of 1024 bytes; the protocol's are 2048/)
  })

  it('refuses what is not a manifest at all', async () => {
    await assert.rejects(verifyManifest({ hello: 'world' }, anchor), ManifestMismatchError)
    await assert.rejects(verifyManifest(null, anchor), ManifestMismatchError)
    await assert.rejects(verifyManifest({ ...m, chunkSize: 1 }, anchor), ManifestMismatchError)
  })
})

describe('verifyChunk', () => {
  const bytes = new Uint8Array(randomBytes(2 * CHUNK + 7))
  const m = manifestOf(bytes)

  it('accepts every chunk of the real content, including the short last one and views into a larger buffer', async () => {
    await verifyChunk(m, 0, bytes.subarray(0, CHUNK))
    await verifyChunk(m, 1, bytes.subarray(CHUNK, 2 * CHUNK))
    await verifyChunk(m, 2, bytes.subarray(2 * CHUNK))
  })

  it('refuses a chunk with one flipped bit, naming the chunk', async () => {
    const bad = bytes.slice(CHUNK, 2 * CHUNK)
    bad[17] = (bad[17] as number) ^ 1
    await assert.rejects(verifyChunk(m, 1, bad), (e: unknown) => e instanceof ChunkVerificationError && e.index === 1 && /SHA-256/.test(e.message))
  })

  it('refuses another chunk served in place of the asked one', async () => {
    await assert.rejects(verifyChunk(m, 1, bytes.subarray(0, CHUNK)), ChunkVerificationError)
  })

  it('refuses a truncated or padded chunk by its length before hashing', async () => {
    await assert.rejects(verifyChunk(m, 0, bytes.subarray(0, CHUNK - 1)), /length 1023, expected 1024/)
    await assert.rejects(verifyChunk(m, 2, bytes.subarray(2 * CHUNK - 1)), /length 8, expected 7/)
  })

  it('refuses an index outside the manifest', async () => {
    await assert.rejects(verifyChunk(m, 3, new Uint8Array(0)), /no chunk 3/)
    await assert.rejects(verifyChunk(m, -1, new Uint8Array(0)), /no chunk -1/)
  })

  it('normalises bytes32 hashes and rejects others', () => {
    assert.equal(normalizeHash(`0x${'AB'.repeat(32)}`), 'ab'.repeat(32))
    assert.throws(() => normalizeHash('0x1234'), TypeError)
  })
})
