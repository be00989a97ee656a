import { headers } from 'next/headers'
import type { ReactNode } from 'react'
import { cookieToInitialState } from 'wagmi'

import { Nav } from '@/components/nav.tsx'
import { WalletProvider } from '@/components/wallet-provider.tsx'
import { WalletButton } from '@/components/wallet.tsx'
import { readAppConfig } from '@/lib/config.ts'
import { getConfig } from '@/lib/wagmi.ts'

/** Pages that read or write with a wallet: one wagmi provider for the page and its nav, the connection restored
 * from the cookie on the server. */
export default async function WalletLayout({ children }: { children: ReactNode }) {
  const initialState = cookieToInitialState(getConfig(readAppConfig()), (await headers()).get('cookie'))
  return (
    <WalletProvider initialState={initialState}>
      <Nav wallet={<WalletButton />} />
      <main id="main">{children}</main>
    </WalletProvider>
  )
}
