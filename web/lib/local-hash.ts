import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'

/**
 * What the artist is about to sign, computed from the file in the browser, never taken from a node: the content
 * hash (SHA-256 of the whole file) and the manifest root for the node's chunk size (SHA-256 over the concatenated
 * chunk hashes). A node that answers the upload with another hash or root is caught before anything is signed.
 */
export async function hashFile(file: Blob, chunkSize: number, onProgress?: (done: number, total: number) => void): Promise<{ contentHash: string; root: string; chunks: string[] }> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1024) throw new Error(`invalid chunk size ${chunkSize}`)
  const whole = sha256.create()
  const chunkHashes: Uint8Array[] = []
  for (let at = 0; at < file.size || (at === 0 && file.size === 0); at += chunkSize) {
    const bytes = new Uint8Array(await file.slice(at, at + chunkSize).arrayBuffer())
    whole.update(bytes)
    chunkHashes.push(sha256(bytes))
    onProgress?.(Math.min(file.size, at + chunkSize), file.size)
    if (file.size === 0) break
  }
  const concat = new Uint8Array(32 * chunkHashes.length)
  chunkHashes.forEach((h, i) => concat.set(h, 32 * i))
  return { contentHash: bytesToHex(whole.digest()), root: bytesToHex(sha256(concat)), chunks: chunkHashes.map(bytesToHex) }
}
