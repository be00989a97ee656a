import {
  addresses,
  bandwidthRewardsAbi,
  dcmxGovernorAbi,
  dcmxTimelockAbi,
  dcmxTokenAbi,
  deploymentBlocks,
  editionsAbi,
  marketplaceAbi,
  nodeStakingAbi,
  trackRegistryAbi,
} from '@dcmx/deployments'
import type { ContractName } from '@dcmx/deployments'
import type { Abi, Address } from 'viem'

import { ValidationError } from '../core/errors.ts'

export type ProtocolContracts = Record<ContractName, Address>

/** Each protocol contract's ABI, from the generated deployments module (the only bridge from contracts/). */
export const contractAbis = {
  TrackRegistry: trackRegistryAbi,
  Editions: editionsAbi,
  Marketplace: marketplaceAbi,
  DCMXToken: dcmxTokenAbi,
  NodeStaking: nodeStakingAbi,
  BandwidthRewards: bandwidthRewardsAbi,
  DCMXGovernor: dcmxGovernorAbi,
  DCMXTimelock: dcmxTimelockAbi,
} as const satisfies Record<ContractName, Abi>

/** Every ABI together: custom errors decode by name whichever contract raised them. */
export const protocolAbi = Object.values(contractAbis).flat() as Abi

/**
 * The protocol's addresses on `chainId`: `@dcmx/deployments` (what `npm run export` recorded), overridden field by
 * field by `overrides` (a deployment the export does not know). Every contract must resolve.
 */
export function resolveContracts(
  chainId: number,
  overrides: Partial<ProtocolContracts> = {},
): { contracts: ProtocolContracts; fromBlock: bigint } {
  const known = (addresses as Record<number, Partial<ProtocolContracts>>)[chainId] ?? {}
  const merged = { ...known, ...overrides }
  const missing = (Object.keys(contractAbis) as ContractName[]).filter((name) => !merged[name])
  if (missing.length > 0) {
    throw new ValidationError(`No DCMX deployment known on chain ${chainId}`, {
      details: `missing ${missing.join(', ')}: deploy with Ignition and run \`npm run export\`, or pass --contracts`,
    })
  }
  const block = (deploymentBlocks as Record<number, number>)[chainId]
  return { contracts: merged as ProtocolContracts, fromBlock: BigInt(block ?? 0) }
}
