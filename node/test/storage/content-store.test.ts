import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import { HashMismatchError, InvalidContentHashError, PayloadTooLargeError } from '../../src/core/errors.ts'
import { ContentStore } from '../../src/storage/content-store.ts'
import { randomBytesOf, tempDir } from '../helpers.ts'

async function* chunks(b: Buffer, size = 65536): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}

describe('ContentStore', () => {
  it('stores by hash under a 2-char prefix directory and deduplicates', async () => {
    await using dir = await tempDir()
    const store = new ContentStore({ root: dir.path, chunkSize: 1 << 20 })
    await store.start()
    const bytes = randomBytesOf(1_500_000)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const first = await store.ingest(chunks(bytes), { maxBytes: 1 << 24 })
    assert.equal(first.created, true)
    assert.equal(first.manifest.contentHash, hash)
    assert.equal(store.pathOf(hash), join(dir.path, hash.slice(0, 2), hash))
    assert.deepEqual(await readFile(store.pathOf(hash)), bytes)
    const second = await store.ingest(chunks(bytes), { maxBytes: 1 << 24 })
    assert.equal(second.created, false)
    assert.deepEqual(await readdir(join(dir.path, hash.slice(0, 2))), [hash])
    assert.deepEqual(await readdir(store.tmpDir), [])
  })

  it('never makes content visible when the hash does not match or the size limit is hit', async () => {
    await using dir = await tempDir()
    const store = new ContentStore({ root: dir.path, chunkSize: 1 << 20 })
    await store.start()
    const bytes = randomBytesOf(200_000)
    const wrong = '0'.repeat(64)
    await assert.rejects(store.ingest(chunks(bytes), { maxBytes: 1 << 24, expectedHash: wrong }), HashMismatchError)
    await assert.rejects(store.ingest(chunks(bytes), { maxBytes: 100_000 }), PayloadTooLargeError)
    assert.equal(await store.has(wrong), false)
    assert.deepEqual(await readdir(store.tmpDir), [])
    assert.deepEqual((await readdir(dir.path)).filter((d) => d !== '.tmp'), [])
  })

  it('refuses anything but a 64-hex hash as a path (no traversal)', async () => {
    await using dir = await tempDir()
    const store = new ContentStore({ root: dir.path, chunkSize: 1 << 20 })
    for (const bad of ['../../etc/passwd', '..', `${'a'.repeat(63)}/`, 'A'.repeat(64), `../${'a'.repeat(61)}`]) {
      assert.throws(() => store.pathOf(bad), InvalidContentHashError)
    }
  })

  it('serves byte ranges from an open handle', async () => {
    await using dir = await tempDir()
    const store = new ContentStore({ root: dir.path, chunkSize: 1 << 20 })
    await store.start()
    const bytes = randomBytesOf(10_000)
    const { manifest } = await store.ingest(chunks(bytes), { maxBytes: 1 << 24 })
    const file = await store.openRead(manifest.contentHash)
    assert.ok(file)
    assert.equal(file.size, 10_000)
    const parts: Buffer[] = []
    for await (const c of file.stream({ start: 100, end: 199 })) parts.push(c as Buffer)
    assert.deepEqual(Buffer.concat(parts), bytes.subarray(100, 200))
    assert.equal((await stat(store.pathOf(manifest.contentHash))).size, 10_000)
  })

  it('writes a tee copy with the download, places it after the commit, and never lets the copy fail the download', async () => {
    await using dir = await tempDir()
    await using out = await tempDir()
    const store = new ContentStore({ root: join(dir.path, 'store'), chunkSize: 1 << 20 })
    await store.start()
    const bytes = randomBytesOf(300_000, 3)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const write = async (dest: string, before?: () => Promise<void>): Promise<{ copied: boolean; created: boolean }> => {
      const tmp = await store.beginWrite()
      await tmp.tee(`${dest}.part`, dest)
      // Out of order, as the fetcher's verified chunks can land, and a stretch written twice (a resumed download).
      await tmp.writevAt([bytes.subarray(200_000)], 200_000)
      await tmp.writevAt([bytes.subarray(0, 100_000), bytes.subarray(100_000, 250_000)], 0)
      await before?.()
      const created = await tmp.commit(hash)
      return { copied: tmp.copied, created }
    }
    const dest = join(out.path, 'a', 'song.mp3')
    await mkdir(join(out.path, 'a'))
    assert.deepEqual(await write(dest), { copied: true, created: true })
    assert.deepEqual(await readFile(dest), bytes)
    assert.deepEqual(await readdir(join(out.path, 'a')), ['song.mp3'])

    // The copy's folder disappears before the commit: the content is still stored, only the copy is dropped.
    await rm(store.pathOf(hash))
    const gone = join(out.path, 'b', 'song.mp3')
    await mkdir(join(out.path, 'b'))
    assert.deepEqual(await write(gone, () => rm(join(out.path, 'b'), { recursive: true })), { copied: false, created: true })
    assert.deepEqual(await readFile(store.pathOf(hash)), bytes)
    assert.deepEqual(await readdir(store.tmpDir), [])
  })

  it('writes page-aligned pieces straight to the device, the rest through the page cache, and falls back when a direct write is refused', async () => {
    await using dir = await tempDir()
    await using out = await tempDir()
    const store = new ContentStore({ root: join(dir.path, 'store'), chunkSize: 1 << 20 })
    await store.start()
    // Page-aligned memory, as the fetcher's ring is (a shared WebAssembly memory is mapped on its own pages).
    const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer } } })
      .WebAssembly.Memory
    const ring = Buffer.from(new Memory({ initial: 64, maximum: 64, shared: true }).buffer)
    const MiB = 1 << 20
    const bytes = randomBytesOf(3 * MiB + 1000, 9)
    bytes.copy(ring, 0, 0, MiB)
    bytes.copy(ring, 2 * MiB, 2 * MiB)
    const hash = createHash('sha256').update(bytes).digest('hex')

    // Whether this file system enforces O_DIRECT's rules (ext4 does; tmpfs takes any write), so a refusal can be shown.
    const probe = await open(join(dir.path, 'probe'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT).catch(() => undefined)
    const strict = probe ? await probe.write(ring, 1, 4096, 0).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'EINVAL') : false
    await probe?.close()

    const tmp = await store.beginWrite({ direct: true })
    const dest = join(out.path, 'copy.bin')
    await tmp.tee(`${dest}.part`, dest)
    await tmp.writevAt([ring.subarray(0, MiB)], 0, { aligned: true })
    // Not vouched for (memory of its own), and a length that is not a whole number of pages: the page cache.
    await tmp.writevAt([bytes.subarray(MiB, 2 * MiB)], MiB)
    await tmp.writevAt([ring.subarray(2 * MiB, 3 * MiB + 1000)], 2 * MiB, { aligned: true })
    const direct = probe ? MiB : 0
    assert.equal(tmp.directBytes, direct)
    if (strict) {
      // Memory one byte off a page, vouched for by mistake: the kernel refuses it (EINVAL), so the write goes through
      // the page cache, and so does every later write, aligned or not. The right bytes go back over it.
      await tmp.writevAt([Buffer.from(ring.buffer, 1, 8192)], 0, { aligned: true })
      await tmp.writevAt([ring.subarray(0, MiB)], 0, { aligned: true })
      assert.equal(tmp.directBytes, direct)
    } else {
      process.stderr.write('# this file system takes misaligned O_DIRECT writes: the refusal is not exercised\n')
    }
    assert.equal(await tmp.commit(hash), true)
    assert.deepEqual(await readFile(store.pathOf(hash)), bytes)
    assert.equal(tmp.copied, true)
    assert.deepEqual(await readFile(dest), bytes)
  })

  it('stores a download on a file system with its own O_DIRECT rules (tmpfs) all the same', async (t) => {
    if (!(await stat('/dev/shm').catch(() => undefined))?.isDirectory()) return t.skip('no /dev/shm here')
    const shm = await mkdtemp('/dev/shm/dcmx-test-')
    await using _dir = { [Symbol.asyncDispose]: () => rm(shm, { recursive: true, force: true }) }
    const dir = { path: shm }
    const store = new ContentStore({ root: dir.path, chunkSize: 1 << 20 })
    await store.start()
    const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer } } })
      .WebAssembly.Memory
    const ring = Buffer.from(new Memory({ initial: 32, maximum: 32, shared: true }).buffer)
    const bytes = randomBytesOf(2 << 20, 10)
    bytes.copy(ring)
    const tmp = await store.beginWrite({ direct: true })
    await tmp.writevAt([ring.subarray(1 << 20, 2 << 20)], 1 << 20, { aligned: true })
    await tmp.writevAt([ring.subarray(0, 1 << 20)], 0, { aligned: true })
    const hash = createHash('sha256').update(bytes).digest('hex')
    assert.equal(await tmp.commit(hash), true)
    assert.deepEqual(await readFile(store.pathOf(hash)), bytes)
  })

  it('refuses to commit a download whose file does not hold the size it must, and removes it', async () => {
    await using dir = await tempDir()
    const store = new ContentStore({ root: dir.path, chunkSize: 1 << 20 })
    await store.start()
    const bytes = randomBytesOf(100_000, 12)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const tmp = await store.beginWrite({ direct: true })
    // The tail never reached the disk (a failed last write): the file is short.
    await tmp.writevAt([bytes.subarray(0, 60_000)], 0)
    await assert.rejects(tmp.commit(hash, bytes.length), (err: Error) => err.name === 'LocalStorageError' && /holds 60000 bytes on disk, not 100000/.test(err.message))
    assert.equal(await store.has(hash), false)
    assert.deepEqual(await readdir(store.tmpDir), [])
  })
})
