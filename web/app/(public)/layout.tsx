import type { ReactNode } from 'react'

import { LazyWalletArea } from '@/components/lazy-wallet-area.tsx'
import { Nav } from '@/components/nav.tsx'

/** Listening pages: no wallet needed, so wagmi loads after the page (the nav's button), not in first-load JS. */
export default function PublicLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <Nav wallet={<LazyWalletArea />} />
      <main id="main">{children}</main>
    </>
  )
}
