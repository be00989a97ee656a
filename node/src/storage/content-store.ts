import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { constants } from 'node:fs'
import { copyFile, mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, normalize, relative } from 'node:path'
import type { Readable } from 'node:stream'

import { HashMismatchError, LocalStorageError, PayloadTooLargeError, ValidationError } from '../core/errors.ts'
import { parseContentHash } from '../core/hash.ts'
import type { ContentHash } from '../core/hash.ts'
import { ManifestBuilder } from '../core/manifest.ts'
import type { Manifest } from '../core/manifest.ts'

export interface ContentStoreInit {
  /** Root of the store; content lives in `<root>/<2-char prefix>/<hash>`, temp files in `<root>/.tmp`. */
  root: string
  chunkSize: number
}

export interface IngestResult {
  manifest: Manifest
  /** false when the bytes were already stored (dedup). */
  created: boolean
}

const READ_CHUNK = 4 << 20
/** A download starts a background fdatasync of its temp file every this many bytes written through the page cache. */
const FLUSH_BEHIND = 16 << 20
/** What O_DIRECT asks of a write's memory address, file offset and length (the device's logical block is at most this). */
export const DIRECT_ALIGN = 4096

/**
 * A file written by positional gather writes, through the page cache or, for page-aligned memory at aligned offsets,
 * straight to the device (O_DIRECT, a second descriptor on the same file): a download's bytes then cost no copy into
 * the page cache and no fresh page-cache memory, the two largest costs of a verified fetch after SHA-256 (on this
 * project's VMs, fresh memory can be several times slower to touch when the host has reclaimed it). A file system
 * without O_DIRECT (tmpfs) or a refused direct write (EINVAL) falls back to the page cache for good.
 */
class SinkFile {
  readonly fh: FileHandle
  #direct: FileHandle | undefined
  /** Bytes written straight to the device. */
  directBytes = 0

  private constructor(fh: FileHandle, direct: FileHandle | undefined) {
    this.fh = fh
    this.#direct = direct
  }

  /**
   * Creates `path` (`wx`); `direct`: also opens the created file for direct writes where the OS and file system allow.
   * That second open goes through `/proc/self/fd` (Linux), which names the open file itself, not the path: a folder
   * others can write to could otherwise have the name swapped for a symlink between the two opens.
   */
  static async create(path: string, direct: boolean): Promise<SinkFile> {
    const fh = await open(path, 'wx', 0o644)
    const flag = constants.O_DIRECT as number | undefined
    const d = direct && flag !== undefined ? await open(`/proc/self/fd/${fh.fd}`, constants.O_WRONLY | flag).catch(() => undefined) : undefined
    return new SinkFile(fh, d)
  }

  /**
   * Writes `bufs` at `position`; `aligned`: the caller vouches that every buffer starts on a page boundary (then
   * offsets and lengths decide). Returns the bytes that went through the page cache (0 for a direct write).
   */
  async writev(bufs: Uint8Array[], position: number, aligned: boolean): Promise<number> {
    const direct = this.#direct
    if (direct && aligned && position % DIRECT_ALIGN === 0 && bufs.every((b) => b.byteLength % DIRECT_ALIGN === 0)) {
      try {
        this.directBytes += await writevAll(direct, bufs, position)
        return 0
      } catch {
        // Refused (EINVAL), unsupported, or failed: the page cache takes this write and every later one (a direct write
        // still running when the descriptor closes fails too, and is retried here the same way). A real disk error
        // comes back from the buffered write or the fsync.
        if (this.#direct === direct) {
          this.#direct = undefined
          await direct.close().catch(() => {})
        }
      }
    }
    return writevAll(this.fh, bufs, position)
  }

  async close(): Promise<void> {
    const direct = this.#direct
    this.#direct = undefined
    await direct?.close().catch(() => {})
    await this.fh.close()
  }
}

export interface OpenContent {
  size: number
  /** The open file (for zero-garbage sending); closed by `stream`, `close` or the sender. */
  handle: FileHandle
  /** Streams the file (or an inclusive byte range) and closes the handle at the end. */
  stream: (range?: { start: number; end: number }) => Readable
  /** Closes the handle when `stream` will not be called. */
  close: () => Promise<void>
}

/** A temp file being filled; becomes visible only through `commit` after its hash is checked. */
export class TempWrite {
  readonly path: string
  #file: SinkFile
  #store: ContentStore
  #done = false
  /** Bytes written since the last background flush was started, and that flush (at most one in flight). */
  #unflushed = 0
  #flushing: Promise<void> | undefined
  /** A second file that gets every byte (see `tee`). */
  #tee: { file: SinkFile; tmp: string; dest: string } | undefined
  #copied = false
  #direct: boolean

  constructor(store: ContentStore, path: string, file: SinkFile, direct: boolean) {
    this.#store = store
    this.path = path
    this.#file = file
    this.#direct = direct
  }

  async write(data: Uint8Array): Promise<void> {
    let off = 0
    while (off < data.byteLength) {
      const { bytesWritten } = await this.#file.fh.write(data, off, data.byteLength - off)
      off += bytesWritten
    }
  }

  /**
   * Positional gather write of consecutive buffers (to the tee too, when there is one). `aligned`: every buffer starts
   * on a page boundary, so the write may go straight to the device (see SinkFile).
   */
  async writevAt(bufs: Uint8Array[], position: number, opts: { aligned?: boolean } = {}): Promise<void> {
    const tee = this.#tee
    const aligned = opts.aligned ?? false
    // Both writes settle before this returns, also on failure: the caller reuses `bufs` afterwards.
    const [store] = await Promise.allSettled([this.#file.writev(bufs, position, aligned), tee && tee.file.writev(bufs, position, aligned).catch(() => this.#dropTee())])
    if (store.status === 'rejected') throw store.reason
    this.#flushBehind(store.value)
  }

  /**
   * Also writes every byte to `tmp` (a copy the caller asked for, e.g. `dcmx get -o`), so the copy is made while the
   * download runs instead of after it. `tmp` becomes `dest` on commit (after the store's verification and fsync,
   * trimmed to the stored size; then `copied` is true) and is removed on abort. The copy never fails the download:
   * if writing or placing it fails, it is dropped (`copied` stays false) and the caller copies from the store.
   */
  async tee(tmp: string, dest: string): Promise<void> {
    if (this.#tee) throw new Error('TempWrite already has a tee')
    this.#tee = { file: await SinkFile.create(tmp, this.#direct), tmp, dest }
  }

  /** Bytes of the temp file written straight to the device (O_DIRECT), not through the page cache. */
  get directBytes(): number {
    return this.#file.directBytes
  }

  /** Whether `commit` placed the tee's copy at its destination. */
  get copied(): boolean {
    return this.#copied
  }

  async #dropTee(): Promise<void> {
    const tee = this.#tee
    this.#tee = undefined
    if (!tee) return
    await tee.file.close().catch(() => {})
    await rm(tee.tmp, { force: true }).catch(() => {})
  }

  /**
   * Every FLUSH_BEHIND bytes written, starts an fdatasync in the background (the thread pool), so the disk writes
   * while the download continues and the fsync in `commit` only has the tail left. Durability still comes from that
   * final fsync; these only move the disk work earlier.
   */
  #flushBehind(n: number): void {
    this.#unflushed += n
    if (this.#unflushed < FLUSH_BEHIND || this.#flushing || this.#done) return
    this.#unflushed = 0
    this.#flushing = this.#file.fh
      .datasync()
      .catch(() => {})
      .finally(() => (this.#flushing = undefined))
  }

  /**
   * fsync, then rename into place (and the tee to its destination); returns false when the content already existed.
   * `size`: what the file must hold (a download's manifest size); anything else is refused and the file removed.
   */
  async commit(hash: ContentHash, size?: number): Promise<boolean> {
    this.#done = true
    await this.#flushing
    let created: boolean
    let written: number
    try {
      // One fsync covers the file's direct writes too (it flushes the device's write cache).
      await this.#file.fh.sync()
      written = (await this.#file.fh.stat()).size
      if (size !== undefined && written !== size) throw new LocalStorageError(`The download holds ${written} bytes on disk, not ${size}`)
      await this.#file.close()
      created = await this.#store.publish(this.path, hash)
    } catch (err) {
      await this.#file.close().catch(() => {})
      await rm(this.path, { force: true }).catch(() => {})
      await this.#dropTee()
      throw err
    }
    const tee = this.#tee
    if (tee) {
      try {
        await tee.file.fh.truncate(written)
        await tee.file.close()
        await rename(tee.tmp, tee.dest)
        this.#tee = undefined
        this.#copied = true
      } catch {
        await this.#dropTee()
      }
    }
    return created
  }

  async abort(): Promise<void> {
    if (this.#done) return
    this.#done = true
    await this.#flushing
    await this.#file.close().catch(() => {})
    await rm(this.path, { force: true })
    await this.#dropTee()
  }
}

/** A whole positional gather write: a short writev (rare on files) is finished buffer by buffer. */
async function writevAll(fh: FileHandle, bufs: Uint8Array[], position: number): Promise<number> {
  const total = bufs.reduce((n, b) => n + b.byteLength, 0)
  const { bytesWritten } = await fh.writev(bufs, position)
  let skip = bytesWritten
  let pos = position + bytesWritten
  if (bytesWritten < total) {
    for (const b of bufs) {
      if (skip >= b.byteLength) {
        skip -= b.byteLength
        continue
      }
      let off = skip
      skip = 0
      while (off < b.byteLength) {
        const { bytesWritten: n } = await fh.write(b, off, b.byteLength - off, pos)
        off += n
        pos += n
      }
    }
  }
  return total
}

/**
 * Content-addressed file store. Files are immutable and appear atomically (temp file, fsync,
 * rename) only after their SHA-256 was verified, so a partial file is never served.
 */
export class ContentStore {
  readonly root: string
  readonly chunkSize: number
  readonly tmpDir: string

  constructor(init: ContentStoreInit) {
    this.root = init.root
    this.chunkSize = init.chunkSize
    this.tmpDir = join(init.root, '.tmp')
  }

  async start(): Promise<void> {
    await mkdir(this.root, { recursive: true })
    // Leftovers of a crash are never visible content; drop them.
    await rm(this.tmpDir, { recursive: true, force: true })
    await mkdir(this.tmpDir, { recursive: true })
  }

  async stop(): Promise<void> {}

  /** The only place a path is derived from a hash; the hash is validated, so no traversal. */
  pathOf(hash: ContentHash): string {
    parseContentHash(hash)
    return join(this.root, hash.slice(0, 2), hash)
  }

  async has(hash: ContentHash): Promise<boolean> {
    return (await this.sizeOf(hash)) !== undefined
  }

  async sizeOf(hash: ContentHash): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(hash))).size
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Opens the file once so a range read and its size refer to the same inode. */
  async openRead(hash: ContentHash): Promise<OpenContent | undefined> {
    let fh: FileHandle
    try {
      fh = await open(this.pathOf(hash), 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    const { size } = await fh.stat()
    return {
      size,
      handle: fh,
      close: () => fh.close(),
      stream: (range) =>
        createReadStream('', {
          fd: fh,
          start: range?.start ?? 0,
          end: range?.end ?? Math.max(0, size - 1),
          // Large reads are the main lever for throughput (64 KiB: ~0.6 GB/s, 1 MiB: ~1.3, 4 MiB: ~1.5 here).
          highWaterMark: READ_CHUNK,
          autoClose: true,
        }),
    }
  }

  /** `direct`: page-aligned writes may bypass the page cache (a download from a peer; see SinkFile). */
  async beginWrite(opts: { direct?: boolean } = {}): Promise<TempWrite> {
    const path = join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`)
    const direct = opts.direct ?? false
    return new TempWrite(this, path, await SinkFile.create(path, direct), direct)
  }

  /** @internal used by TempWrite.commit */
  async publish(tmpPath: string, hash: ContentHash): Promise<boolean> {
    const dest = this.pathOf(hash)
    if (await this.has(hash)) {
      await rm(tmpPath, { force: true })
      return false
    }
    await mkdir(join(this.root, hash.slice(0, 2)), { recursive: true })
    await rename(tmpPath, dest)
    return true
  }

  /**
   * Streams bytes into the store while hashing them; never holds the content in memory.
   * Rejects with PayloadTooLargeError past `maxBytes`, HashMismatchError if `expectedHash` differs.
   */
  async ingest(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    opts: { maxBytes: number; expectedHash?: ContentHash; signal?: AbortSignal },
  ): Promise<IngestResult> {
    const tmp = await this.beginWrite()
    const builder = new ManifestBuilder(this.chunkSize)
    try {
      for await (const data of source) {
        opts.signal?.throwIfAborted()
        if (builder.size + data.byteLength > opts.maxBytes) throw new PayloadTooLargeError(opts.maxBytes)
        builder.update(data)
        await tmp.write(data)
      }
      const manifest = builder.digest()
      if (opts.expectedHash !== undefined && opts.expectedHash !== manifest.contentHash) {
        throw new HashMismatchError(opts.expectedHash, manifest.contentHash)
      }
      const created = await tmp.commit(manifest.contentHash)
      return { manifest, created }
    } finally {
      await tmp.abort()
    }
  }
}

/**
 * Checks a destination for a copy of stored content (`request_file` with a path) and returns the temp path beside it
 * that the copy is written to before it is renamed into place: `dest` must be absolute and outside the node's data
 * dir (its key, token, database and store are never overwritten), also through symlinks.
 */
export async function copyTarget(dest: string, dataDir: string): Promise<string> {
  if (!isAbsolute(dest) || dest.includes('\0') || normalize(dest) !== dest || dest.endsWith('/')) {
    throw new ValidationError('path must be an absolute, normalized file path')
  }
  const inside = (dir: string, p: string): boolean => {
    const rel = relative(dir, p)
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
  }
  if (inside(normalize(dataDir), dest)) throw new ValidationError('path must be outside the node data dir')
  if ((await stat(dest).catch(() => undefined))?.isDirectory()) throw new ValidationError('path is a directory')
  await mkdir(dirname(dest), { recursive: true })
  // Again through symlinks: a linked folder must not lead into the data dir either.
  if (inside(await realpath(dataDir), join(await realpath(dirname(dest)), basename(dest)))) {
    throw new ValidationError('path must be outside the node data dir')
  }
  return `${dest}.dcmx-${randomBytes(6).toString('hex')}.part`
}

/**
 * Copies stored (verified) content to `dest` for the local API (`request_file` with a path, what `dcmx get` uses on
 * the node's own machine), through a temp file beside it renamed into place, so `dest` is either absent or whole. A
 * reflink where the file system has them, else a kernel copy. `tmp` comes from `copyTarget(dest, ...)`.
 */
export async function copyStored(src: string, { tmp, dest }: { tmp: string; dest: string }): Promise<void> {
  try {
    await copyFile(src, tmp, constants.COPYFILE_FICLONE)
    await rename(tmp, dest)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
