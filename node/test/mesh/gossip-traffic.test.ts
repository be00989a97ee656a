import assert from 'node:assert/strict'
import type { EventEmitter } from 'node:events'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { MAX_GOSSIP_HAVE, MAX_GOSSIP_WANT } from '../../src/api.ts'
import { signAnnouncement, tracksDigest } from '../../src/core/announcement.ts'
import { signTrackMetadata } from '../../src/mesh/track-metadata.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, waitFor } from '../helpers.ts'

/** Issue 10: lists and metadata travel only when they changed; what a peer claims to hold changes only what it is sent. */

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const addrOf = (n: DcmxNode): { host: string; port: number } => ({ host: '127.0.0.1', port: Number(new URL(n.url).port) })
const now = (): number => Math.floor(Date.now() / 1000)
const attacker = privateKeyToAccount(generatePrivateKey())

async function discover(n: DcmxNode, body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${n.url}/discover`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, any> }
}

async function attackerPeer(hashes: string[] = []): Promise<Record<string, unknown>> {
  return { ...(await signAnnouncement(attacker, { host: '127.0.0.1', port: 9 }, now(), hashes)), available_tracks: hashes }
}

async function addTracks(n: DcmxNode, count: number, seed: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < count; i++) out.push((await n.addTrack([randomBytesOf(256, seed + i)], { title: `T${seed + i}`, artist: 'A' })).track.content_hash)
  return out
}

/** Signed local metadata stored without the upload path (no announcement, no re-signed record per track). */
async function storeTracks(n: DcmxNode, count: number, seed: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const content_hash = createHash('sha256').update(`track ${seed + i}`).digest('hex')
    const t = { title: `T${seed + i}`, artist: 'A', album: null, duration: 0, content_hash, size: 1, manifest_root: null, created_at: new Date().toISOString() }
    n.tracks.upsert(await signTrackMetadata(n.announcer.account, t), true)
    out.push(content_hash)
  }
  return out
}

async function gossipBytes(n: DcmxNode): Promise<number> {
  return (await n.metrics.gossipBytes.get()).values.reduce((s, v) => s + v.value, 0)
}

/** A one-route peer that records each POST /discover body and answers with `answer(body)`. */
async function fakePeer(answer: (body: any) => Promise<unknown>): Promise<{ port: number; bodies: any[]; close: () => Promise<void> }> {
  const bodies: any[] = []
  const server = createServer((req, res) => {
    let buf = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (buf += c))
    req.on('end', () => {
      const body = JSON.parse(buf)
      bodies.push(body)
      void answer(body).then((out) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out)))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, bodies, close: () => new Promise((r) => server.close(() => r())) }
}

describe('gossip traffic (issue 10)', () => {
  let a: TestNode
  let b: TestNode
  let c: TestNode
  let aHashes: string[]
  before(async () => {
    a = await startNode()
    b = await startNode()
    c = await startNode()
    aHashes = await storeTracks(a, 300, 1)
    await addTracks(b, 2, 5000)
  })
  after(() => Promise.all([a?.cleanup(), b?.cleanup(), c?.cleanup()]))

  it('a steady-state exchange carries no track list and no metadata, whatever the number of tracks', async () => {
    const before0 = await gossipBytes(a)
    assert.ok(await b.gossip.exchange(addrOf(a)))
    const first = (await gossipBytes(a)) - before0
    assert.equal(b.tracks.get(aHashes[299])?.title, 'T300', 'the first contact brings the metadata')
    assert.ok(await b.gossip.exchange(addrOf(a), a.peerId)) // B now holds A's list, A acknowledges B's
    assert.ok(await b.gossip.exchange(addrOf(a), a.peerId)) // settles the announcement's acknowledgement
    const before1 = await gossipBytes(a)
    assert.ok(await b.gossip.exchange(addrOf(a), a.peerId))
    const steady = (await gossipBytes(a)) - before1
    assert.ok(first > 300 * 64, `first exchange ${first} B carries A's 300 hashes and metadata`)
    assert.ok(steady < 2000, `steady exchange ${steady} B carries records only`)
    const aDigest = (await a.announcer.current(a.tracks.localHashes())).record.tracks_digest
    const res = await discover(a, { peer: (await b.announcer.current(b.tracks.localHashes())).record, known_digest: aDigest })
    assert.equal(res.status, 200)
    assert.equal(res.json.peer.available_tracks, undefined, 'A leaves out the list B says it holds')
    assert.deepEqual(res.json.tracks, [])
    assert.equal(res.json.known_digest, tracksDigest(b.tracks.localHashes()), 'A says which list of B it holds')
  })

  it('a peer whose list changed sends it again, once, and the receiver learns the new hash', async () => {
    const [h] = await addTracks(b, 1, 6000) // announced to A at once (A is live for B)
    await waitFor(() => a.peers.candidatesFor(h).some((e) => e.record.peer_id === b.peerId), [a.gossip as unknown as EventEmitter], ['tracks:learned'])
    assert.equal(a.tracks.get(h)?.title, 'T6000')
    assert.ok(await b.gossip.exchange(addrOf(a), a.peerId)) // settles the announcement's acknowledgement
    const before1 = await gossipBytes(a)
    assert.ok(await b.gossip.exchange(addrOf(a), a.peerId))
    const steady = (await gossipBytes(a)) - before1
    assert.ok(steady < 2000, `after the change is acknowledged, records only again (${steady} B)`)
  })

  it('a callee that lost our list (restart) gets it again in the same exchange, with our metadata', async () => {
    const self = await b.announcer.current(b.tracks.localHashes())
    let acked = true
    const peer = await fakePeer(async (body) => {
      const out = { peer: await attackerPeer(), tracks: [], peers: [], ...(acked || body.peer.available_tracks ? { known_digest: self.record.tracks_digest } : {}) }
      return out
    })
    try {
      assert.ok(await b.gossip.exchange({ host: '127.0.0.1', port: peer.port }))
      assert.ok(peer.bodies[0].peer.available_tracks, 'first contact: the list')
      assert.ok(peer.bodies[0].tracks.length >= 3, 'and our metadata')
      assert.ok(await b.gossip.exchange({ host: '127.0.0.1', port: peer.port }, attacker.address))
      assert.equal(peer.bodies[1].peer.available_tracks, undefined, 'acknowledged: left out')
      acked = false // the peer restarted with an empty table
      assert.ok(await b.gossip.exchange({ host: '127.0.0.1', port: peer.port }, attacker.address))
      assert.equal(peer.bodies.length, 4)
      assert.equal(peer.bodies[2].peer.available_tracks, undefined)
      assert.deepEqual([...peer.bodies[3].peer.available_tracks].sort(), [...self.tracks].sort(), 'resent at once')
      assert.ok(peer.bodies[3].tracks.length >= 3)
    } finally {
      await peer.close()
    }
  })

  it('a known peer is probed before our list is sent: none if it holds it already, at once if not, always to an older node', async () => {
    const self = await b.announcer.current(b.tracks.localHashes())
    for (const mode of ['holds', 'legacy'] as const) {
      const acc = privateKeyToAccount(generatePrivateKey())
      const peer = await fakePeer(async () => ({
        peer: { ...(await signAnnouncement(acc, { host: '127.0.0.1', port: 9 }, now(), [])), available_tracks: [] },
        tracks: [],
        peers: [],
        ...(mode === 'holds' ? { known_digest: self.record.tracks_digest } : {}),
      }))
      try {
        assert.ok(await b.gossip.exchange({ host: '127.0.0.1', port: peer.port }, acc.address))
        assert.ok(await b.gossip.exchange({ host: '127.0.0.1', port: peer.port }, acc.address))
        if (mode === 'holds') {
          assert.ok(peer.bodies.every((x) => x.peer.available_tracks === undefined), 'a peer that holds our list never gets it')
        } else {
          assert.equal(peer.bodies[0].peer.available_tracks, undefined, 'probe')
          assert.ok(peer.bodies[1].peer.available_tracks, 'then the list at once')
          assert.equal(peer.bodies[1].tracks.length, b.tracks.localHashes().length, 'with our metadata')
          assert.equal(peer.bodies.length, 3, 'an older node: the list directly, no more probes')
          assert.ok(peer.bodies[2].peer.available_tracks)
        }
      } finally {
        await peer.close()
      }
    }
  })

  it('a peer claiming it holds every list only deprives itself: others still get lists and metadata', async () => {
    const aDigest = (await a.announcer.current(a.tracks.localHashes())).record.tracks_digest
    const bDigest = tracksDigest(b.tracks.localHashes())
    const liar = await discover(a, { peer: await attackerPeer(), known_digest: aDigest, have: [aDigest.slice(0, 16), bDigest.slice(0, 16)] })
    assert.equal(liar.status, 200)
    assert.equal(liar.json.peer.available_tracks, undefined)
    assert.ok(liar.json.peers.every((p: any) => p.available_tracks.length === 0), 'the claimer gets records only')
    // C, a newcomer, still gets A's whole list and metadata, and B's list forwarded.
    assert.ok(await c.gossip.exchange(addrOf(a)))
    assert.equal(c.peers.get(a.peerId)?.tracks.size, 300)
    assert.equal(c.tracks.get(aHashes[0])?.title, 'T1')
    assert.equal(c.peers.get(b.peerId)?.tracksSigned, true, 'B’s list came forwarded')
  })

  it('a forwarded record newer than the list we hold makes the peer stale; the next round fetches its list directly', async () => {
    const [h] = await addTracks(b, 1, 7000) // C is not live for B: C does not hear of it
    assert.equal(c.peers.candidatesFor(h).length, 0)
    const bNow = await b.announcer.current(b.tracks.localHashes())
    // A forwarder passes on B's new record without its list.
    const peer = await fakePeer(async () => ({ peer: await attackerPeer(), tracks: [], peers: [{ ...bNow.record, available_tracks: [] }] }))
    try {
      assert.ok(await c.gossip.exchange({ host: '127.0.0.1', port: peer.port }))
    } finally {
      await peer.close()
    }
    assert.equal(c.peers.get(b.peerId)?.record.tracks_digest, bNow.record.tracks_digest)
    assert.equal(c.peers.get(b.peerId)?.tracksSigned, false, 'stale: the record is newer than the list held')
    assert.ok(c.peers.stale().some((e) => e.record.peer_id === b.peerId))
    await c.gossip.round()
    assert.ok(c.peers.candidatesFor(h).some((e) => e.record.peer_id === b.peerId), 'the stale peer was asked directly')
    assert.equal(c.peers.get(b.peerId)?.tracksSigned, true)
  })

  it('a replayed old record (direct or forwarded, with or without its list) cannot swap the list back', async () => {
    const oldHashes = b.tracks.localHashes()
    const old = await b.announcer.current(oldHashes)
    const [h] = await addTracks(b, 1, 8000)
    assert.ok(await c.gossip.exchange(addrOf(b), b.peerId))
    assert.ok(c.peers.candidatesFor(h).some((e) => e.record.peer_id === b.peerId))
    const replayDirect = await discover(c, { peer: { ...old.record, available_tracks: old.tracks } })
    assert.ok(replayDirect.status === 200 || replayDirect.status === 401)
    const peer = await fakePeer(async () => ({ peer: await attackerPeer(), tracks: [], peers: [{ ...old.record, available_tracks: old.tracks }] }))
    try {
      assert.ok(await c.gossip.exchange({ host: '127.0.0.1', port: peer.port }))
    } finally {
      await peer.close()
    }
    // A replayed old record with no list, and a `have` naming the old digest, change nothing either.
    await discover(c, { peer: old.record, have: [old.record.tracks_digest.slice(0, 16)] })
    assert.ok(c.peers.candidatesFor(h).some((e) => e.record.peer_id === b.peerId), 'B still holds the new hash')
    assert.equal(c.peers.get(b.peerId)?.tracksSigned, true)
    assert.notEqual(c.peers.get(b.peerId)?.record.tracks_digest, old.record.tracks_digest)
  })

  it('answers 400 to oversized or malformed digest sets and wants', async () => {
    const peer = await attackerPeer()
    const prefix = (i: number): string => i.toString(16).padStart(16, '0')
    const cases: Array<[string, Record<string, unknown>]> = [
      ['too many have', { have: Array.from({ length: MAX_GOSSIP_HAVE + 1 }, (_, i) => prefix(i)) }],
      ['a have entry of the wrong length', { have: ['abc'] }],
      ['a have entry not lowercase hex', { have: ['ZZZZZZZZZZZZZZZZ'] }],
      ['have not an array', { have: 'ab' }],
      ['a malformed known_digest', { known_digest: 'x'.repeat(64) }],
      ['too many want', { want: Array.from({ length: MAX_GOSSIP_WANT + 1 }, (_, i) => i.toString(16).padStart(64, '0')) }],
      ['a malformed want', { want: ['nothex'] }],
    ]
    for (const [what, extra] of cases) {
      const res = await discover(a, { peer, ...extra })
      assert.equal(res.status, 400, what)
    }
    assert.equal((await discover(a, { peer })).status, 200, 'the node still answers')
  })

  it('a want is answered with the signed metadata asked for, within the bound', async () => {
    const aDigest = (await a.announcer.current(a.tracks.localHashes())).record.tracks_digest
    const res = await discover(a, { peer: await attackerPeer(), known_digest: aDigest, want: aHashes.slice(0, 5) })
    assert.equal(res.status, 200)
    const got = new Map(res.json.tracks.map((t: any) => [t.content_hash, t]))
    for (const h of aHashes.slice(0, 5)) assert.equal((got.get(h) as any)?.uploader, a.peerId, 'each wanted hash comes signed by its uploader')
    const unasked = aHashes.slice(5).filter((h) => got.has(h))
    assert.deepEqual(unasked, [], 'none of A’s other metadata: B said it holds A’s list')
  })

  it('a want never reveals a track withheld from the mesh', async () => {
    const [h] = await storeTracks(a, 1, 9000)
    a.tracks.withhold(h)
    try {
      const res = await discover(a, { peer: await attackerPeer(), want: [h] })
      assert.equal(res.status, 200)
      assert.ok(!res.json.tracks.some((t: any) => t.content_hash === h))
    } finally {
      a.tracks.release(h)
    }
  })
})

describe('gossip metadata beyond one message (issue 10)', () => {
  it('metadata that did not fit the first answer arrives through `want` in the next exchanges', async () => {
    const a = await startNode()
    const d = await startNode()
    try {
      const hashes = await storeTracks(a, 2100, 20_000) // more than MAX_GOSSIP_TRACKS (2,000) per message
      assert.ok(await d.gossip.exchange(addrOf(a)))
      assert.equal(d.peers.get(a.peerId)?.tracks.size, 2100)
      const missing = (): number => hashes.filter((h) => !d.tracks.get(h)).length
      assert.ok(missing() >= 100, `${missing()} missing after the first answer`)
      for (let i = 0; i < 3 && missing() > 0; i++) assert.ok(await d.gossip.exchange(addrOf(a), a.peerId))
      assert.equal(missing(), 0, 'every track’s metadata arrived')
      assert.equal(d.tracks.get(hashes[2099])?.uploader, a.peerId)
    } finally {
      await Promise.all([a.cleanup(), d.cleanup()])
    }
  })
})
