'use client'

import dynamic from 'next/dynamic'

/** The wallet button with its own wagmi provider, loaded after the page. */
export const LazyWalletArea = dynamic(() => import('./wallet-area.tsx'), { ssr: false, loading: () => <span className="muted">Wallet…</span> })
