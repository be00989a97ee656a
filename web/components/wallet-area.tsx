'use client'

import { WalletProvider } from './wallet-provider.tsx'
import { WalletButton } from './wallet.tsx'

/** The nav's wallet button with its own provider: loaded after the page (next/dynamic), never in first-load JS. */
export default function WalletArea() {
  return (
    <WalletProvider>
      <WalletButton />
    </WalletProvider>
  )
}
