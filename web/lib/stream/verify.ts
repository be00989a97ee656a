/**
 * Verification of streamed audio against the chain: a manifest is trusted only when its chunk hashes hash to the
 * `manifestRoot` the TrackRegistry stores for the content hash, and a chunk only when its SHA-256 is the manifest's
 * entry for it. WebCrypto only (`crypto.subtle`: browsers in a secure context, service workers, Node 24), one
 * digest per chunk: constant work per chunk, no whole-file hash (WebCrypto has no incremental SHA-256).
 */
import { manifestSchema } from '@dcmx/node/api'
import type { Manifest } from '@dcmx/node/api'

import { ChunkVerificationError, ManifestMismatchError } from './errors.ts'
import { chunkCount, chunkRange, rangeLength } from './range.ts'

export type { Manifest }

/** What the chain says about a track (TrackRegistry.getTrack), the anchor of every check. */
export interface TrackAnchor {
  /** 64 lowercase hex characters, no `0x` (the node API's form). */
  readonly contentHash: string
  /** The stored bytes32 `manifestRoot`, as 64 lowercase hex characters. */
  readonly manifestRoot: string
  /** Size in bytes as registered. */
  readonly size: number
}

/** The chunk size the player verifies against (the on-chain root binds the chunk hashes, not the size they were
 * cut at, so a track is registered, and played, with this one). */
export const STREAM_CHUNK_SIZE = 1 << 20

const HEX64 = /^(0x)?[0-9a-fA-F]{64}$/

/** Normalises a bytes32 (`0x…`, any case) to the API's form: 64 lowercase hex characters. */
export function normalizeHash(value: string): string {
  if (!HEX64.test(value)) throw new TypeError(`expected a 32-byte hex hash, got "${value.slice(0, 80)}"`)
  return value.replace(/^0x/, '').toLowerCase()
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/^0x/, '')
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new TypeError('expected an even-length hex string')
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** SHA-256 of `data` as 64 lowercase hex characters (WebCrypto). */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  // A view into a larger (or shared) buffer must be digested as the view, not the whole buffer.
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)
  return bytesToHex(new Uint8Array(digest))
}

/** The manifest root: SHA-256 over the concatenated 32-byte chunk hashes, in order (as the node computes it). */
export async function computeManifestRoot(chunks: readonly string[]): Promise<string> {
  const all = new Uint8Array(chunks.length * 32)
  chunks.forEach((c, i) => all.set(hexToBytes(c), i * 32))
  return sha256Hex(all)
}

/**
 * Parses a manifest fetched from an (untrusted) node and checks it against the chain's record: the schema, the
 * content hash, the chunk size (when `opts.chunkSize` is given: the root does not bind it), the size, the chunk count, its own root recomputed from its chunk hashes, and that
 * root against the on-chain `manifestRoot`. Returns the manifest, now trusted; throws ManifestMismatchError naming
 * the first check that failed.
 */
export async function verifyManifest(input: unknown, anchor: TrackAnchor, opts: { readonly chunkSize?: number } = {}): Promise<Manifest> {
  const parsed = manifestSchema.safeParse(input)
  if (!parsed.success) throw new ManifestMismatchError(`not a manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { cause: parsed.error })
  const m = parsed.data
  const contentHash = normalizeHash(anchor.contentHash)
  const chainRoot = normalizeHash(anchor.manifestRoot)
  if (m.contentHash !== contentHash) throw new ManifestMismatchError(`manifest is for ${m.contentHash}, not ${contentHash}`)
  if (opts.chunkSize !== undefined && m.chunkSize !== opts.chunkSize) {
    throw new ManifestMismatchError(`manifest cuts chunks of ${m.chunkSize} bytes; the protocol's are ${opts.chunkSize}`)
  }
  if (m.size !== anchor.size) throw new ManifestMismatchError(`manifest size ${m.size} differs from the registered size ${anchor.size}`)
  const expectedChunks = chunkCount(m.size, m.chunkSize)
  if (m.chunks.length !== expectedChunks) {
    throw new ManifestMismatchError(`manifest lists ${m.chunks.length} chunks; ${m.size} bytes in ${m.chunkSize}-byte chunks are ${expectedChunks}`)
  }
  const root = await computeManifestRoot(m.chunks)
  if (root !== m.root) throw new ManifestMismatchError(`manifest root ${m.root} is not the hash of its chunk list (${root})`)
  if (root !== chainRoot) throw new ManifestMismatchError(`manifest root ${root} differs from the on-chain root ${chainRoot}`)
  return m
}

/** The exact length chunk `index` must have under `manifest`. */
export function expectedChunkLength(manifest: Manifest, index: number): number {
  return rangeLength(chunkRange(index, manifest.chunkSize, manifest.size))
}

/**
 * Checks chunk `index`'s bytes against a verified manifest: the index exists, the length is exact, and the SHA-256
 * equals the manifest's entry. Throws ChunkVerificationError (with the reason) otherwise; no byte of a chunk may
 * reach the player before this resolves.
 */
export async function verifyChunk(manifest: Manifest, index: number, bytes: Uint8Array): Promise<void> {
  if (!Number.isInteger(index) || index < 0 || index >= manifest.chunks.length) {
    throw new ChunkVerificationError(index, `no chunk ${index} in a ${manifest.chunks.length}-chunk manifest`)
  }
  const want = expectedChunkLength(manifest, index)
  if (bytes.byteLength !== want) throw new ChunkVerificationError(index, `length ${bytes.byteLength}, expected ${want}`)
  const got = await sha256Hex(bytes)
  const expected = manifest.chunks[index] as string
  if (got !== expected) throw new ChunkVerificationError(index, `SHA-256 ${got} differs from the manifest's ${expected}`)
}
