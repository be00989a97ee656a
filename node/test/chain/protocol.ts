import { fileURLToPath } from 'node:url'

import type { Address, Hex } from 'viem'

import type { ProtocolContracts } from '../../src/chain/contracts.ts'
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
