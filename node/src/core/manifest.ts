import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

import { InvalidManifestError } from './errors.ts'
import { MANIFEST_VERSION } from '../api.ts'
import type { Manifest } from '../api.ts'

/** Fixed chunk size of the manifest (1 MiB; bench/results/mesh.md compares 256 KiB). */
export const DEFAULT_CHUNK_SIZE = 1 << 20
export type { Manifest }

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize)
}

export function manifestRoot(chunks: readonly string[]): string {
  const h = createHash('sha256')
  for (const c of chunks) h.update(Buffer.from(c, 'hex'))
  return h.digest('hex')
}

/** Incremental builder: feed bytes in any slicing, get the whole-file hash and the manifest. */
export class ManifestBuilder {
  readonly chunkSize: number
  #whole = createHash('sha256')
  #chunk = createHash('sha256')
  #inChunk = 0
  #size = 0
  #chunks: string[] = []

  constructor(chunkSize: number = DEFAULT_CHUNK_SIZE) {
    this.chunkSize = chunkSize
  }

  get size(): number {
    return this.#size
  }

  update(data: Uint8Array): void {
    this.#whole.update(data)
    this.#size += data.byteLength
    let off = 0
    while (off < data.byteLength) {
      const take = Math.min(this.chunkSize - this.#inChunk, data.byteLength - off)
      this.#chunk.update(take === data.byteLength ? data : data.subarray(off, off + take))
      this.#inChunk += take
      off += take
      if (this.#inChunk === this.chunkSize) {
        this.#chunks.push(this.#chunk.digest('hex'))
        this.#chunk = createHash('sha256')
        this.#inChunk = 0
      }
    }
  }

  digest(): Manifest {
    if (this.#inChunk > 0) {
      this.#chunks.push(this.#chunk.digest('hex'))
      this.#inChunk = 0
    }
    const chunks = this.#chunks
    return {
      version: MANIFEST_VERSION,
      contentHash: this.#whole.digest('hex'),
      size: this.#size,
      chunkSize: this.chunkSize,
      chunks,
      root: manifestRoot(chunks),
    }
  }
}

/** Pure helper for the web app and scripts: the manifest of a byte array or of a file path. */
export async function computeManifest(
  input: Uint8Array | string,
  opts: { chunkSize?: number; signal?: AbortSignal } = {},
): Promise<Manifest> {
  const b = new ManifestBuilder(opts.chunkSize)
  if (typeof input === 'string') {
    for await (const data of createReadStream(input, { highWaterMark: 1 << 20, signal: opts.signal })) {
      b.update(data as Buffer)
    }
  } else {
    b.update(input)
  }
  return b.digest()
}

/** Checks that a manifest is internally consistent (counts, root) and is for `hash`. */
export function assertManifestConsistent(m: Manifest, hash: string, expectedRoot?: string): void {
  if (m.contentHash !== hash) throw new InvalidManifestError('Manifest is for another content hash')
  if (m.chunks.length !== chunkCount(m.size, m.chunkSize)) {
    throw new InvalidManifestError('Manifest chunk count does not match its size')
  }
  if (manifestRoot(m.chunks) !== m.root) throw new InvalidManifestError('Manifest root does not match its chunks')
  if (expectedRoot !== undefined && expectedRoot !== m.root) {
    throw new InvalidManifestError('Manifest root differs from the known root', { details: `${m.root} != ${expectedRoot}` })
  }
}
