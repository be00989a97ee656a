import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

import { typedData } from '@dcmx/deployments'
import { getAddress, parseEther } from 'viem'
import type { Hex } from 'viem'

import { catalogTrackResponseSchema, trackSchema } from '../../src/api.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, TOKEN, upload } from '../helpers.ts'
import { chainConfig, fund, protocolChain, until } from './protocol.ts'

const MiB = 1 << 20
const SIZE = 6 * MiB
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
type Node = DcmxNode & { cleanup: () => Promise<void> }

/**
 * The whole story on a real chain with real nodes: deploy, stake three nodes, an artist signs a registration that
 * node A relays, B and C fetch the track from A (verified against the root on chain), A holds receipts from B and C,
 * the epoch ends, A submits (through an RPC outage) and claims, and A's DCMX balance grows by exactly the contract's
 * formula for the bytes served; the catalog shows the track registered to the artist.
 */
describe('the node on chain, end to end', () => {
  const ctx = protocolChain()
  const nodes: Node[] = []
  after(async () => {
    for (const n of nodes) await n.cleanup()
  })

  async function advance(seconds: number): Promise<void> {
    await ctx.chain.provider.request({ method: 'evm_increaseTime', params: [seconds] })
    await ctx.chain.mine()
  }

  /** A node on chain, funded by a demo holder, staking 10,000 DCMX from its own wallet (its own operator). */
  async function stakedNode(holderIndex: number, peers: Node[] = []): Promise<Node> {
    const node = (await startNode({
      chain: chainConfig(ctx.chain, ctx.protocol),
      rewards: { auto: false, stakeCacheMs: 0, receiptWaitMs: 1500 },
      peers: peers.map((p) => ({ host: '127.0.0.1', port: Number(new URL(p.url).port) })),
    })) as Node
    nodes.push(node)
    await fund(ctx.protocol, node.account.address, { eth: '5', dcmx: '10000' }, holderIndex)
    const res = await fetch(`${node.url}/stake`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: String(parseEther('10000')), request_id: 'story' }) })
    assert.equal(res.status, 200)
    await node.chain?.outbox.wait('stake:register')
    return node
  }

  it('registers, serves, proves and pays exactly, and the catalog shows it', async () => {
    const a = await stakedNode(1)
    const b = await stakedNode(2, [a])
    const c = await stakedNode(3, [a])

    // An artist who never sends a transaction signs the registration; A relays it through commit-reveal.
    const bytes = randomBytesOf(SIZE, 42)
    const up = await upload(a, bytes, { title: 'Tidal', artist: 'Mara' })
    assert.equal(up.status, 201)
    const track = trackSchema.parse(((await up.json()) as { track: unknown }).track)
    const artist = ctx.protocol.wallets[6] as (typeof ctx.protocol.wallets)[number]
    const registry = ctx.protocol.deployed.trackRegistry
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600)
    const message = {
      contentHash: `0x${track.content_hash}` as Hex,
      manifestRoot: `0x${track.manifest_root}` as Hex,
      size: BigInt(track.size),
      duration: 180,
      title: 'Tidal',
      artistName: 'Mara',
      album: '',
      metadataURI: '',
      artist: artist.account.address,
      nonce: (await registry.read.nonces([artist.account.address])) as bigint,
      deadline,
    }
    const signature = await artist.signTypedData({
      account: artist.account,
      domain: { ...typedData.register.domain, chainId: 31337, verifyingContract: registry.address },
      types: typedData.register.types,
      primaryType: 'Register',
      message,
    })
    const reg = await fetch(`${a.url}/tracks/${track.content_hash}/registration`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artist: artist.account.address, deadline: String(deadline), signature, duration: 180, title: 'Tidal', artist_name: 'Mara' }),
    })
    assert.equal(reg.status, 202, await reg.clone().text())
    await until('the registration to land', async () => (await a.registration?.get(track.content_hash))?.state === 'registered', { step: () => ctx.chain.mine() })
    assert.equal(getAddress(((await registry.read.getTrack([`0x${track.content_hash}`])) as { artist: string }).artist), getAddress(artist.account.address))

    // B and C fetch from A, verified against the manifest root on chain (the whole-file pass is skipped).
    const rewards = ctx.protocol.deployed.rewards
    const epoch = Number(await rewards.read.currentEpoch())
    // Both learn of the track while only A holds it, then fetch at once (one after the other, C could pick B's copy).
    for (const client of [b, c]) {
      await client.gossip.round()
      assert.equal(await client.registration?.anchoredRoot(track.content_hash), track.manifest_root)
    }
    const got = await Promise.all([b, c].map((client) => client.getContent(track.content_hash)))
    for (const g of got) assert.equal(g.from?.toLowerCase(), a.peerId.toLowerCase())
    for (const client of [b, c]) await client.rewards?.receipts.flush()
    const held = a.rewards?.receipts.held(epoch) ?? []
    assert.deepEqual(held.map((r) => r.client.toLowerCase()).sort(), [b, c].map((n) => n.account.address.toLowerCase()).sort())
    for (const r of held) assert.equal(r.cumulativeBytes, BigInt(SIZE))
    assert.equal(createHash('sha256').update(bytes).digest('hex'), track.content_hash)

    // The epoch ends; A submits while the RPC is down: the work waits in the outbox, then lands exactly once.
    const p = (await rewards.read.parametersOf([epoch])) as { epochLength: number; settlementDelay: number; diversityBonusBps: number; diversityTarget: number; rewardPerUnit: bigint }
    await advance(p.epochLength)
    await a.rewards?.receipts.refresh()
    const { jobs } = (await a.rewards?.submit(epoch)) as { jobs: string[] }
    ctx.chain.down = true
    try {
      await a.chain?.outbox.tick()
      await a.chain?.outbox.tick()
      assert.notEqual(a.chain?.outbox.get(jobs[0] as string)?.status, 'done')
      // Serving never stops: a client still gets the track from A while the chain is unreachable.
      const res = await fetch(`${a.url}/content/${track.content_hash}`, { headers: { range: 'bytes=0-1023' } })
      assert.equal(res.status, 206)
      assert.equal((await res.arrayBuffer()).byteLength, 1024)
    } finally {
      ctx.chain.down = false
    }
    for (const key of jobs) await a.chain?.outbox.wait(key)
    const submitted = await ctx.protocol.deployed.rewards.read.serverEpoch([a.account.address, epoch])
    assert.equal((submitted as { bytesServed: bigint; clients: number }).bytesServed, BigInt(2 * SIZE))
    assert.equal((submitted as { clients: number }).clients, 2)
    // Resubmitting is a no-op: the same job keys.
    assert.deepEqual(((await a.rewards?.submit(epoch)) as { jobs: string[] }).jobs, jobs)

    // After settlement A claims; its wallet (its own operator) gets exactly the formula: 2 clients of 10 for diversity.
    await advance(p.settlementDelay)
    await a.rewards?.receipts.refresh()
    const before = (await ctx.protocol.deployed.token.read.balanceOf([a.account.address])) as bigint
    await a.rewards?.claim(epoch)
    await a.chain?.outbox.wait(`claim:${epoch}`)
    const target = BigInt(p.diversityTarget)
    const expected = (BigInt(2 * SIZE) * p.rewardPerUnit * (10_000n * target + 2n * BigInt(p.diversityBonusBps))) / (10_000n * target * BigInt(100 * MiB))
    assert.equal(((await ctx.protocol.deployed.token.read.balanceOf([a.account.address])) as bigint) - before, expected)

    // Any node's catalog shows the track registered to the artist.
    await c.chain?.indexer.sync()
    const res = await fetch(`${c.url}/catalog/tracks/${track.content_hash}`)
    assert.equal(res.status, 200)
    const entry = catalogTrackResponseSchema.parse(await res.json())
    assert.equal(entry.track.artist, getAddress(artist.account.address))
    assert.equal(entry.track.title, 'Tidal')
    assert.equal(entry.track.manifest_root, track.manifest_root)
  })
})
