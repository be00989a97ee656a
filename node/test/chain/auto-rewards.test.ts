import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, upload } from '../helpers.ts'
import { chainConfig, protocolChain, stakeByOperator, until } from './protocol.ts'

type Node = DcmxNode & { cleanup: () => Promise<void> }
type Rewards = NonNullable<DcmxNode['rewards']>

const MiB = 1 << 20
const WARN_BEFORE_SEC = 6 * 3600

/**
 * Automatic rewards (the default, `--no-auto-rewards` turns it off): after each epoch the node submits the receipts
 * it holds and claims once the epoch settles, with no one at the keyboard; and it warns (log and metric) when an
 * ended epoch's receipts are still not on chain as the submission window nears its close.
 */
describe('automatic rewards', { timeout: 180_000 }, () => {
  const ctx = protocolChain()
  let a: Node
  let b: Node
  const hashes: string[] = []
  const rewards = (n: DcmxNode): Rewards => n.rewards as Rewards

  async function advance(seconds: number): Promise<void> {
    await ctx.chain.provider.request({ method: 'evm_increaseTime', params: [Math.ceil(seconds)] })
    await ctx.chain.mine()
    await Promise.all([a, b].map((n) => rewards(n).receipts.refresh()))
  }
  const params = async () =>
    (await ctx.protocol.deployed.rewards.read.parametersOf([rewards(a).receipts.epoch])) as { epochLength: number; settlementDelay: number }

  /** B fetches a track it lacks from A, signing receipts A holds for the current epoch. */
  async function serveOnce(hash: string): Promise<number> {
    const epoch = rewards(a).receipts.epoch as number
    const got = await b.getContent(hash)
    assert.equal(got.from?.toLowerCase(), a.peerId.toLowerCase())
    await rewards(b).receipts.flush()
    assert.equal(rewards(a).receipts.held(epoch).length, 1, 'A holds a receipt from B')
    return epoch
  }

  before(async () => {
    const chain = chainConfig(ctx.chain, ctx.protocol)
    a = (await startNode({ chain, rewards: { auto: true, stakeCacheMs: 0, receiptWaitMs: 1500, warnBeforeSec: WARN_BEFORE_SEC } })) as Node
    b = (await startNode({ chain, rewards: { auto: false, stakeCacheMs: 0, receiptWaitMs: 1500 }, peers: [{ host: '127.0.0.1', port: Number(new URL(a.url).port) }] })) as Node
    await stakeByOperator(ctx.protocol, a, 1)
    await stakeByOperator(ctx.protocol, b, 2)
    for (const seed of [9, 10]) {
      const res = await upload(a, randomBytesOf(2 * MiB, seed))
      assert.equal(res.status, 201)
      hashes.push(((await res.json()) as { track: { content_hash: string } }).track.content_hash)
    }
    await b.gossip.round()
    await advance(0)
  })
  after(async () => {
    await b?.cleanup()
    await a?.cleanup()
  })

  it('submits an ended epoch and claims it once settled, with nothing done by hand', async () => {
    const epoch = await serveOnce(hashes[0] as string)
    const p = await params()
    const token = ctx.protocol.deployed.token
    const operator = (ctx.protocol.wallets[1] as (typeof ctx.protocol.wallets)[number]).account.address
    const before = (await token.read.balanceOf([operator])) as bigint
    // Past the end and the grace for late receipts: the node submits by itself.
    await advance(p.epochLength + 601)
    await until('the automatic submission to land', () => a.chain?.outbox.get(`receipts:${epoch}:0`)?.status === 'done', { step: () => ctx.chain.mine() })
    assert.equal(a.chain?.outbox.get(`claim:${epoch}`), undefined, 'no claim before the epoch settles')
    await advance(p.settlementDelay)
    await until('the automatic claim to land', () => a.chain?.outbox.get(`claim:${epoch}`)?.status === 'done', { step: () => ctx.chain.mine() })
    assert.ok(((await token.read.balanceOf([operator])) as bigint) > before, "the claim paid DCMX to A's operator")
    assert.equal(rewards(a).windowWarnings, 0, 'no warning when everything landed in time')
  })

  it("warns (log and metric) when an ended epoch's receipts are still not on chain as the window nears its close", async () => {
    const epoch = await serveOnce(hashes[1] as string)
    const p = await params()
    ctx.chain.refuse.add('eth_sendRawTransaction') // nothing A signs can reach the chain
    try {
      await advance(p.epochLength + 601)
      await until('the automatic submission to be queued', () => a.chain?.outbox.get(`receipts:${epoch}:0`))
      await new Promise((r) => setTimeout(r, 1500))
      assert.notEqual(a.chain?.outbox.get(`receipts:${epoch}:0`)?.status, 'done')
      assert.equal(rewards(a).windowWarnings, 0, 'no warning while the window is far from closing')
      // Into the last WARN_BEFORE_SEC of the window, the batch still stuck: the operator is told.
      await advance(p.settlementDelay - 601 - WARN_BEFORE_SEC + 60)
      await until('the warning', () => rewards(a).windowWarnings === 1)
      const metrics = await (await fetch(`${a.url}/metrics`)).text()
      assert.match(metrics, /^rewards_window_warnings_total 1$/m)
    } finally {
      ctx.chain.refuse.delete('eth_sendRawTransaction')
    }
    // Once the chain takes transactions again, the stored batch lands (once).
    await until('the stuck submission to land', () => a.chain?.outbox.get(`receipts:${epoch}:0`)?.status === 'done', { step: () => ctx.chain.mine(), ms: 60_000 })
    assert.equal(rewards(a).windowWarnings, 1, 'warned once per epoch')
  })
})
