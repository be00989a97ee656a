'use client'

import type { ReactNode } from 'react'
import { WagmiProvider, type State } from 'wagmi'

import { useAppConfig } from '@/app/providers.tsx'
import { sharedConfig } from '@/lib/wagmi.ts'

/**
 * wagmi for the parts that use a wallet. Kept out of the root layout so the listen and track pages ship without
 * it (first-load JS); every instance shares one config, so they share one connection.
 */
export function WalletProvider({ initialState, children }: { initialState?: State; children: ReactNode }) {
  const app = useAppConfig()
  return (
    <WagmiProvider config={sharedConfig(app)} initialState={initialState}>
      {children}
    </WagmiProvider>
  )
}
