import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { parseEther, verifyTypedData } from 'viem'
import { typedData } from '@dcmx/deployments'

import { stakeResponseSchema, stakeSignatureResponseSchema } from '../../src/api.ts'
import { startNode, TOKEN } from '../helpers.ts'
import { chainConfig, fund, protocolChain } from './protocol.ts'

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }

describe('staking a node and its chain metrics', () => {
  const ctx = protocolChain()

  it('stakes from the node wallet once (approve, then registerNode), even when the request is retried', async () => {
    const node = await startNode({ chain: chainConfig(ctx.chain, ctx.protocol) })
    try {
      await fund(ctx.protocol, node.account.address, { eth: '1', dcmx: '12000' })
      const request = { amount: String(parseEther('10000')), request_id: 'first-stake' }
      const first = stakeResponseSchema.parse(await (await fetch(`${node.url}/stake`, { method: 'POST', headers: auth, body: JSON.stringify(request) })).json())
      assert.deepEqual(first.jobs, ['stake:approve:first-stake', 'stake:register'])
      await fetch(`${node.url}/stake`, { method: 'POST', headers: auth, body: JSON.stringify(request) })
      for (const key of first.jobs) {
        for (let i = 0; i < 50 && node.chain?.outbox.get(key)?.status !== 'done'; i++) {
          await node.chain?.outbox.tick()
          await ctx.chain.mine()
        }
        assert.equal(node.chain?.outbox.get(key)?.status, 'done', key)
      }
      const staked = (await ctx.protocol.deployed.staking.read.nodeOf([node.account.address])) as { operator: string; stake: bigint }
      assert.equal(staked.operator, node.account.address)
      assert.equal(staked.stake, parseEther('10000'))
      assert.equal(await ctx.protocol.deployed.token.read.balanceOf([node.account.address]), parseEther('2000'))

      await node.chain?.indexer.sync()
      const metrics = await (await fetch(`${node.url}/metrics`)).text()
      for (const name of ['receipts_held', 'bytes_proven_total', 'dcmx_claimed', 'dcmx_pending', 'rewards_last_submitted_epoch', 'chain_head_lag_blocks', 'outbox_depth', 'outbox_oldest_job_age_seconds']) {
        assert.match(metrics, new RegExp(`^${name} `, 'm'), name)
      }
      assert.match(metrics, /^outbox_depth 0$/m)
    } finally {
      await node.cleanup()
    }
  })

  it('gives a separate operator wallet the node key\'s registration signature, and refuses bad requests', async () => {
    const node = await startNode({ chain: chainConfig(ctx.chain, ctx.protocol) })
    try {
      const [, , operator] = ctx.protocol.wallets
      const res = await fetch(`${node.url}/stake/signature?operator=${operator.account.address}`, { headers: auth })
      const { signature } = stakeSignatureResponseSchema.parse(await res.json())
      const valid = await verifyTypedData({
        address: node.account.address,
        domain: { ...typedData.nodeRegistration.domain, chainId: 31337, verifyingContract: ctx.protocol.contracts.NodeStaking },
        types: typedData.nodeRegistration.types,
        primaryType: typedData.nodeRegistration.primaryType,
        message: { node: node.account.address, operator: operator.account.address },
        signature: signature as `0x${string}`,
      })
      assert.ok(valid)
      assert.equal((await fetch(`${node.url}/stake`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: '-5' }) })).status, 400)
      assert.equal((await fetch(`${node.url}/stake`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: '5' }) })).status, 401)
      assert.equal((await fetch(`${node.url}/stake/signature?operator=0x12`, { headers: auth })).status, 400)
    } finally {
      await node.cleanup()
    }
  })
})
