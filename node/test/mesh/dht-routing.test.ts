import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, describe, it } from 'node:test'

import { ContentUnavailableError } from '../../src/core/errors.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, upload } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }

describe('DHT content routing (hyperdht on loopback)', () => {
  const nodes: TestNode[] = []
  after(() => Promise.all(nodes.map((n) => n.cleanup())))

  it('finds the holder of a track no known peer holds, through a chain of DHT peers, and fetches it verified', async () => {
    // A <- B <- C: C's only DHT contact is B, and no node gossips with any other.
    const a = await startNode({ dht: {} })
    nodes.push(a)
    const b = await startNode({ dht: { bootstrap: a.routing?.address ? [a.routing.address] : [] } })
    nodes.push(b)
    const c = await startNode({ dht: { bootstrap: b.routing?.address ? [b.routing.address] : [] } })
    nodes.push(c)
    assert.equal(a.peers.size + b.peers.size + c.peers.size, 0, 'no gossip peers at all')

    const bytes = randomBytesOf(200_000, 7)
    const hash = createHash('sha256').update(bytes).digest('hex')
    assert.equal((await upload(a, bytes, { title: 'Routed', artist: 'DHT' })).status, 201)
    await a.routing?.provide([hash])

    const holders = await c.routing?.findHolders(hash)
    assert.deepEqual(holders?.map((h) => h.http), [{ host: '127.0.0.1', port: Number(new URL(a.url).port) }])

    const got = await c.getContent(hash)
    assert.equal(got.from, a.peerId, 'fetched from the holder the DHT named')
    assert.equal(c.tracks.get(hash)?.title, 'Routed', 'its signed metadata came with the exchange')
    assert.ok(c.peers.candidatesFor(hash).some((e) => e.record.peer_id === a.peerId), 'A is a candidate by its signed list')
  })

  it('a node that announces a hash it does not hold (its signed list says so) is no candidate', async () => {
    const [a] = nodes
    const liar = await startNode({ dht: { bootstrap: a.routing?.address ? [a.routing.address] : [] } })
    nodes.push(liar)
    const c = await startNode({ dht: { bootstrap: a.routing?.address ? [a.routing.address] : [] } })
    nodes.push(c)
    const hash = 'ab'.repeat(32)
    await liar.routing?.provide([hash])
    assert.equal((await c.routing?.findHolders(hash))?.[0]?.http.port, Number(new URL(liar.url).port), 'the DHT names the liar')
    await assert.rejects(c.getContent(hash), ContentUnavailableError)
    assert.equal(c.peers.get(liar.peerId)?.tracks.has(hash), false, 'contacted, and its signed list does not hold the hash')
  })
})
