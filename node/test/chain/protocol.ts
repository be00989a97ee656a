import { after, before } from 'node:test'
import { fileURLToPath } from 'node:url'

import { typedData } from '@dcmx/deployments'
import { parseEther } from 'viem'
import type { Address, Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { ProtocolContracts } from '../../src/chain/contracts.ts'
import { startTestChain } from './test-chain.ts'
import type { TestChain } from './test-chain.ts'

/** A deployed contract as hardhat-viem returns it (viem's `getContract`). */
export interface DeployedContract {
  address: Address
  // Untyped on purpose: viem types these from artifact types this package does not have; tests call them by name.
  read: Record<string, (...args: any[]) => Promise<any>>
  write: Record<string, (...args: any[]) => Promise<Hex>>
}

/** The local network's Ignition parameters (the content gateway, commit ages, demo allocations). */
const LOCAL_PARAMETERS = fileURLToPath(new URL('../../../ignition/parameters/local.json', import.meta.url))

/**
 * Deploys the whole protocol on the test chain with the same Ignition module and parameters as `npm run chain`.
 * Returns the addresses (for the node's `chain.contracts`), the block before the deployment (`chain.fromBlock`) and
 * the deployed contracts (viem instances, for the test's own transactions). Hardhat accounts 1..5 hold 2M DCMX each.
 */
export async function deployProtocol(chain: TestChain) {
  const { default: DCMXModule } = await import('../../../ignition/modules/DCMX.ts')
  const fromBlock = await chain.publicClient.getBlockNumber({ cacheTime: 0 })
  // Typed loosely: the Ignition module lives in the root Hardhat project, whose artifact types this package lacks.
  const deployed = (await chain.ignition.deploy(DCMXModule, { parameters: LOCAL_PARAMETERS })) as unknown as Record<
    'trackRegistry' | 'editions' | 'marketplace' | 'token' | 'staking' | 'rewards' | 'governor' | 'timelock',
    DeployedContract
  >
  const contracts: ProtocolContracts = {
    TrackRegistry: deployed.trackRegistry.address,
    Editions: deployed.editions.address,
    Marketplace: deployed.marketplace.address,
    DCMXToken: deployed.token.address,
    NodeStaking: deployed.staking.address,
    BandwidthRewards: deployed.rewards.address,
    DCMXGovernor: deployed.governor.address,
    DCMXTimelock: deployed.timelock.address,
  }
  return { contracts, fromBlock, deployed, wallets: await chain.viem.getWalletClients() }
}

/** The `chain` section of a node's config for this test chain. */
export function chainConfig(chain: TestChain, protocol: { contracts: ProtocolContracts; fromBlock: bigint }, extra: { pollMs?: number; confirmations?: number } = {}) {
  return {
    rpcUrls: [chain.url],
    chainId: 31337,
    confirmations: extra.confirmations ?? 1,
    pollMs: extra.pollMs ?? 100,
    contracts: protocol.contracts as Record<string, Address>,
    fromBlock: protocol.fromBlock,
  }
}

export type Protocol = Awaited<ReturnType<typeof deployProtocol>>

/**
 * For a `describe`: a fresh test chain with the protocol deployed before its tests, closed after them. Read
 * `ctx.chain` and `ctx.protocol` inside the tests (they are set by the `before` hook).
 */
export function protocolChain(): { chain: TestChain; protocol: Protocol } {
  const ctx = {} as { chain: TestChain; protocol: Protocol }
  before(async () => {
    ctx.chain = await startTestChain()
    ctx.protocol = await deployProtocol(ctx.chain)
  })
  after(() => ctx.chain.close())
  return ctx
}

/** Gives `to` ETH for gas and DCMX from demo holder `holder` (Hardhat account 1..5). */
export async function fund(protocol: Protocol, to: Address, amounts: { eth: string; dcmx: string }, holder = 1): Promise<void> {
  const wallet = protocol.wallets[holder] as Protocol['wallets'][number]
  await wallet.sendTransaction({ to, value: parseEther(amounts.eth) })
  await protocol.deployed.token.write.transfer([to, parseEther(amounts.dcmx)], { account: wallet.account })
}

/**
 * Stakes `node` (minStake) with demo holder `operator` (Hardhat account 1..5) as its operator: the node signs the
 * registration, the operator approves and calls `registerNode` itself, and gives the node 1 ETH for gas.
 */
export async function stakeByOperator(protocol: Protocol, node: { account: PrivateKeyAccount; url: string }, operator: number): Promise<void> {
  const wallet = protocol.wallets[operator] as Protocol['wallets'][number]
  const staking = protocol.deployed.staking
  const minStake = (await staking.read.minStake()) as bigint
  const nodeSig = await node.account.signTypedData({
    domain: { ...typedData.nodeRegistration.domain, chainId: 31337, verifyingContract: staking.address },
    types: typedData.nodeRegistration.types,
    primaryType: typedData.nodeRegistration.primaryType,
    message: { node: node.account.address, operator: wallet.account.address },
  })
  await protocol.deployed.token.write.approve([staking.address, minStake], { account: wallet.account })
  await staking.write.registerNode([node.account.address, node.url, minStake, nodeSig], { account: wallet.account })
  await wallet.sendTransaction({ to: node.account.address, value: parseEther('1') })
}

/** Polls `probe` until it answers something truthy, which it returns (running `step` between tries, e.g. mining a
 * block); fails after `ms`. */
export async function until<T>(what: string, probe: () => T | Promise<T>, opts: { step?: () => Promise<unknown>; ms?: number } = {}): Promise<NonNullable<T>> {
  const t0 = Date.now()
  for (;;) {
    const v = await probe()
    if (v) return v as NonNullable<T>
    if (Date.now() - t0 > (opts.ms ?? 30_000)) throw new Error(`timed out waiting for ${what}`)
    if (opts.step) await opts.step()
    await new Promise((r) => setTimeout(r, 25))
  }
}
