import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { typedData } from '@dcmx/deployments'
import { parseSignature, serializeSignature } from 'viem'
import type { Address, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { DcmxNode } from '../../src/node.ts'
import { startNode } from '../helpers.ts'
import { chainConfig, protocolChain, stakeByOperator } from './protocol.ts'

type Node = DcmxNode & { cleanup: () => Promise<void> }
type Rewards = NonNullable<DcmxNode['rewards']>

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/**
 * Uptime as the contract schedules it (256 slots per epoch): peers probe each node once per slot, sign what they saw
 * when the epoch ends and send it to the node, which checks each attestation and submits them; a slot counts on chain
 * when two peers of distinct operators saw it.
 */
describe('uptime attestations between real nodes', { timeout: 120_000 }, () => {
  const ctx = protocolChain()
  let a: Node
  let b: Node
  let c: Node
  let d: Node
  const rewards = (n: DcmxNode): Rewards => n.rewards as Rewards

  async function advance(seconds: number): Promise<void> {
    await ctx.chain.provider.request({ method: 'evm_increaseTime', params: [Math.ceil(seconds)] })
    await ctx.chain.mine()
    await Promise.all([a, b, c, d].map((n) => rewards(n).receipts.refresh()))
  }

  before(async () => {
    const cfg = () => ({ chain: chainConfig(ctx.chain, ctx.protocol), rewards: { auto: false, stakeCacheMs: 0 } })
    a = (await startNode(cfg())) as Node
    const peers = [{ host: '127.0.0.1', port: Number(new URL(a.url).port) }]
    ;[b, c, d] = (await Promise.all([startNode({ ...cfg(), peers }), startNode({ ...cfg(), peers }), startNode({ ...cfg(), peers })])) as Node[] as [Node, Node, Node]
    // The test drives the slot clock: no background probing (stopped before the nodes are staked and meet, else a
    // background tick in the meantime would record a slot the test does not count).
    for (const n of [a, b, c, d]) await rewards(n).uptime.stop()
    // A and D share operator 1; B and C have their own.
    await stakeByOperator(ctx.protocol, a, 1)
    await stakeByOperator(ctx.protocol, b, 2)
    await stakeByOperator(ctx.protocol, c, 3)
    await stakeByOperator(ctx.protocol, d, 1)
    for (const n of [b, c, d]) await n.gossip.round()
    await advance(0)
  })
  after(async () => {
    for (const n of [a, b, c, d]) await n?.cleanup()
  })

  const post = (node: DcmxNode, body: unknown) =>
    fetch(`${node.url}/uptime`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

  /** An attestation as a node signs it (the contract's UptimeAttestation), from any key. */
  async function attest(signer: PrivateKeyAccount, node: Address, epoch: number, slots: bigint) {
    const signature = await signer.signTypedData({
      domain: { ...typedData.uptimeAttestation.domain, chainId: 31337, verifyingContract: ctx.protocol.contracts.BandwidthRewards },
      types: typedData.uptimeAttestation.types,
      primaryType: typedData.uptimeAttestation.primaryType,
      message: { node, epoch, slots },
    })
    return { node, peer: signer.address, epoch, slots: `0x${slots.toString(16)}`, signature }
  }

  it("peers probe a node in each slot, send what they saw when the epoch ends, and the node's submission counts the slots two peers saw", async () => {
    const epoch = rewards(a).receipts.epoch as number
    const t = rewards(a).receipts.epochTimes(epoch) as { start: number; end: number }
    const slot = (t.end - t.start) / 256
    await advance(slot)
    // Three slots: B and C both reach A in the first two, only B probes in the third.
    for (const probers of [[b, c], [b, c], [b]]) {
      for (const n of probers) await rewards(n).uptime.tick()
      // A second tick in the same slot probes nothing more.
      await rewards(b).uptime.tick()
      await advance(slot)
    }
    assert.deepEqual(rewards(a).uptime.received(epoch), [], 'nothing is sent before the epoch ends')

    // The epoch ends: each peer signs what it saw and sends it to A.
    await advance(t.end - rewards(a).receipts.chainNow() + 1)
    await rewards(b).uptime.tick()
    await rewards(c).uptime.tick()
    const got = rewards(a).uptime.received(epoch)
    const popcount = (x: bigint) => x.toString(2).replaceAll('0', '').length
    assert.deepEqual(
      got.map((g) => [g.peer.toLowerCase(), popcount(g.slots)]).sort(),
      [[b.account.address.toLowerCase(), 3], [c.account.address.toLowerCase(), 2]].sort(),
    )

    const { jobs } = (await rewards(a).submit(epoch)) as { jobs: string[] }
    assert.ok(jobs.includes(`uptime:${epoch}`), `an uptime job is queued: ${jobs.join(', ')}`)
    const job = await a.chain?.outbox.wait(`uptime:${epoch}`)
    assert.equal(job?.status, 'done', job?.result ?? undefined)
    assert.equal(Number(await ctx.protocol.deployed.rewards.read.uptimeSlots([a.account.address, epoch])), 2, 'a slot counts when two peers saw it')
  })

  it('refuses forged, misdirected, self-made, same-operator, unstaked, malleable and out-of-epoch attestations, storing none', async () => {
    const length = Number(((await ctx.protocol.deployed.rewards.read.parametersOf([rewards(a).receipts.epoch])) as { epochLength: number }).epochLength)
    await advance(length) // so that an epoch two back exists
    const epoch = rewards(a).receipts.epoch as number
    const before = rewards(a).uptime.received(epoch)
    const A = a.account.address
    const stranger = privateKeyToAccount(generatePrivateKey())
    const forged = { ...(await attest(stranger, A, epoch, 1n)), peer: b.account.address }
    const good = await attest(b.account, A, epoch, 0b111n)
    const sig = parseSignature(good.signature)
    const highS = serializeSignature({ r: sig.r, s: `0x${(SECP256K1_N - BigInt(sig.s)).toString(16).padStart(64, '0')}` as Hex, yParity: sig.yParity === 0 ? 1 : 0 })
    const cases: Array<[string, unknown, number]> = [
      ["signed by someone else in B's name", forged, 403],
      ['by a key no one staked', await attest(stranger, A, epoch, 1n), 403],
      ['for another node', await attest(b.account, c.account.address, epoch, 1n), 403],
      ['by the node itself', await attest(a.account, A, epoch, 1n), 403],
      ['by a node of the same operator', await attest(d.account, A, epoch, 1n), 403],
      ['for an epoch long closed', await attest(b.account, A, epoch - 2, 1n), 403],
      ['for an epoch not begun', await attest(b.account, A, epoch + 1, 1n), 403],
      ['for an epoch far ahead', await attest(b.account, A, epoch + 1000, 1n), 403],
      ['with a high-s (malleated) signature', { ...good, signature: highS }, 400],
    ]
    for (const [what, body, status] of cases) {
      const res = await post(a, body)
      assert.equal(res.status, status, `${what}: ${await res.text()}`)
    }
    assert.equal((await post(a, { ...good, slots: 'lots' })).status, 400, 'malformed slots')
    assert.equal((await post(a, { node: A })).status, 400, 'missing fields')
    assert.deepEqual(rewards(a).uptime.received(epoch), before, 'nothing was stored')
    // The genuine one is taken.
    assert.equal((await post(a, good)).status, 200)
    assert.equal(rewards(a).uptime.received(epoch).length, before.length + 1)
  })
})
