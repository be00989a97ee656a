import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { parseEther } from 'viem'

import { statsResponseSchema } from '../../src/api.ts'
import { startNode } from '../helpers.ts'
import { chainConfig, fund, protocolChain } from './protocol.ts'

describe('a node on chain', () => {
  const ctx = protocolChain()

  it('shows its wallet in /stats: address, ETH and DCMX balances, stake, indexing progress', async () => {
    const node = await startNode({ chain: chainConfig(ctx.chain, ctx.protocol) })
    try {
      await fund(ctx.protocol, node.account.address, { eth: '2', dcmx: '15' })
      await node.chain?.indexer.sync()
      const res = await fetch(`${node.url}/stats`)
      const stats = statsResponseSchema.parse(await res.json())
      assert.equal(stats.chain?.address, node.account.address)
      assert.equal(stats.chain?.chain_id, 31337)
      assert.equal(stats.chain?.eth_wei, String(parseEther('2')))
      assert.equal(stats.chain?.dcmx_wei, String(parseEther('15')))
      assert.equal(stats.chain?.stake_wei, '0')
      assert.equal(stats.chain?.operator, null)
      assert.ok((stats.chain?.indexed_block ?? 0) > Number(ctx.protocol.fromBlock), 'the deployment was indexed')
      assert.equal(stats.chain?.outbox_open, 0)
      assert.ok(node.chain?.indexer.events({ name: 'NodeRegistered' }).length === 0)
      assert.ok(node.chain?.indexer.events({ name: 'RoleGranted' }).length, 'deployment events are indexed')
    } finally {
      await node.cleanup()
    }
  })

  it('keeps serving and reports the error in /stats while the RPC is down', async () => {
    const node = await startNode({ chain: chainConfig(ctx.chain, ctx.protocol) })
    try {
      ctx.chain.down = true
      const res = await fetch(`${node.url}/stats`)
      assert.equal(res.status, 200)
      const stats = statsResponseSchema.parse(await res.json())
      assert.ok(stats.chain?.chain_error)
      assert.equal((await fetch(`${node.url}/ping`)).status, 200)
    } finally {
      ctx.chain.down = false
      await node.cleanup()
    }
  })

  it('refuses to start against an RPC serving another chain', async () => {
    await assert.rejects(startNode({ chain: { ...chainConfig(ctx.chain, ctx.protocol), chainId: 1 } }), /serves chain 31337, not the configured chain 1/)
  })
})
