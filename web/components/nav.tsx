'use client'

import dynamic from 'next/dynamic'
import Link from 'next/link'
import { usePathname } from 'next/navigation'

const WalletArea = dynamic(() => import('./wallet-area.tsx'), { ssr: false, loading: () => <span className="muted">Wallet…</span> })

const LINKS = [
  ['/', 'Listen'],
  ['/market', 'Market'],
  ['/collection', 'My collection'],
  ['/studio', 'Studio'],
  ['/operate', 'Operate'],
  ['/govern', 'Govern'],
] as const

export function Nav() {
  const path = usePathname()
  return (
    <header className="nav">
      <Link href="/" className="brand">
        DCMX
      </Link>
      <nav aria-label="Main">
        {LINKS.map(([href, label]) => (
          <Link key={href} href={href} aria-current={path === href ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      <WalletArea />
    </header>
  )
}
