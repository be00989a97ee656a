/**
 * Index catch-up benchmark (issue 8): how fast a node's ChainIndexer reads a chain's history into SQLite.
 * Run: `npm run bench:index -w @dcmx/node` (or `node node/bench/index-catchup.ts`). Prints JSON on stdout.
 *
 * Deploys the protocol on an in-process Hardhat chain served over JSON-RPC on 127.0.0.1 (as a node's RPC is),
 * mines BENCH_BLOCKS (default 10,000) blocks each holding one `commitBatch` of BENCH_EVENTS_PER_BLOCK (default 4)
 * registration commitments (one `RegistrationCommitted` event each), then times a fresh index from the deployment
 * block to the head, and a few catalog queries over the result.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'

import { encodeFunctionData } from 'viem'
import type { Hex } from 'viem'

import { Catalog } from '../src/chain/catalog.ts'
import { contractAbis } from '../src/chain/contracts.ts'
import { ChainIndexer } from '../src/chain/indexer.ts'
import { createLogger } from '../src/core/logger.ts'
import { openDb } from '../src/storage/db.ts'
import { deployProtocol } from '../test/chain/protocol.ts'
import { startTestChain } from '../test/chain/test-chain.ts'
import { saveResults } from './results.ts'

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 10_000)
const PER_BLOCK = Number(process.env.BENCH_EVENTS_PER_BLOCK ?? 4)
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`)
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d

const chain = await startTestChain()
const dir = await mkdtemp(join(tmpdir(), 'dcmx-bench-index-'))
try {
  const protocol = await deployProtocol(chain)
  const from = protocol.wallets[1].account.address
  const to = protocol.contracts.TrackRegistry
  log(`mining ${BLOCKS} blocks with ${PER_BLOCK} events each`)
  const t0 = performance.now()
  for (let i = 0; i < BLOCKS; i++) {
    const commitments = Array.from({ length: PER_BLOCK }, () => `0x${randomBytes(32).toString('hex')}` as Hex)
    const data = encodeFunctionData({ abi: contractAbis.TrackRegistry, functionName: 'commitBatch', args: [commitments] })
    // Automine: one transaction, one block. A fixed gas limit skips estimation.
    await chain.provider.request({ method: 'eth_sendTransaction', params: [{ from, to, data, gas: '0x100000' }] })
    if ((i + 1) % 2000 === 0) log(`  ${i + 1} blocks`)
  }
  const generateS = (performance.now() - t0) / 1000
  const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 })

  const db = openDb(dir)
  const c = protocol.contracts
  const ix = new ChainIndexer(
    { db, publicClient: chain.publicClient, logger: createLogger({ level: 'silent' }) },
    { chainId: 31337, sources: (Object.keys(c) as (keyof typeof c)[]).map((n) => ({ address: c[n], abi: contractAbis[n] })), fromBlock: protocol.fromBlock },
  )
  let ranges = 0
  ix.on('indexed', () => void ranges++)
  const t1 = performance.now()
  await ix.sync()
  const indexS = (performance.now() - t1) / 1000
  if (ix.cursor.lastError) throw new Error(ix.cursor.lastError)
  const blocks = Number(head - protocol.fromBlock)
  const events = (db.prepare('SELECT count(*) AS n FROM chain_events').get() as { n: number }).n

  const catalog = new Catalog({ db }, { chainId: 31337, contracts: c })
  const t2 = performance.now()
  const QUERIES = 200
  for (let i = 0; i < QUERIES; i++) {
    catalog.tracks({ limit: 50, q: 'x' })
    catalog.listings({ limit: 50, active: true })
    catalog.owner(from)
  }
  const queryMs = (performance.now() - t2) / (QUERIES * 3)
  db.close()

  await saveResults('index-catchup', {
        bench: 'index-catchup',
        date: new Date().toISOString(),
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        node: process.version,
        blocks,
        events,
        getlogs_ranges: ranges,
        generate_s: round(generateS, 2),
        index_s: round(indexS, 2),
        blocks_per_s: round(blocks / indexS),
        events_per_s: round(events / indexS),
        catalog_query_ms: round(queryMs, 3),
      })
} finally {
  await chain.close()
  await rm(dir, { recursive: true, force: true })
}
