import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { MAX_GOSSIP_HASHES, MAX_GOSSIP_PEERS, discoverResponseSchema } from '../../src/api.ts'
import { signAnnouncement } from '../../src/core/announcement.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, upload } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const portOf = (n: DcmxNode): number => Number(new URL(n.url).port)
const now = (): number => Math.floor(Date.now() / 1000)
const fake = (c: string): string => c.repeat(64)

/** An outsider with a valid key of its own: it can sign its own records and replay anything it has seen. */
const attacker = privateKeyToAccount(generatePrivateKey())

async function discover(n: DcmxNode, body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${n.url}/discover`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, any> }
}

/** The attacker's own valid record (holding `hashes`), as it would send it. */
async function attackerPeer(hashes: string[] = [], port = 9): Promise<Record<string, unknown>> {
  return { ...(await signAnnouncement(attacker, { host: '127.0.0.1', port }, now(), hashes)), available_tracks: hashes }
}

async function addTrack(n: DcmxNode, seed: number, title = `Track ${seed}`): Promise<string> {
  const bytes = randomBytesOf(2048, seed)
  assert.equal((await upload(n, bytes, { title, artist: 'A' })).status, 201)
  return createHash('sha256').update(bytes).digest('hex')
}

/** A one-route HTTP peer answering every POST /discover with `answer()`. */
async function fakePeer(answer: () => Promise<unknown>): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      void answer().then((body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) }
}

describe('gossip attacks', () => {
  let a: TestNode
  let b: TestNode
  let h: string
  /** A's current record and track list as A itself sends them (what anyone who talks to A sees). */
  let aPeer: Record<string, any>
  let aTracks: Array<Record<string, any>>
  before(async () => {
    a = await startNode()
    b = await startNode()
    h = await addTrack(a, 1, 'The real title')
    assert.ok(await b.gossip.exchange({ host: '127.0.0.1', port: portOf(a) }))
    const res = await discover(a, { peer: await attackerPeer() })
    assert.equal(res.status, 200)
    aPeer = res.json.peer
    aTracks = res.json.tracks
  })
  after(() => Promise.all([a?.cleanup(), b?.cleanup()]))

  it('rejects a replayed current record that carries another track list (direct)', async () => {
    assert.deepEqual(aPeer.available_tracks, [h])
    const res = await discover(b, { peer: { ...aPeer, available_tracks: [fake('e')] } })
    assert.equal(res.status, 401)
    assert.match(res.json.message ?? res.json.error ?? '', /signed digest/)
    assert.deepEqual(b.peers.candidatesFor(h).map((e) => e.record.peer_id), [a.peerId], 'A still holds h')
    assert.deepEqual(b.peers.candidatesFor(fake('e')), [], 'A does not hold the injected hash')
  })

  it('ignores a forwarded record whose track list is not the one it signs', async () => {
    const peer = await fakePeer(async () => ({
      peer: await attackerPeer(),
      tracks: [],
      peers: [{ ...aPeer, available_tracks: [h, fake('f')] }],
    }))
    try {
      assert.ok(await b.gossip.exchange({ host: '127.0.0.1', port: peer.port }))
      assert.deepEqual(b.peers.candidatesFor(fake('f')), [], 'the forwarder cannot add to A’s list')
      assert.deepEqual(b.peers.candidatesFor(h).map((e) => e.record.peer_id), [a.peerId])
    } finally {
      await peer.close()
    }
  })

  it('drops track metadata altered in transit or unsigned, and keeps the uploader’s', async () => {
    const c = await startNode()
    try {
      const real = aTracks.find((t) => t.content_hash === h)
      assert.ok(real, 'A sends its track metadata')
      assert.equal(real.uploader, a.peerId, 'signed by the node that stored the bytes')
      const altered: Record<string, any> = { ...real, title: 'Evil title' }
      let res = await discover(c, { peer: await attackerPeer([h]), tracks: [altered] })
      assert.equal(res.status, 200)
      assert.equal(c.tracks.get(h), undefined, 'altered metadata is not stored')
      const { uploader: _u, uploader_signature: _s, ...unsigned } = altered
      res = await discover(c, { peer: await attackerPeer([h]), tracks: [unsigned] })
      assert.equal(c.tracks.get(h), undefined, 'unsigned metadata is not stored')
      assert.ok(await c.gossip.exchange({ host: '127.0.0.1', port: portOf(a) }))
      assert.equal(c.tracks.get(h)?.title, 'The real title')
      assert.equal(c.tracks.get(h)?.uploader, a.peerId)
    } finally {
      await c.cleanup()
    }
  })

  it('forwards at most MAX_GOSSIP_HASHES hashes in one answer: a record whose list does not fit goes without it', async () => {
    const per = 20_000
    const count = Math.ceil(MAX_GOSSIP_HASHES / per) + 1
    for (let i = 0; i < count; i++) {
      const list = Array.from({ length: per }, (_, j) => createHash('sha256').update(`${i}/${j}`).digest('hex'))
      const rec = await signAnnouncement(privateKeyToAccount(generatePrivateKey()), { host: '127.0.0.1', port: 1000 + i }, now(), list)
      b.peers.upsert(rec, list, false)
    }
    const res = await b.gossip.handleDiscover({ peer: (await attackerPeer()) as never })
    const total = res.peers.reduce((n, p) => n + p.available_tracks.length, res.peer.available_tracks?.length ?? 0)
    assert.ok(total <= MAX_GOSSIP_HASHES, `${total} hashes`)
    assert.ok(res.peers.some((p) => p.available_tracks.length === 0 && p.port >= 1000), 'some record went without its list')
    assert.ok(res.peers.length <= MAX_GOSSIP_PEERS)
    assert.ok(discoverResponseSchema.safeParse(res).success, 'the answer passes the receiver’s bounds')
  })

  it('refuses an answer over the bounds (too many hashes or forwarded records)', async () => {
    const peer = await attackerPeer()
    const big = { ...peer, available_tracks: Array.from({ length: MAX_GOSSIP_HASHES + 1 }, (_, i) => i.toString(16).padStart(64, '0')) }
    assert.equal(discoverResponseSchema.safeParse({ peer: big, tracks: [], peers: [] }).success, false)
    const many = Array.from({ length: MAX_GOSSIP_PEERS + 1 }, () => peer)
    assert.equal(discoverResponseSchema.safeParse({ peer, tracks: [], peers: many }).success, false)
  })
})
