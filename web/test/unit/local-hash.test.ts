import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'

import { hashFile } from '../../lib/local-hash.ts'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest()

describe('hashFile (what the studio signs)', () => {
  it('matches the node: SHA-256 of the file and the root over the 1 MiB chunk hashes', async () => {
    const bytes = new Uint8Array(2.5 * 1024 * 1024).map((_, i) => (i * 31) % 251)
    const r = await hashFile(new Blob([bytes]), 1 << 20)
    assert.equal(r.contentHash, sha(bytes).toString('hex'))
    const chunkHashes = [0, 1, 2].map((i) => sha(bytes.subarray(i << 20, (i + 1) << 20)))
    assert.deepEqual(r.chunks, chunkHashes.map((h) => h.toString('hex')))
    assert.equal(r.root, sha(Buffer.concat(chunkHashes)).toString('hex'))
  })

  it('refuses an invalid chunk size', async () => {
    await assert.rejects(hashFile(new Blob([new Uint8Array(10)]), 0), /invalid chunk size/)
  })
})
