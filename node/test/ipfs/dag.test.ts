import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { importBytes } from 'ipfs-unixfs-importer'
import * as raw from 'multiformats/codecs/raw'

import { computeManifest } from '../../src/core/manifest.ts'
import { buildBlobDag, buildTrackDag, leafCid, MAX_LEAF_BYTES, UNIXFS_PROFILE } from '../../src/ipfs/dag.ts'
import { randomBytesOf } from '../helpers.ts'

const MiB = 1 << 20
const discard = { put: (cid: unknown) => cid } as never

/** What the reference importer makes of the same bytes, hashing them itself. */
async function referenceCid(bytes: Uint8Array, chunkSize = MiB): Promise<string> {
  const r = await importBytes(bytes, discard, { profile: UNIXFS_PROFILE, chunker: fixedSize({ chunkSize }) })
  return r.cid.toString()
}

describe('track CID from the manifest', () => {
  for (const [label, size] of [
    ['empty', 0],
    ['one byte', 1],
    ['exactly one chunk', MiB],
    ['one chunk and a byte', MiB + 1],
    ['5 MiB and change', 5 * MiB + 7],
  ] as const) {
    it(`equals ipfs-unixfs-importer's unixfs-v1-2025 CID of the bytes (${label})`, async () => {
      const bytes = randomBytesOf(size, size + 3)
      const dag = await buildTrackDag(await computeManifest(bytes))
      assert.equal(dag.root.toString(), await referenceCid(bytes))
      assert.equal(dag.root.version, 1)
    })
  }

  it('makes every leaf a raw CIDv1 whose sha2-256 digest is the manifest chunk hash', async () => {
    const m = await computeManifest(randomBytesOf(3 * MiB + 5, 9))
    const dag = await buildTrackDag(m)
    assert.equal(dag.leaves.length, 4)
    dag.leaves.forEach((cid, i) => {
      assert.equal(cid.code, raw.code)
      assert.equal(Buffer.from(cid.multihash.digest).toString('hex'), m.chunks[i])
      assert.ok(cid.equals(leafCid(m.chunks[i])))
    })
    // One interior node: links = leaves in order, blocksizes = chunk lengths.
    assert.equal(dag.nodes.length, 1)
    const node = dagPb.decode(dag.nodes[0].bytes)
    assert.deepEqual(node.Links.map((l) => l.Hash.toString()), dag.leaves.map(String))
    assert.deepEqual(UnixFS.unmarshal(node.Data as Uint8Array).blockSizes, [BigInt(MiB), BigInt(MiB), BigInt(MiB), 5n])
  })

  it('builds a balanced two-level DAG past 1024 leaves, equal to the importer', async () => {
    // 1 KiB chunks keep this fast: 2,100 leaves -> 3 interior nodes + a root.
    const bytes = randomBytesOf(2100 * 1024 - 10, 4)
    const m = await computeManifest(bytes, { chunkSize: 1024 })
    const dag = await buildTrackDag(m)
    assert.equal(dag.root.toString(), await referenceCid(bytes, 1024))
    assert.equal(dag.nodes.length, 4)
    assert.equal(dagPb.decode(dag.nodes.at(-1)?.bytes as Uint8Array).Links.length, 3)
  })

  it('refuses manifests whose chunks are too big to be IPFS blocks', async () => {
    const m = await computeManifest(randomBytesOf(10), { chunkSize: MAX_LEAF_BYTES + 1024 })
    await assert.rejects(buildTrackDag(m), { name: 'ValidationError' })
  })

  it('addresses a small blob as the raw block of its bytes', async () => {
    const json = new TextEncoder().encode('{"name":"First Light"}')
    const { root, blocks } = await buildBlobDag(json)
    assert.equal(root.toString(), await referenceCid(json))
    assert.equal(root.code, raw.code)
    assert.equal(blocks.length, 1)
  })
})
