import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { AddTrackResponse } from '../src/api.ts'
import type { DcmxNode } from '../src/node.ts'
import { randomBytesOf, startNode, tempDir, upload } from './helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const portOf = (n: DcmxNode): number => Number(new URL(n.url).port)

describe('two nodes on 127.0.0.1', () => {
  let a: TestNode
  let b: TestNode
  const bytes = randomBytesOf(2.5 * 1024 * 1024, 7)
  const hash = createHash('sha256').update(bytes).digest('hex')

  before(async () => {
    a = await startNode()
    b = await startNode({ peers: [{ host: '127.0.0.1', port: portOf(a) }] })
  })
  after(async () => {
    await b.cleanup()
    await a.cleanup()
  })

  it('adds on A, discovers from B, fetches with bytes equal and hash verified', async () => {
    const res = await upload(a, bytes, { title: 'Song', artist: 'Artist', album: 'LP' })
    assert.equal(res.status, 201)
    const { track } = (await res.json()) as AddTrackResponse
    assert.equal(track.content_hash, hash)
    assert.equal(track.album, 'LP')

    await b.gossip.round()
    const peers = b.peers.list()
    assert.equal(peers.length, 1)
    assert.equal(peers[0].peer_id, a.peerId)
    assert.deepEqual(peers[0].available_tracks, [hash])
    assert.equal(b.tracks.get(hash)?.title, 'Song')

    const r = await b.getContent(hash)
    assert.equal(r.from, a.peerId)
    assert.equal(r.manifest.root, track.manifest_root)
    const got = Buffer.from(await (await fetch(`${b.url}/content/${hash}`)).arrayBuffer())
    assert.ok(got.equals(bytes))
    assert.equal(createHash('sha256').update(got).digest('hex'), hash)
    assert.equal(b.tracks.get(hash)?.local, true)
  })

  it('answers the seed protocol endpoints', async () => {
    const ping = (await (await fetch(`${a.url}/ping`)).json()) as { status: string; peer_id: string }
    assert.deepEqual([ping.status, ping.peer_id], ['ok', a.peerId])
    const tracks = (await (await fetch(`${a.url}/tracks`)).json()) as Array<{ content_hash: string }>
    assert.deepEqual(tracks.map((t) => t.content_hash), [hash])
    // A learned B when B called /discover
    const peers = (await (await fetch(`${a.url}/peers`)).json()) as Array<{ peer_id: string }>
    assert.deepEqual(peers.map((p) => p.peer_id), [b.peerId])
  })

  it('serves Range requests: first, middle and last byte, suffix, open-ended, 416', async () => {
    const get = (range?: string): Promise<Response> => fetch(`${a.url}/content/${hash}`, { headers: range ? { range } : {} })
    const full = await get()
    assert.equal(full.status, 200)
    assert.equal(full.headers.get('etag'), `"${hash}"`)
    assert.equal(full.headers.get('accept-ranges'), 'bytes')
    assert.equal(Number(full.headers.get('content-length')), bytes.length)
    await full.body?.cancel()

    const cases: Array<[string, number, number]> = [
      ['bytes=0-0', 0, 0],
      [`bytes=${bytes.length >> 1}-${bytes.length >> 1}`, bytes.length >> 1, bytes.length >> 1],
      [`bytes=${bytes.length - 1}-${bytes.length - 1}`, bytes.length - 1, bytes.length - 1],
      ['bytes=-500', bytes.length - 500, bytes.length - 1],
      [`bytes=${bytes.length - 10}-`, bytes.length - 10, bytes.length - 1],
      [`bytes=1000-${bytes.length + 5000}`, 1000, bytes.length - 1],
    ]
    for (const [range, start, end] of cases) {
      const r = await get(range)
      assert.equal(r.status, 206, range)
      assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${bytes.length}`)
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(bytes.subarray(start, end + 1)), range)
    }
    for (const range of [`bytes=${bytes.length}-`, 'bytes=-0']) {
      const r = await get(range)
      assert.equal(r.status, 416, range)
      assert.equal(r.headers.get('content-range'), `bytes */${bytes.length}`)
      await r.body?.cancel()
    }
    const head = await fetch(`${a.url}/content/${hash}`, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(Number(head.headers.get('content-length')), bytes.length)
    const missing = await fetch(`${a.url}/content/${'0'.repeat(64)}`)
    assert.equal(missing.status, 404)
    const malformed = await fetch(`${a.url}/content/xyz`)
    assert.equal(malformed.status, 400)
  })

  it('serves the manifest', async () => {
    const m = (await (await fetch(`${a.url}/manifest/${hash}`)).json()) as { chunks: string[]; chunkSize: number; contentHash: string }
    assert.equal(m.contentHash, hash)
    assert.equal(m.chunkSize, 1 << 20)
    assert.equal(m.chunks.length, 3)
    assert.equal((await fetch(`${a.url}/manifest/${'0'.repeat(64)}`)).status, 404)
  })

  it('stores one copy when the same bytes are uploaded twice', async () => {
    const res = await upload(a, bytes, { title: 'Other title', artist: 'Someone else' })
    assert.equal(res.status, 200)
    const body = (await res.json()) as AddTrackResponse
    assert.equal(body.created, false)
    assert.equal(body.track.title, 'Song')
    const shard = join(a.config.dataDir, 'content', hash.slice(0, 2))
    assert.deepEqual(await readdir(shard), [hash])
    assert.equal(a.tracks.listLocal().length, 1)
  })
})

describe('restart', () => {
  it('keeps tracks, manifests, peers and peer states across a restart', async () => {
    await using dirA = await tempDir()
    const a = await startNode()
    let b = await startNode({ dataDir: dirA.path, peers: [{ host: '127.0.0.1', port: portOf(a) }] })
    try {
      const bytes = randomBytesOf(300_000, 3)
      const hash = createHash('sha256').update(bytes).digest('hex')
      assert.equal((await upload(b, bytes)).status, 201)
      await b.gossip.round()
      await b.gossip.round()
      const peerId = b.peerId
      const before = b.peers.list()
      assert.equal(before[0].state, 'active')
      await b.cleanup()

      b = await startNode({ dataDir: dirA.path })
      assert.equal(b.peerId, peerId, 'same identity')
      assert.deepEqual(b.tracks.localHashes(), [hash])
      assert.equal(b.tracks.getManifest(hash)?.size, 300_000)
      assert.deepEqual(b.peers.list(), before)
      const got = Buffer.from(await (await fetch(`${b.url}/content/${hash}`)).arrayBuffer())
      assert.ok(got.equals(bytes))
      const keyMode = (await stat(join(dirA.path, 'node.key'))).mode & 0o777
      assert.equal(keyMode, 0o600)
    } finally {
      await b.cleanup()
      await a.cleanup()
    }
  })
})
