import type { ImporterOptions } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'

import type { Manifest } from '../api.ts'
import { ValidationError } from '../core/errors.ts'

/**
 * The UnixFS import profile of IPIP-499 ("unixfs-v1-2025"): CIDv1, raw leaves, 1 MiB chunks, a
 * balanced DAG with up to 1024 links per node. Any implementation adding the same bytes with this
 * profile (Kubo `--cid-version=1 --raw-leaves --chunker=size-1048576`, max 1024 links) derives the
 * same root CID, and its leaves are exactly the mesh's 1 MiB chunks.
 */
export const UNIXFS_PROFILE = 'unixfs-v1-2025'
/** Trustless gateways and Bitswap refuse blocks above 2 MiB; larger manifest chunks get no CID. */
export const MAX_LEAF_BYTES = 2 << 20

export interface Block {
  cid: CID
  bytes: Uint8Array
}

export interface TrackDag {
  root: CID
  /** Interior dag-pb nodes (small); the raw leaves are the chunk store's chunks. */
  nodes: Block[]
  /** One raw-leaf CID per manifest chunk, in order. */
  leaves: CID[]
}

/** The raw-leaf CID of a chunk, from the SHA-256 the manifest already holds (no re-hashing). */
export function leafCid(chunkSha256Hex: string): CID {
  return CID.createV1(raw.code, createDigest(sha256.code, Buffer.from(chunkSha256Hex, 'hex')))
}

const NO_BYTES = new Uint8Array(0)

/** ipfs-unixfs-importer (and its HAMT, blockstore and chunker modules) loads on the first upload or blob, not with the node. */
const unixfsImporter = (): Promise<typeof import('ipfs-unixfs-importer')> => import('ipfs-unixfs-importer')

class CollectingBlockstore {
  readonly blocks: Block[] = []
  put(cid: CID, bytes: Uint8Array): CID {
    this.blocks.push({ cid, bytes })
    return cid
  }
}

const PROFILE: Partial<ImporterOptions> = { profile: UNIXFS_PROFILE, cidVersion: 1, rawLeaves: true, reduceSingleLeafToSelf: true }

/**
 * The UnixFS file DAG of a stored track, from its manifest alone: ipfs-unixfs-importer builds the
 * layout and the dag-pb interior nodes; its leaf step is replaced by one that turns each manifest
 * chunk hash into a raw-leaf CID, so the audio is never read or hashed a second time.
 */
export async function buildTrackDag(m: Manifest): Promise<TrackDag> {
  if (m.chunkSize > MAX_LEAF_BYTES) throw new ValidationError(`Chunks above ${MAX_LEAF_BYTES} bytes cannot be IPFS blocks`)
  const { importBytes, importer } = await unixfsImporter()
  const blockstore = new CollectingBlockstore()
  if (m.size === 0) {
    const r = await importBytes(new Uint8Array(0), blockstore as never, PROFILE)
    // The empty file is one empty raw block; it is kept with the interior nodes.
    return { root: r.cid, nodes: blockstore.blocks, leaves: [] }
  }
  const leaves = m.chunks.map(leafCid)
  const lengthOf = (i: number): number => (i < m.chunks.length - 1 ? m.chunkSize : m.size - m.chunkSize * (m.chunks.length - 1))
  let results = 0
  for await (const r of importer(
    // One placeholder per chunk stands for the chunk's bytes; the leaf step below never reads it.
    [{ content: leaves.map((c) => c.multihash.digest) }],
    blockstore as never,
    {
      ...PROFILE,
      chunker: (source) => source,
      bufferImporter: async function* (file) {
        let i = 0
        for await (const _placeholder of file.content) {
          const index = i++
          // `block` is only read to wrap a single leaf carrying mtime/mode, which tracks never have.
          yield async () => ({ cid: leaves[index], size: BigInt(lengthOf(index)), block: NO_BYTES })
        }
      },
    },
  )) {
    results++
    if (results > 1) throw new Error('importer returned more than one root')
    return { root: r.cid, nodes: blockstore.blocks, leaves }
  }
  throw new Error('importer returned no root')
}

/**
 * Imports a small blob (cover art, edition metadata JSON) with the same profile, every block
 * included: a blob up to 1 MiB is a single raw block (its CID is a sha2-256 of the bytes).
 */
export async function buildBlobDag(bytes: Uint8Array): Promise<{ root: CID; blocks: Block[] }> {
  const { importBytes } = await unixfsImporter()
  const blockstore = new CollectingBlockstore()
  const r = await importBytes(bytes, blockstore as never, PROFILE)
  return { root: r.cid, blocks: blockstore.blocks }
}

/** Parses a CID from a gateway path; undefined if it is not one. */
export function parseCid(s: string): CID | undefined {
  try {
    return CID.parse(s)
  } catch {
    return undefined
  }
}

/** The store's key of a CID: CIDv1 in base32, so a CIDv0 request finds the same dag-pb block. */
export function cidKey(cid: CID): string {
  return cid.toV1().toString()
}
