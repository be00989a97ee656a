import { headers } from 'next/headers'
import type { ReactNode } from 'react'
import { cookieToInitialState } from 'wagmi'

import { WalletProvider } from '@/components/wallet-provider.tsx'
import { readAppConfig } from '@/lib/config.ts'
import { getConfig } from '@/lib/wagmi.ts'

/** Pages that read or write with a wallet: wagmi, with the connection restored from the cookie on the server. */
export default async function WalletLayout({ children }: { children: ReactNode }) {
  const initialState = cookieToInitialState(getConfig(readAppConfig()), (await headers()).get('cookie'))
  return <WalletProvider initialState={initialState}>{children}</WalletProvider>
}
