import type { Abi, Address, PublicClient } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { Logger } from '../core/logger.ts'
import type { Db } from '../storage/db.ts'
import { connectChain, redact } from './connect.ts'
import { contractAbis, protocolAbi, resolveContracts } from './contracts.ts'
import type { ProtocolContracts } from './contracts.ts'
import { ChainIndexer } from './indexer.ts'
import { Outbox } from './outbox.ts'

export interface ChainServiceComponents {
  db: Db
  account: PrivateKeyAccount
  logger: Logger
}

export interface ChainServiceInit {
  rpcUrls: string[]
  /** Expected chain id; the RPC's is used (and checked against deployments) when omitted. */
  chainId?: number
  /** Blocks before a transaction counts as done. */
  confirmations: number
  pollMs: number
  /** Contract addresses overriding `@dcmx/deployments` for this chain (a private deployment). */
  contracts?: Partial<ProtocolContracts>
  /** First block to index (default: the deployment block recorded in `@dcmx/deployments`, else 0). */
  fromBlock?: bigint
}

/**
 * The node on chain: one RPC connection (checked), the protocol's addresses for that chain, the transaction outbox
 * and the event indexer. The node's key is its wallet: every transaction is signed by it.
 */
export class ChainService {
  readonly #c: ChainServiceComponents
  readonly #init: ChainServiceInit
  readonly #log: Logger
  #publicClient: PublicClient | undefined
  #chainId = 0
  #contracts: ProtocolContracts | undefined
  #outbox: Outbox | undefined
  #indexer: ChainIndexer | undefined

  constructor(components: ChainServiceComponents, init: ChainServiceInit) {
    this.#c = components
    this.#init = init
    this.#log = components.logger.child({ component: 'chain' })
  }

  get publicClient(): PublicClient {
    return this.#required(this.#publicClient)
  }
  get chainId(): number {
    return this.#chainId
  }
  get contracts(): ProtocolContracts {
    return this.#required(this.#contracts)
  }
  get outbox(): Outbox {
    return this.#required(this.#outbox)
  }
  get indexer(): ChainIndexer {
    return this.#required(this.#indexer)
  }
  get abi(): Abi {
    return protocolAbi
  }
  get address(): Address {
    return this.#c.account.address
  }

  async start(): Promise<void> {
    const { publicClient, chainId } = await connectChain({ rpcUrls: this.#init.rpcUrls, chainId: this.#init.chainId })
    this.#publicClient = publicClient
    this.#chainId = chainId
    const { contracts, fromBlock } = resolveContracts(chainId, this.#init.contracts)
    this.#contracts = contracts
    const { db, account, logger } = this.#c
    this.#outbox = new Outbox({ db, publicClient, account, logger, abi: protocolAbi }, { chainId, confirmations: this.#init.confirmations, pollMs: this.#init.pollMs })
    this.#indexer = new ChainIndexer(
      { db, publicClient, logger },
      {
        chainId,
        sources: (Object.keys(contracts) as (keyof typeof contracts)[]).map((name) => ({ address: contracts[name], abi: contractAbis[name] })),
        fromBlock: this.#init.fromBlock ?? fromBlock,
        pollMs: this.#init.pollMs,
      },
    )
    this.#outbox.start()
    this.#indexer.start()
    this.#log.info({ chainId, rpc: this.#init.rpcUrls.map(redact), wallet: account.address }, 'connected to chain')
  }

  async stop(): Promise<void> {
    await this.#outbox?.stop()
    await this.#indexer?.stop()
  }

  /** The node's wallet as `/stats` shows it: balances, stake and how far chain work lags. */
  async wallet(): Promise<{
    address: Address
    chain_id: number
    eth_wei: string
    dcmx_wei: string
    stake_wei: string
    operator: Address | null
    head_block: number
    indexed_block: number
    outbox_open: number
    outbox_oldest_age_ms: number
    chain_error?: string
  }> {
    const c = this.contracts
    const address = this.address
    const [eth, dcmx, node, head] = await Promise.all([
      this.publicClient.getBalance({ address }),
      this.publicClient.readContract({ address: c.DCMXToken, abi: protocolAbi, functionName: 'balanceOf', args: [address] }) as Promise<bigint>,
      this.publicClient.readContract({ address: c.NodeStaking, abi: protocolAbi, functionName: 'nodeOf', args: [address] }) as Promise<{ operator: Address; stake: bigint }>,
      this.publicClient.getBlockNumber(),
    ])
    const depth = this.outbox.depth()
    const cursor = this.indexer.cursor
    const error = depth.lastError ?? cursor.lastError
    return {
      address,
      chain_id: this.chainId,
      eth_wei: String(eth),
      dcmx_wei: String(dcmx),
      stake_wei: String(node.stake),
      operator: /^0x0{40}$/.test(node.operator) ? null : node.operator,
      head_block: Number(head),
      indexed_block: Number(cursor.nextBlock) - 1,
      outbox_open: depth.open,
      outbox_oldest_age_ms: depth.oldestAgeMs,
      ...(error ? { chain_error: error } : {}),
    }
  }

  #required<T>(v: T | undefined): T {
    if (v === undefined) throw new Error('the chain service is not started')
    return v
  }
}
