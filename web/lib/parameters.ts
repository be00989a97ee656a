import { editionsAbi, nodeStakingAbi, type ContractName } from '@dcmx/deployments'
import type { Abi } from 'viem'

/** Protocol parameters a proposal can change from a form (no raw calldata): the setter, its unit and a reader. */
export type Parameter = {
  key: string
  label: string
  contract: ContractName
  abi: Abi
  setter: string
  getter: string
  /** Form value (what a person types) -> the setter's argument, and back. */
  toArg: (v: string) => bigint | number
  fromValue: (v: bigint | number) => string
  unit: string
}

const pct = { toArg: (v: string) => Math.round(Number(v) * 100), fromValue: (v: bigint | number) => String(Number(v) / 100), unit: '%' }

export const PARAMETERS: Parameter[] = [
  { key: 'maxRoyalty', label: 'Maximum resale royalty', contract: 'Editions', abi: editionsAbi, setter: 'setMaxRoyaltyBps', getter: 'maxRoyaltyBps', ...pct },
  { key: 'protocolFee', label: 'Protocol fee on primary sales', contract: 'Editions', abi: editionsAbi, setter: 'setProtocolFee', getter: 'protocolFeeBps', ...pct },
  {
    key: 'minStake',
    label: 'Minimum node stake',
    contract: 'NodeStaking',
    abi: nodeStakingAbi,
    setter: 'setMinStake',
    getter: 'minStake',
    toArg: (v) => BigInt(Math.round(Number(v))) * 10n ** 18n,
    fromValue: (v) => (BigInt(v) / 10n ** 18n).toString(),
    unit: 'DCMX',
  },
  {
    key: 'unbonding',
    label: 'Unbonding delay',
    contract: 'NodeStaking',
    abi: nodeStakingAbi,
    setter: 'setUnbondingDelay',
    getter: 'unbondingDelay',
    toArg: (v) => Math.round(Number(v) * 86400),
    fromValue: (v) => String(Number(v) / 86400),
    unit: 'days',
  },
]

export const PROPOSAL_STATES = ['Pending', 'Active', 'Canceled', 'Defeated', 'Succeeded', 'Queued', 'Expired', 'Executed'] as const
