import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import type { DiscoverResponse, GossipPeer, Manifest } from '../../src/api.ts'
import { signAnnouncement } from '../../src/core/announcement.ts'
import { ContentUnavailableError } from '../../src/core/errors.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, tempDir, TOKEN, upload } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const CHUNK = 64 * 1024

/**
 * A real HTTP peer that announces a track, serves the honest manifest, but lies in the bytes:
 * 'corrupt' flips a byte in chunk `badChunk`; 'truncate' ends the response inside that chunk.
 */
async function startLiar(opts: {
  bytes: Buffer
  manifest: Manifest
  mode: 'corrupt' | 'truncate'
  badChunk: number
  forward?: GossipPeer[]
}): Promise<{ server: Server; port: number; peerId: string; contentRequests: string[]; close: () => Promise<void> }> {
  const account = privateKeyToAccount(generatePrivateKey())
  const contentRequests: string[] = []
  const hash = opts.manifest.contentHash
  let port = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (req.method === 'POST' && req.url === '/discover') {
        for await (const _ of req);
        const body: DiscoverResponse = {
          peer: { ...(await signAnnouncement(account, { host: '127.0.0.1', port }, undefined, [hash])), available_tracks: [hash] },
          tracks: [],
          peers: opts.forward ?? [],
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(body))
      } else if (req.url === `/manifest/${hash}`) {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(opts.manifest))
      } else if (req.url === `/content/${hash}`) {
        contentRequests.push(req.headers.range ?? 'full')
        const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0)
        let out = Buffer.from(opts.bytes.subarray(start))
        const badAt = opts.badChunk * CHUNK + 100 - start
        if (opts.mode === 'corrupt') out[badAt] ^= 0xff
        else out = out.subarray(0, badAt)
        res.writeHead(start > 0 ? 206 : 200, { 'content-length': out.length })
        res.end(out)
      } else {
        res.writeHead(404).end()
      }
    })()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    peerId: account.address,
    contentRequests,
    close: () => new Promise<void>((r) => server.close(() => r())).then(() => server.closeAllConnections()),
  }
}

describe('fetching from a lying peer', () => {
  let honest: TestNode
  const bytes = randomBytesOf(5 * CHUNK + 1234, 11)
  const hash = createHash('sha256').update(bytes).digest('hex')
  let manifest: Manifest

  before(async () => {
    honest = await startNode({ chunkSize: CHUNK })
    assert.equal((await upload(honest, bytes)).status, 201)
    manifest = honest.tracks.getManifest(hash) as Manifest
  })
  after(() => honest.cleanup())

  it('rejects corrupted bytes at the first bad chunk, stores nothing (nor the copy asked for) and penalizes the liar', async () => {
    const liar = await startLiar({ bytes, manifest, mode: 'corrupt', badChunk: 1 })
    const b = await startNode({ chunkSize: CHUNK, peers: [{ host: '127.0.0.1', port: liar.port }] })
    await using out = await tempDir()
    try {
      await b.gossip.round()
      assert.equal(b.peers.get(liar.peerId)?.tracks.has(hash), true)
      // The copy (`dcmx get -o`) is written during the download: a refused download leaves neither it nor its temp.
      await assert.rejects(b.getContent(hash, { copyTo: join(out.path, 'song.mp3') }), ContentUnavailableError)
      assert.equal(await b.store.has(hash), false)
      assert.deepEqual(await readdir(b.store.tmpDir), [])
      assert.deepEqual(await readdir(out.path), [])
      assert.ok((b.peers.get(liar.peerId)?.score ?? 0) < 0, 'liar penalized')
      assert.deepEqual(liar.contentRequests, ['full'], 'one request, abandoned at the bad chunk')

      // Now B meets an honest peer too: the fetch succeeds from it.
      b.gossip.addBootstrap({ host: '127.0.0.1', port: Number(new URL(honest.url).port) })
      await b.gossip.round()
      const r = await b.getContent(hash, { copyTo: join(out.path, 'song.mp3') })
      assert.equal(r.from, honest.peerId)
      assert.equal(r.copied, true)
      assert.ok((await readFile(join(out.path, 'song.mp3'))).equals(bytes))
      assert.deepEqual(await readdir(out.path), ['song.mp3'])
      const got = Buffer.from(await (await fetch(`${b.url}/content/${hash}`)).arrayBuffer())
      assert.ok(got.equals(bytes))
      const audit = (await (await fetch(`${b.url}/audit`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Array<{ action: string; result: string }>
      assert.deepEqual(audit.map((x) => `${x.action}:${x.result}`), ['DOWNLOAD:FAILED', 'DOWNLOAD:SUCCESS', 'UPLOAD:SUCCESS'])
    } finally {
      await b.cleanup()
      await liar.close()
    }
  })

  it('two requests for one hash with different copy paths share the download and both copies are written', async () => {
    const b = await startNode({ chunkSize: CHUNK, peers: [{ host: '127.0.0.1', port: Number(new URL(honest.url).port) }] })
    await using out = await tempDir()
    try {
      await b.gossip.round()
      const [x, y] = await Promise.all([b.getContent(hash, { copyTo: join(out.path, 'x.mp3') }), b.getContent(hash, { copyTo: join(out.path, 'y.mp3') })])
      // Whichever reaches the fetcher first downloads (each checks its path first, in the thread pool, in any order).
      assert.deepEqual([x.copied, y.copied].sort(), [true, undefined], 'the joiner is not told its copy was written during the download')
      assert.ok((await readFile(join(out.path, 'x.mp3'))).equals(bytes))
      assert.ok((await readFile(join(out.path, 'y.mp3'))).equals(bytes))
      assert.deepEqual((await readdir(out.path)).sort(), ['x.mp3', 'y.mp3'])
    } finally {
      await b.cleanup()
    }
  })

  it('a write to its own disk that fails ends the download as this node\'s error: nothing stored, no peer blamed, no resume', async () => {
    const b = await startNode({ chunkSize: CHUNK, peers: [{ host: '127.0.0.1', port: Number(new URL(honest.url).port) }] })
    try {
      await b.gossip.round()
      // The disk is full at the first write (as ENOSPC would): the hash worker has verified those bytes in memory,
      // but they never reached the file, so the download must not count them, resume past them, or commit a hole.
      const beginWrite = b.store.beginWrite.bind(b.store)
      let failNext = true
      b.store.beginWrite = async (opts) => {
        const tmp = await beginWrite(opts)
        const writevAt = tmp.writevAt.bind(tmp)
        let n = 0
        tmp.writevAt = async (bufs, at, o) => {
          if (failNext && ++n === 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
          return writevAt(bufs, at, o)
        }
        return tmp
      }
      const before = { ...(b.peers.get(honest.peerId) as { score: number; failures: number }) }
      await assert.rejects(b.getContent(hash), (err: Error) => err.name === 'LocalStorageError' && /could not write the download to its disk/.test(err.message))
      assert.equal(await b.store.has(hash), false)
      assert.deepEqual(await readdir(b.store.tmpDir), [])
      const after = b.peers.get(honest.peerId) as { score: number; failures: number }
      assert.equal(after.score, before.score, 'the peer is not penalized for this node\'s disk')
      assert.equal(after.failures, before.failures, 'nor counted as failing')
      // Space again: the same fetch succeeds and stores the right bytes.
      failNext = false
      await b.getContent(hash)
      assert.ok((await readFile(b.store.pathOf(hash))).equals(bytes))
    } finally {
      await b.cleanup()
    }
  })

  for (const mode of ['truncate', 'corrupt'] as const) {
  it(`falls back to an honest peer mid-stream when the first one ${mode === 'truncate' ? 'truncates' : 'corrupts chunk 3'}, resuming at the last verified chunk`, async () => {
    // The liar forwards the honest node's signed record, so B knows the honest peer second-hand.
    const res = await fetch(`${honest.url}/discover`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ peer: await signAnnouncement(privateKeyToAccount(generatePrivateKey()), { host: '127.0.0.1', port: 1 }) }),
    })
    const honestRecord = ((await res.json()) as DiscoverResponse & { peer: { available_tracks: string[] } }).peer
    const liar = await startLiar({ bytes, manifest, mode, badChunk: 3, forward: [honestRecord] })
    const b = await startNode({ chunkSize: CHUNK, raceWidth: 1, peers: [{ host: '127.0.0.1', port: liar.port }] })
    await using out = await tempDir()
    try {
      await b.gossip.round()
      await b.gossip.exchange({ host: '127.0.0.1', port: liar.port }, liar.peerId)
      // The liar is ACTIVE, the honest peer only learned (UNKNOWN): the liar is tried first.
      assert.deepEqual(b.peers.candidatesFor(hash).map((e) => e.record.peer_id), [liar.peerId, honest.peerId])
      // The copy asked for is written alongside: the liar's bad bytes are overwritten when the download resumes.
      const r = await b.getContent(hash, { copyTo: join(out.path, 'song.mp3') })
      assert.equal(r.from, honest.peerId)
      assert.equal(r.copied, true)
      assert.ok((await readFile(join(out.path, 'song.mp3'))).equals(bytes))
      assert.deepEqual(liar.contentRequests, ['full'])
      const got = Buffer.from(await (await fetch(`${b.url}/content/${hash}`)).arrayBuffer())
      assert.ok(got.equals(bytes))
      assert.ok((b.peers.get(liar.peerId)?.score ?? 0) < 0, 'liar penalized')
      // The honest peer was asked only for what was still missing (from chunk 3 on).
      const uploads = honest.audit.query({}).filter((x) => x.action === 'UPLOAD')
      assert.equal(uploads.at(-1)?.details.range, `${3 * CHUNK}-${bytes.length - 1}`)
    } finally {
      await b.cleanup()
      await liar.close()
    }
  })
  }
})
