'use client'

import { addresses, type ContractName } from '@dcmx/deployments'

import { useAppConfig } from '@/app/providers.tsx'

/** The protocol's addresses on the app's chain (from @dcmx/deployments, by chain id); null when not deployed there. */
export function useDeployment(): Record<ContractName, `0x${string}`> | null {
  const { chainId } = useAppConfig()
  return ((addresses as Record<string, Record<ContractName, `0x${string}`>>)[String(chainId)] ?? null)
}
