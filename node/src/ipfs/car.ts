import type { FileHandle } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'

import { createWriter, headerLength } from '@ipld/car/buffer-writer'
import type { CID } from 'multiformats/cid'
import { varint } from 'multiformats'

import type { ContentHash } from '../core/hash.ts'
import type { BufferPool } from '../http/send-file.ts'
import type { ContentStore } from '../storage/content-store.ts'
import type { BlockRef } from './walk.ts'
import { MissingBlockError } from './walk.ts'

/** The CARv1 header (`{version: 1, roots: [root]}`), encoded by @ipld/car. */
export function carHeader(root: CID): Uint8Array {
  const roots = [root]
  return createWriter(new ArrayBuffer(headerLength({ roots })), { roots }).close()
}

/** A CARv1 section's prefix: varint(length of CID + block) followed by the CID bytes. */
export function sectionPrefix(cid: CID, blockLength: number): Uint8Array {
  const len = cid.bytes.length + blockLength
  const out = new Uint8Array(varint.encodingLength(len) + cid.bytes.length)
  varint.encodeTo(len, out, 0)
  out.set(cid.bytes, out.length - cid.bytes.length)
  return out
}

/** Reads raw leaves out of stored content files; one open handle per file for a whole response. */
export class ChunkReader {
  #store: ContentStore
  #open = new Map<ContentHash, Promise<FileHandle>>()

  constructor(store: ContentStore) {
    this.#store = store
  }

  /** Reads `length` bytes at `offset` of the content into `buf` at `at`. */
  async readInto(contentHash: ContentHash, offset: number, length: number, buf: Uint8Array, at: number): Promise<void> {
    let fh = this.#open.get(contentHash)
    if (!fh) {
      const opened = this.#store.openRead(contentHash).then((c) => {
        if (!c) throw new Error(`content ${contentHash} is not stored`)
        return c.handle
      })
      opened.catch(() => {})
      this.#open.set(contentHash, opened)
      fh = opened
    }
    const handle = await fh
    let done = 0
    while (done < length) {
      const { bytesRead } = await handle.read(buf, at + done, length - done, offset + done)
      if (bytesRead === 0) throw new Error(`content ${contentHash} is shorter than its manifest`)
      done += bytesRead
    }
  }

  async close(): Promise<void> {
    const handles = await Promise.allSettled(this.#open.values())
    this.#open.clear()
    for (const h of handles) if (h.status === 'fulfilled') await h.value.close().catch(() => {})
  }
}

/** One block's bytes as a fresh buffer (for raw block responses and the generic CAR stream). */
export async function readBlock(ref: BlockRef, chunks: ChunkReader): Promise<Uint8Array> {
  if (ref.location.kind === 'inline') return ref.location.bytes
  const { contentHash, offset, length } = ref.location
  const buf = Buffer.allocUnsafe(length)
  await chunks.readInto(contentHash, offset, length, buf, 0)
  return buf
}

/** A CAR as an async iterable of byte pieces (header, then prefix + block per section). */
export async function* carStream(root: CID, blocks: AsyncIterable<BlockRef>, chunks: ChunkReader): AsyncGenerator<Uint8Array> {
  try {
    yield carHeader(root)
    for await (const ref of blocks) {
      const bytes = await readBlock(ref, chunks)
      yield sectionPrefix(ref.cid, bytes.byteLength)
      yield bytes
    }
  } finally {
    await chunks.close()
  }
}

function write(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (err) => (err ? reject(err) : resolve()))
  })
}

/**
 * Streams a CAR on `res` with pooled buffers, like `sendFileRange`: each leaf is read from its
 * content file straight behind its section prefix in one buffer, the next read overlaps the
 * previous write, and a buffer goes back to the pool only once the socket took it. A block that
 * goes missing mid-stream ends the response abruptly (the spec's incomplete CAR: the client's
 * verification fails). Resolves with the bytes sent.
 */
export async function sendCar(
  res: ServerResponse,
  root: CID,
  blocks: AsyncIterable<BlockRef>,
  chunks: ChunkReader,
  pool: BufferPool,
  onError?: (err: unknown) => void,
): Promise<number> {
  const bufs = [pool.get(), pool.get()]
  let i = 0
  let sent = 0
  let pending: Promise<void> | undefined
  const push = async (piece: Uint8Array): Promise<void> => {
    if (pending) await pending
    pending = write(res, piece)
    pending.catch(() => {})
    sent += piece.byteLength
  }
  try {
    await push(carHeader(root))
    for await (const ref of blocks) {
      if (res.destroyed) break
      if (ref.location.kind === 'inline') {
        const prefix = sectionPrefix(ref.cid, ref.location.bytes.byteLength)
        await push(Buffer.concat([prefix, ref.location.bytes]))
        continue
      }
      const { contentHash, offset, length } = ref.location
      const prefix = sectionPrefix(ref.cid, length)
      let buf = bufs[i]
      i ^= 1
      // Chunks above the pool's buffer size (a node with --chunk-kib > 1024) get their own buffer.
      if (prefix.byteLength + length > buf.length) buf = Buffer.allocUnsafe(prefix.byteLength + length)
      buf.set(prefix, 0)
      await chunks.readInto(contentHash, offset, length, buf, prefix.byteLength)
      await push(buf.subarray(0, prefix.byteLength + length))
    }
    if (pending) await pending
    res.end()
  } catch (err) {
    // Headers are gone already: cutting the stream is the only signal left (an incomplete CAR).
    res.destroy()
    if (!(err instanceof MissingBlockError) && !res.writableEnded) onError?.(err)
  } finally {
    if (pending) await pending.catch(() => {})
    for (const b of bufs) pool.put(b)
    await chunks.close()
  }
  return sent
}
