import { EventEmitter } from 'node:events'

import { decodeEventLog } from 'viem'
import type { Abi, Address, Hex, Log, PublicClient } from 'viem'

import type { Logger } from '../core/logger.ts'
import type { Db } from '../storage/db.ts'
import { transaction } from '../storage/db.ts'

/**
 * Follows contract events from a start block into SQLite, reorg-safe.
 *
 * Every decoded log is one row of `chain_events`, keyed by (chain, tx hash, log index), so a retried range upserts
 * rather than duplicates; the cursor moves in the same transaction as the rows. The catalog is SQL over these rows,
 * which makes a reorg a plain `DELETE` above the common ancestor: the hashes of recent blocks are kept, checked
 * against the chain before every range, and on a mismatch the index rewinds to the newest block whose hash still
 * matches. `eth_getLogs` ranges halve when the RPC refuses one (too many results, range too large) and grow back
 * after successes.
 */

export interface IndexerComponents {
  db: Db
  publicClient: PublicClient
  logger: Logger
}

export interface IndexerInit {
  chainId: number
  /** Contracts to follow, each with its own ABI: events of the same signature differ between contracts (an ERC-20
   * and an ERC-721 `Transfer` index different fields), so a log decodes with its emitter's ABI. */
  sources: { address: Address; abi: Abi }[]
  /** The deployment block: nothing before it is read. */
  fromBlock: bigint
  /** Largest `eth_getLogs` range; shrinks on refusal down to one block. */
  maxRange?: number
  /** Recent block hashes kept for reorg detection. */
  reorgDepth?: number
  pollMs?: number
}

export interface IndexedEvent {
  blockNumber: bigint
  txHash: Hex
  logIndex: number
  address: Address
  name: string
  args: Record<string, unknown>
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chain_events (
  chain_id INTEGER NOT NULL,
  tx_hash TEXT NOT NULL,
  log_index INTEGER NOT NULL,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  address TEXT NOT NULL,
  name TEXT NOT NULL,
  args TEXT NOT NULL,
  PRIMARY KEY (chain_id, tx_hash, log_index)
);
CREATE INDEX IF NOT EXISTS chain_events_name ON chain_events(chain_id, name, block_number);
CREATE TABLE IF NOT EXISTS chain_blocks (
  chain_id INTEGER NOT NULL,
  number INTEGER NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (chain_id, number)
);
CREATE TABLE IF NOT EXISTS chain_cursor (
  chain_id INTEGER PRIMARY KEY,
  next_block INTEGER NOT NULL,
  head INTEGER NOT NULL DEFAULT 0
);
`

export class ChainIndexer extends EventEmitter<{ indexed: [{ from: bigint; to: bigint; events: number }]; reorg: [{ ancestor: bigint }] }> {
  readonly #db: Db
  readonly #client: PublicClient
  readonly #log: Logger
  readonly #init: Required<IndexerInit>
  readonly #abiOf: Map<string, Abi>
  #range: number
  /** Below the smallest range the RPC refused: RPC limits do not change, so growth stops here. */
  #ceiling: number
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #lastError: string | undefined

  constructor(components: IndexerComponents, init: IndexerInit) {
    super()
    this.#db = components.db
    this.#client = components.publicClient
    this.#log = components.logger.child({ component: 'indexer' })
    this.#init = { maxRange: 2000, reorgDepth: 128, pollMs: 2000, ...init }
    this.#abiOf = new Map(init.sources.map((src) => [src.address.toLowerCase(), src.abi]))
    this.#range = this.#init.maxRange
    this.#ceiling = this.#init.maxRange
    this.#db.exec(SCHEMA)
    this.#db
      .prepare('INSERT OR IGNORE INTO chain_cursor (chain_id, next_block) VALUES (?, ?)')
      .run(init.chainId, Number(init.fromBlock))
  }

  /** The next block to read and the chain head last seen (for the head-lag metric). */
  get cursor(): { nextBlock: bigint; head: bigint; lastError?: string } {
    const r = this.#db.prepare('SELECT next_block, head FROM chain_cursor WHERE chain_id = ?').get(this.#init.chainId) as { next_block: number; head: number }
    return { nextBlock: BigInt(r.next_block), head: BigInt(r.head), lastError: this.#lastError }
  }

  start(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => void this.sync(), this.#init.pollMs)
    this.#timer.unref()
    void this.sync()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running
  }

  /** Catches up to the current head (one run at a time; concurrent callers share it). */
  sync(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#running ??= this.#catchUp(opts.signal)
      .then(() => {
        this.#lastError = undefined
      })
      .catch((err: unknown) => {
        this.#lastError = (err as Error).message.split('\n')[0]
        this.#log.warn({ err: this.#lastError }, 'index sync failed; will retry')
      })
      .finally(() => {
        this.#running = undefined
      })
    return this.#running
  }

  /** Events in block order, optionally by name (the catalog's queries use SQL directly). */
  events(filter: { name?: string } = {}): IndexedEvent[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM chain_events WHERE chain_id = ? AND (?2 IS NULL OR name = ?2) ORDER BY block_number, log_index`,
      )
      .all(this.#init.chainId, filter.name ?? null) as unknown as {
      block_number: number
      tx_hash: Hex
      log_index: number
      address: Address
      name: string
      args: string
    }[]
    return rows.map((r) => ({
      blockNumber: BigInt(r.block_number),
      txHash: r.tx_hash,
      logIndex: r.log_index,
      address: r.address,
      name: r.name,
      args: JSON.parse(r.args) as Record<string, unknown>,
    }))
  }

  async #catchUp(signal?: AbortSignal): Promise<void> {
    const head = await this.#client.getBlockNumber({ cacheTime: 0 })
    this.#db.prepare('UPDATE chain_cursor SET head = ? WHERE chain_id = ?').run(Number(head), this.#init.chainId)
    await this.#checkReorg()
    for (let next = this.cursor.nextBlock; next <= head; next = this.cursor.nextBlock) {
      signal?.throwIfAborted()
      const to = next + BigInt(this.#range) - 1n > head ? head : next + BigInt(this.#range) - 1n
      // The tip's hash commits to every block below it: unchanged before and after the read means the logs
      // belong to one chain; changed means a reorg during the read, so check and read again.
      const tip = await this.#client.getBlock({ blockNumber: to })
      let logs: Log[]
      try {
        logs = await this.#client.getLogs({ address: this.#init.sources.map((src) => src.address), fromBlock: next, toBlock: to })
      } catch (err) {
        if (this.#range === 1) throw err
        this.#ceiling = Math.max(1, this.#range - 1)
        this.#range = Math.max(1, Math.floor(this.#range / 2))
        this.#log.debug({ range: this.#range, err: (err as Error).message.split('\n')[0] }, 'getLogs refused; shrinking the range')
        continue
      }
      if ((await this.#client.getBlock({ blockNumber: to })).hash !== tip.hash) {
        await this.#checkReorg()
        continue
      }
      this.#write(next, to, tip.hash, logs)
      this.#range = Math.min(this.#ceiling, this.#range * 2)
      this.emit('indexed', { from: next, to, events: logs.length })
      await this.#checkReorg()
    }
  }

  #write(from: bigint, to: bigint, tipHash: Hex, logs: Log[]): void {
    const chainId = this.#init.chainId
    const insert = this.#db.prepare(
      `INSERT INTO chain_events (chain_id, tx_hash, log_index, block_number, block_hash, address, name, args)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (chain_id, tx_hash, log_index) DO UPDATE SET block_number = excluded.block_number,
         block_hash = excluded.block_hash, address = excluded.address, name = excluded.name, args = excluded.args`,
    )
    const block = this.#db.prepare('INSERT OR REPLACE INTO chain_blocks (chain_id, number, hash) VALUES (?, ?, ?)')
    transaction(this.#db, () => {
      for (const log of logs) {
        const abi = this.#abiOf.get(log.address.toLowerCase())
        let decoded
        try {
          if (!abi) continue
          decoded = decodeEventLog({ abi, data: log.data, topics: log.topics })
        } catch {
          continue // an event of a followed contract that our ABI does not describe
        }
        insert.run(
          chainId,
          log.transactionHash as Hex,
          log.logIndex as number,
          Number(log.blockNumber),
          log.blockHash as Hex,
          log.address,
          decoded.eventName ?? '',
          JSON.stringify(decoded.args ?? {}, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
        )
        block.run(chainId, Number(log.blockNumber), log.blockHash as Hex)
      }
      block.run(chainId, Number(to), tipHash)
      this.#db.prepare('UPDATE chain_cursor SET next_block = ? WHERE chain_id = ?').run(Number(to + 1n), chainId)
      // Forget hashes below the reorg window.
      this.#db.prepare('DELETE FROM chain_blocks WHERE chain_id = ? AND number < ?').run(chainId, Number(to) - this.#init.reorgDepth)
    })
    this.#log.debug({ from: String(from), to: String(to), events: logs.length }, 'indexed')
  }

  /** Compares the newest kept block hashes with the chain; on a mismatch rewinds to the newest that matches. */
  async #checkReorg(): Promise<void> {
    const chainId = this.#init.chainId
    const kept = this.#db
      .prepare('SELECT number, hash FROM chain_blocks WHERE chain_id = ? ORDER BY number DESC')
      .all(chainId) as { number: number; hash: Hex }[]
    if (kept.length === 0) return
    let ancestor: bigint | undefined
    for (const k of kept) {
      const onChain = await this.#client.getBlock({ blockNumber: BigInt(k.number) }).catch(() => undefined)
      if (onChain?.hash === k.hash) {
        ancestor = BigInt(k.number)
        break
      }
    }
    if (ancestor === BigInt(kept[0]?.number ?? -1)) return
    // No kept block matches: the reorg is deeper than the window; start over from the deployment block.
    const rewindTo = ancestor ?? this.#init.fromBlock - 1n
    transaction(this.#db, () => {
      this.#db.prepare('DELETE FROM chain_events WHERE chain_id = ? AND block_number > ?').run(chainId, Number(rewindTo))
      this.#db.prepare('DELETE FROM chain_blocks WHERE chain_id = ? AND number > ?').run(chainId, Number(rewindTo))
      this.#db.prepare('UPDATE chain_cursor SET next_block = ? WHERE chain_id = ?').run(Number(rewindTo + 1n), chainId)
    })
    this.#log.warn({ ancestor: String(rewindTo) }, 'chain reorganised; index rewound')
    this.emit('reorg', { ancestor: rewindTo })
  }
}
