import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import type { Abi, Address } from 'viem'

import { ChainIndexer } from '../../src/chain/indexer.ts'
import type { IndexerInit } from '../../src/chain/indexer.ts'
import { createLogger } from '../../src/core/logger.ts'
import { openDb } from '../../src/storage/db.ts'
import type { Db } from '../../src/storage/db.ts'
import { tempDir } from '../helpers.ts'
import { startTestChain } from './test-chain.ts'
import type { TestChain } from './test-chain.ts'

const logger = createLogger({ level: process.env.DCMX_TEST_LOG ?? 'silent' })

describe('chain indexer', () => {
  let chain: TestChain
  let target: { address: Address; abi: Abi; write: { doOnce: (args: [bigint]) => Promise<unknown> } }
  let fromBlock: bigint
  const dirs: Awaited<ReturnType<typeof tempDir>>[] = []

  before(async () => {
    chain = await startTestChain()
    const deployed = await chain.viem.deployContract('MockOutboxTarget')
    target = deployed as unknown as typeof target
    fromBlock = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
  })
  after(async () => {
    await chain.close()
    for (const d of dirs) await d[Symbol.asyncDispose]()
  })

  async function indexer(init: Partial<IndexerInit> = {}, db?: Db) {
    if (!db) {
      const dir = await tempDir('dcmx-index-')
      dirs.push(dir)
      db = openDb(dir.path)
    }
    const ix = new ChainIndexer(
      { db, publicClient: chain.publicClient, logger },
      { chainId: 31337, sources: [{ address: target.address, abi: target.abi }], fromBlock, maxRange: 64, ...init },
    )
    return { ix, db }
  }

  const ids = (ix: ChainIndexer) => ix.events({ name: 'Done' }).map((e) => Number(e.args.id as string))
  const doneIds = async (list: number[]) => {
    for (const id of list) await target.write.doOnce([BigInt(id)])
  }

  it('indexes events from the deployment block and resumes after a restart without duplicates', async () => {
    await doneIds([1, 2, 3])
    const { ix, db } = await indexer()
    await ix.sync()
    assert.deepEqual(ids(ix), [1, 2, 3])
    await ix.stop()
    await doneIds([4])
    const restarted = (await indexer({}, db)).ix
    await restarted.sync()
    await restarted.sync()
    assert.deepEqual(ids(restarted), [1, 2, 3, 4])
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
    assert.equal(restarted.cursor.nextBlock, head + 1n)
  })

  it('halves its getLogs range when the RPC refuses one, down to what the RPC accepts', async () => {
    await chain.mine(40)
    await doneIds([5])
    chain.maxLogRange = 3
    try {
      const { ix } = await indexer()
      await ix.sync()
      assert.deepEqual(ids(ix), [1, 2, 3, 4, 5])
      assert.equal(ix.cursor.lastError, undefined)
    } finally {
      chain.maxLogRange = 0
    }
  })

  it('reports an unreachable RPC and catches up when it is back', async () => {
    const { ix } = await indexer()
    chain.down = true
    try {
      await ix.sync()
      assert.ok(ix.cursor.lastError)
      assert.equal(ix.cursor.nextBlock, fromBlock)
    } finally {
      chain.down = false
    }
    await ix.sync()
    assert.equal(ix.cursor.lastError, undefined)
    assert.deepEqual(ids(ix), [1, 2, 3, 4, 5])
  })

  it('after a reorg (other blocks at the same heights) equals a fresh index of the canonical chain', async () => {
    const { ix } = await indexer()
    await ix.sync()
    const snapshot = await chain.provider.request({ method: 'evm_snapshot', params: [] })
    await doneIds([100, 101])
    await chain.mine(2)
    await doneIds([102])
    await ix.sync()
    assert.deepEqual(ids(ix).slice(-3), [100, 101, 102])
    let reorged = false
    ix.on('reorg', () => {
      reorged = true
    })
    await chain.provider.request({ method: 'evm_revert', params: [snapshot] })
    await chain.mine()
    await doneIds([200, 201, 202, 203])
    await ix.sync()
    assert.ok(reorged)
    const fresh = (await indexer()).ix
    await fresh.sync()
    assert.deepEqual(ids(ix), ids(fresh))
    assert.deepEqual(ids(ix).slice(-4), [200, 201, 202, 203])
    assert.deepEqual(
      ix.events().map((e) => [e.txHash, e.logIndex, e.blockNumber]),
      fresh.events().map((e) => [e.txHash, e.logIndex, e.blockNumber]),
    )
  })
})
