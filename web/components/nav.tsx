'use client'

import Link from 'next/link'
import { usePathname } from 'next/navigation'

import type { ReactNode } from 'react'

const LINKS = [
  ['/', 'Listen'],
  ['/market', 'Market'],
  ['/collection', 'My collection'],
  ['/studio', 'Studio'],
  ['/operate', 'Operate'],
  ['/govern', 'Govern'],
] as const

/** The site's header; `wallet` is the connect button, inside whichever wagmi provider the layout has. */
export function Nav({ wallet }: { wallet: ReactNode }) {
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
      {wallet}
    </header>
  )
}
