import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import { after, describe, it } from 'node:test'

import type { PeerAddress } from '../../src/mesh/protocol-client.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, upload, waitFor } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const portOf = (n: DcmxNode): number => Number(new URL(n.url).port)

/** Lockstep rounds: every node runs one gossip round, until `done()` or `max` rounds. */
async function roundsUntil(nodes: DcmxNode[], done: () => boolean, max: number): Promise<number> {
  for (let r = 1; r <= max; r++) {
    await Promise.all(nodes.map((n) => n.gossip.round()))
    if (done()) return r
  }
  throw new Error(`not converged after ${max} rounds`)
}

/** Every node knows a holder and the metadata of every hash. */
const knowsAll = (nodes: DcmxNode[], hashes: string[]): boolean =>
  nodes.every((n) => {
    const k = n.knownHashes()
    return hashes.every((h) => k.has(h) && n.tracks.get(h) !== undefined)
  })

async function addTrack(n: DcmxNode, seed: number): Promise<string> {
  const bytes = randomBytesOf(2048, seed)
  assert.equal((await upload(n, bytes, { title: `Track ${seed}`, artist: 'A' })).status, 201)
  return createHash('sha256').update(bytes).digest('hex')
}

describe('gossip', () => {
  const nodes: TestNode[] = []
  after(() => Promise.all(nodes.map((n) => n.cleanup())))

  it('20 nodes on a line converge: every node knows every track and peer', async () => {
    for (let i = 0; i < 20; i++) {
      const prev = nodes[i - 1]
      nodes.push(await startNode({ fanout: 3, peers: prev ? [{ host: '127.0.0.1', port: portOf(prev) }] : [] }))
    }
    const hashes = await Promise.all(nodes.map((n, i) => addTrack(n, 100 + i)))
    const rounds = await roundsUntil(nodes, () => knowsAll(nodes, hashes) && nodes.every((n) => n.peers.size === 19), 20)
    assert.ok(rounds <= 12, `converged in ${rounds} rounds`)
    console.log(`# 20-node line converged in ${rounds} lockstep rounds`)
    // metadata travelled with the direct exchanges
    const far = nodes[19].tracks.get(hashes[0])
    assert.equal(far?.title, 'Track 100')
  })

  it('announces a new track to live peers at once (no round needed)', async () => {
    const [a, b] = nodes
    const hash = await addTrack(a, 999)
    await waitFor(() => b.knownHashes().has(hash), [b.gossip as unknown as EventEmitter], ['tracks:learned'])
    assert.ok(b.peers.candidatesFor(hash).some((e) => e.record.peer_id === a.peerId))
  })
})

describe('partition and heal', () => {
  it('two halves keep serving and adding while cut off, then converge after healing', async () => {
    const nodes: TestNode[] = []
    let partitioned = false
    const half = new Map<number, number>() // port -> side
    const dialFilter = (side: number) => (addr: PeerAddress) => !partitioned || half.get(addr.port) === side
    try {
      for (let i = 0; i < 8; i++) {
        const side = i < 4 ? 0 : 1
        const prev = nodes[i - 1]
        const n = await startNode({ fanout: 3, peers: prev ? [{ host: '127.0.0.1', port: portOf(prev) }] : [], dialFilter: dialFilter(side) })
        half.set(portOf(n), side)
        nodes.push(n)
      }
      const before = await Promise.all(nodes.map((n, i) => addTrack(n, 200 + i)))
      await roundsUntil(nodes, () => knowsAll(nodes, before), 20)

      partitioned = true
      const left = nodes.slice(0, 4)
      const right = nodes.slice(4)
      const newLeft = await addTrack(left[0], 300)
      const newRight = await addTrack(right[3], 301)
      await roundsUntil(nodes, () => knowsAll(left, [newLeft]) && knowsAll(right, [newRight]), 20)
      assert.ok(!left.some((n) => n.knownHashes().has(newRight)), 'left cannot know the right side’s new track')
      assert.ok(!right.some((n) => n.knownHashes().has(newLeft)))
      // each side still serves and fetches within itself
      const got = await left[3].getContent(newLeft)
      assert.equal(got.from, left[0].peerId)
      // peers across the cut went to RETRY/DISCONNECTED
      const states = new Set(left[0].peers.list().filter((p) => half.get(p.port) === 1).map((p) => p.state))
      assert.ok(!states.has('active'), `states across the cut: ${[...states]}`)

      partitioned = false
      const rounds = await roundsUntil(nodes, () => knowsAll(nodes, [...before, newLeft, newRight]), 30)
      assert.ok(rounds <= 30)
      const fetched = await right[0].getContent(newLeft)
      assert.ok(fetched.from)
    } finally {
      await Promise.all(nodes.map((n) => n.cleanup()))
    }
  })
})
