import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import { InvalidManifestError } from '../../src/core/errors.ts'
import { assertManifestConsistent, computeManifest, ManifestBuilder, manifestRoot } from '../../src/core/manifest.ts'
import { randomBytesOf, tempDir } from '../helpers.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('computeManifest', () => {
  it('hashes the whole content and every chunk, and roots the concatenated chunk hashes', async () => {
    const bytes = randomBytesOf(2 * 4096 + 100)
    const m = await computeManifest(bytes, { chunkSize: 4096 })
    assert.equal(m.contentHash, sha(bytes))
    assert.equal(m.size, bytes.length)
    assert.deepEqual(m.chunks, [sha(bytes.subarray(0, 4096)), sha(bytes.subarray(4096, 8192)), sha(bytes.subarray(8192))])
    const concat = Buffer.concat(m.chunks.map((c) => Buffer.from(c, 'hex')))
    assert.equal(m.root, sha(concat))
    assert.equal(m.root, manifestRoot(m.chunks))
  })

  it('gives the same manifest for a file path and for bytes, whatever the slicing', async () => {
    await using dir = await tempDir()
    const bytes = randomBytesOf(3 * 1024 * 1024 + 7)
    const path = join(dir.path, 'a.bin')
    await writeFile(path, bytes)
    const fromPath = await computeManifest(path)
    const b = new ManifestBuilder()
    for (let off = 0; off < bytes.length; off += 300_001) b.update(bytes.subarray(off, off + 300_001))
    assert.deepEqual(fromPath, await computeManifest(bytes))
    assert.deepEqual(fromPath, b.digest())
    assert.equal(fromPath.chunks.length, 4)
  })

  it('handles empty content (no chunks, root of nothing)', async () => {
    const m = await computeManifest(new Uint8Array())
    assert.equal(m.chunks.length, 0)
    assert.equal(m.contentHash, sha(new Uint8Array()))
    assert.equal(m.root, sha(new Uint8Array()))
  })

  it('rejects manifests that are inconsistent or for another root', async () => {
    const m = await computeManifest(randomBytesOf(5000), { chunkSize: 1024 })
    assert.doesNotThrow(() => assertManifestConsistent(m, m.contentHash, m.root))
    assert.throws(() => assertManifestConsistent({ ...m, chunks: m.chunks.slice(1) }, m.contentHash), InvalidManifestError)
    assert.throws(() => assertManifestConsistent({ ...m, root: '0'.repeat(64) }, m.contentHash), InvalidManifestError)
    assert.throws(() => assertManifestConsistent(m, '1'.repeat(64)), InvalidManifestError)
    assert.throws(() => assertManifestConsistent(m, m.contentHash, 'f'.repeat(64)), InvalidManifestError)
  })
})
