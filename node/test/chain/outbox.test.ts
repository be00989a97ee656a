import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { encodeFunctionData, parseEther } from 'viem'
import type { Abi, Address, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { Outbox } from '../../src/chain/outbox.ts'
import type { JobSpec } from '../../src/chain/outbox.ts'
import { createLogger } from '../../src/core/logger.ts'
import { openDb } from '../../src/storage/db.ts'
import type { Db } from '../../src/storage/db.ts'
import { tempDir } from '../helpers.ts'
import { startTestChain } from './test-chain.ts'
import type { TestChain } from './test-chain.ts'

const logger = createLogger({ level: process.env.DCMX_TEST_LOG ?? 'silent' })

describe('transaction outbox', () => {
  let chain: TestChain
  let target: { address: Address; abi: Abi }
  let dir: Awaited<ReturnType<typeof tempDir>>

  before(async () => {
    chain = await startTestChain()
    const deployed = await chain.viem.deployContract('MockOutboxTarget')
    target = { address: deployed.address, abi: deployed.abi as Abi }
    dir = await tempDir('dcmx-outbox-')
  })
  after(async () => {
    await chain.close()
    await dir[Symbol.asyncDispose]()
  })

  /** A funded node key with its own database, as a fresh node would have. */
  async function freshOutbox(init: Partial<ConstructorParameters<typeof Outbox>[1]> = {}, reuse?: { db: Db; key: Hex }) {
    const key = reuse?.key ?? generatePrivateKey()
    const account = privateKeyToAccount(key)
    if (!reuse) {
      const [funder] = await chain.viem.getWalletClients()
      await funder.sendTransaction({ to: account.address, value: parseEther('10') })
    }
    const db = reuse?.db ?? openDb(await (await tempDir('dcmx-outbox-db-')).path)
    const outbox = new Outbox(
      { db, publicClient: chain.publicClient, account, logger, abi: target.abi },
      { chainId: await chain.publicClient.getChainId(), confirmations: 2, pollMs: 3_600_000, backoffBaseMs: 1, backoffMaxMs: 5, ...init },
    )
    return { outbox, db, key, account }
  }

  const call = (functionName: string, args: unknown[]) =>
    encodeFunctionData({ abi: target.abi, functionName, args } as Parameters<typeof encodeFunctionData>[0])

  const onceJob = (id: number, extra: Partial<JobSpec> = {}): JobSpec => ({
    key: `once:${id}`,
    to: target.address,
    data: call('doOnce', [BigInt(id)]),
    doneErrors: ['MockAlreadyDone'],
    ...extra,
  })

  async function settle(outbox: Outbox, key: string, maxPasses = 20) {
    for (let i = 0; i < maxPasses; i++) {
      await outbox.tick()
      const job = outbox.get(key)
      if (job?.status === 'done' || job?.status === 'failed') return job
      await chain.mine()
    }
    return outbox.get(key)
  }

  it('sends a job once, counts it done only after the configured confirmations, and ignores a re-enqueue', async () => {
    const { outbox, account } = await freshOutbox()
    outbox.enqueue(onceJob(1))
    await outbox.tick()
    assert.equal(outbox.get('once:1')?.status, 'sent')
    await outbox.tick()
    let job = outbox.get('once:1')
    assert.equal(job?.status, 'mined', 'automine included it: 1 of 2 confirmations')
    outbox.enqueue(onceJob(1))
    await outbox.tick()
    assert.equal(outbox.get('once:1')?.status, 'mined')
    await chain.mine()
    await outbox.tick()
    job = outbox.get('once:1')
    assert.equal(job?.status, 'done')
    assert.equal(job?.result, 'mined')
    assert.equal(await chain.publicClient.getTransactionCount({ address: account.address }), 1)
    assert.equal(await chain.publicClient.readContract({ address: target.address, abi: target.abi, functionName: 'doneBy', args: [1n] }), account.address)
  })

  it('closes a job as done without sending when simulation says it is already done', async () => {
    const a = await freshOutbox()
    await settle(a.outbox, (a.outbox.enqueue(onceJob(2)), 'once:2'))
    const b = await freshOutbox()
    b.outbox.enqueue(onceJob(2))
    const job = await settle(b.outbox, 'once:2')
    assert.equal(job?.status, 'done')
    assert.match(job?.result ?? '', /already done: MockAlreadyDone/)
    assert.equal(await chain.publicClient.getTransactionCount({ address: b.account.address }), 0)
  })

  it('fails a job with the decoded custom error and does not burn a nonce', async () => {
    const { outbox, account } = await freshOutbox()
    outbox.enqueue({ key: 'refused', to: target.address, data: call('refuse', [7n]) })
    const job = await settle(outbox, 'refused')
    assert.equal(job?.status, 'failed')
    assert.equal(job?.result, 'MockRefused(7)')
    outbox.enqueue(onceJob(3))
    assert.equal((await settle(outbox, 'once:3'))?.nonce, 0)
    assert.equal(await chain.publicClient.getTransactionCount({ address: account.address }), 1)
  })

  it('waits on a "not yet" error with backoff, then sends', async () => {
    const { outbox } = await freshOutbox()
    const block = await chain.publicClient.getBlock()
    const notBefore = block.timestamp + 100n
    outbox.enqueue({ key: 'later', to: target.address, data: call('doAfter', [4n, notBefore]), retryErrors: ['MockTooEarly'] })
    await outbox.tick()
    let job = outbox.get('later')
    assert.equal(job?.status, 'queued')
    assert.match(job?.result ?? '', /waiting: MockTooEarly/)
    assert.ok((job?.tries ?? 0) >= 1)
    await chain.provider.request({ method: 'evm_increaseTime', params: [200] })
    await chain.mine()
    await new Promise((r) => setTimeout(r, 15)) // past the (tiny) backoff
    job = await settle(outbox, 'later')
    assert.equal(job?.status, 'done')
  })

  it('runs a dependent job only after the one it follows is done', async () => {
    const { outbox } = await freshOutbox()
    outbox.enqueue(onceJob(6, { key: 'second', after: 'first' }))
    outbox.enqueue(onceJob(5, { key: 'first' }))
    await outbox.tick()
    assert.equal(outbox.get('second')?.status, 'queued')
    assert.equal(outbox.get('first')?.status, 'sent')
    await settle(outbox, 'second')
    const first = outbox.get('first')
    const second = outbox.get('second')
    assert.equal(first?.status, 'done')
    assert.equal(second?.status, 'done')
    assert.ok((second?.nonce ?? 0) > (first?.nonce ?? 0))
  })

  it('keeps work queued while the RPC is down and completes it afterwards', async () => {
    const { outbox, account } = await freshOutbox()
    chain.down = true
    try {
      outbox.enqueue(onceJob(8))
      await outbox.tick()
      await outbox.tick()
      assert.equal(outbox.get('once:8')?.status, 'queued')
      assert.ok(outbox.depth().lastError, 'the outage is reported')
    } finally {
      chain.down = false
    }
    await new Promise((r) => setTimeout(r, 15))
    const job = await settle(outbox, 'once:8')
    assert.equal(job?.status, 'done')
    assert.equal(await chain.publicClient.getTransactionCount({ address: account.address }), 1)
  })

  it('after a crash between signing and broadcasting, the stored transaction lands exactly once', async () => {
    const first = await freshOutbox()
    chain.refuse.add('eth_sendRawTransaction')
    try {
      first.outbox.enqueue(onceJob(9))
      await first.outbox.tick()
    } finally {
      chain.refuse.delete('eth_sendRawTransaction')
    }
    const signed = first.outbox.get('once:9')
    assert.equal(signed?.status, 'signed')
    assert.equal(signed?.attempts.length, 1)
    await first.outbox.stop() // the process dies here; only the database survives

    const restarted = await freshOutbox({}, { db: first.db, key: first.key })
    restarted.outbox.enqueue(onceJob(9)) // the node re-enqueues its work on start: a no-op
    const job = await settle(restarted.outbox, 'once:9')
    assert.equal(job?.status, 'done')
    assert.equal(job?.txHash, signed?.attempts[0]?.hash, 'the stored bytes, not a new transaction')
    assert.equal(await chain.publicClient.getTransactionCount({ address: first.account.address }), 1)
  })

  it('reprices a stuck transaction (both fees up >= 12.5%, same nonce, every attempt kept) and one of them lands', async () => {
    const { outbox, account } = await freshOutbox({ stuckMs: 0 })
    await chain.provider.request({ method: 'evm_setAutomine', params: [false] })
    try {
      outbox.enqueue(onceJob(10))
      await outbox.tick()
      await outbox.tick()
      const job = outbox.get('once:10')
      assert.equal(job?.status, 'sent')
      assert.equal(job?.attempts.length, 2)
      const [a, b] = job?.attempts ?? []
      assert.ok(BigInt(b?.maxFeePerGas ?? 0) * 1000n >= BigInt(a?.maxFeePerGas ?? 0) * 1125n)
      assert.ok(BigInt(b?.maxPriorityFeePerGas ?? 0) * 1000n >= BigInt(a?.maxPriorityFeePerGas ?? 0) * 1125n)
      assert.notEqual(a?.hash, b?.hash)
    } finally {
      await chain.provider.request({ method: 'evm_setAutomine', params: [true] })
    }
    await chain.mine()
    const job = await settle(outbox, 'once:10')
    assert.equal(job?.status, 'done')
    assert.equal(job?.txHash, job?.attempts[1]?.hash, 'the replacement is the one mined')
    assert.equal(await chain.publicClient.getTransactionCount({ address: account.address }), 1)
  })

  it('re-sends a transaction reorged out before its confirmations, and it lands once', async () => {
    const { outbox, account } = await freshOutbox({ confirmations: 3 })
    const snapshot = await chain.provider.request({ method: 'evm_snapshot', params: [] })
    outbox.enqueue(onceJob(11))
    await outbox.tick()
    await outbox.tick()
    const mined = outbox.get('once:11')
    assert.equal(mined?.status, 'mined')
    await chain.provider.request({ method: 'evm_revert', params: [snapshot] })
    // Different blocks at the same heights.
    const [, other] = await chain.viem.getWalletClients()
    await other.sendTransaction({ to: other.account.address, value: 1n })
    await chain.mine()
    await outbox.tick()
    const resent = outbox.get('once:11')
    assert.ok(resent?.status === 'sent' || resent?.status === 'mined')
    const job = await settle(outbox, 'once:11')
    assert.equal(job?.status, 'done')
    assert.notEqual(job?.blockHash, mined?.blockHash)
    assert.equal(await chain.publicClient.getTransactionCount({ address: account.address }), 1)
    assert.equal(await chain.publicClient.readContract({ address: target.address, abi: target.abi, functionName: 'doneBy', args: [11n] }), account.address)
  })

  it('gives consecutive jobs consecutive nonces and reports depth and the oldest open job', async () => {
    const { outbox } = await freshOutbox()
    await chain.provider.request({ method: 'evm_setAutomine', params: [false] })
    try {
      for (const id of [12, 13, 14]) outbox.enqueue(onceJob(id))
      await outbox.tick()
      assert.deepEqual([12, 13, 14].map((id) => outbox.get(`once:${id}`)?.nonce), [0, 1, 2])
      assert.equal(outbox.depth().open, 3)
    } finally {
      await chain.provider.request({ method: 'evm_setAutomine', params: [true] })
    }
    await chain.mine()
    for (const id of [12, 13, 14]) assert.equal((await settle(outbox, `once:${id}`))?.status, 'done')
    assert.equal(outbox.depth().open, 0)
  })
})
