import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'

import { computeManifestRoot, sha256Hex } from './stream/verify.ts'

/**
 * What the artist is about to sign, computed from the file in the browser, never taken from a node: the content
 * hash (SHA-256 of the whole file, incremental: WebCrypto has no streaming digest) and the manifest root for the
 * node's chunk size. A node that answers the upload with another hash or root is caught before anything is signed.
 */
export async function hashFile(file: Blob, chunkSize: number): Promise<{ contentHash: string; root: string; chunks: string[] }> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1024) throw new Error(`invalid chunk size ${chunkSize}`)
  const whole = sha256.create()
  const chunks: string[] = []
  for (let at = 0; at === 0 || at < file.size; at += chunkSize) {
    const bytes = new Uint8Array(await file.slice(at, at + chunkSize).arrayBuffer())
    whole.update(bytes)
    chunks.push(await sha256Hex(bytes))
  }
  return { contentHash: bytesToHex(whole.digest()), root: await computeManifestRoot(chunks), chunks }
}
