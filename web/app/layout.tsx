import type { Metadata, Viewport } from 'next'
import { headers } from 'next/headers'
import type { ReactNode } from 'react'
import { cookieToInitialState } from 'wagmi'

import { Nav } from '@/components/nav.tsx'
import { readAppConfig } from '@/lib/config.ts'
import { getConfig } from '@/lib/wagmi.ts'

import './globals.css'
import { Providers } from './providers.tsx'

export const metadata: Metadata = {
  title: 'DCMX',
  description: 'Music from a mesh of peer nodes: numbered editions, verified streaming, rewards for bandwidth.',
}
export const viewport: Viewport = { width: 'device-width', initialScale: 1 }

export default async function RootLayout({ children }: { children: ReactNode }) {
  const app = readAppConfig()
  const initialState = cookieToInitialState(getConfig(app), (await headers()).get('cookie'))
  return (
    <html lang="en">
      <body>
        <Providers app={app} initialState={initialState}>
          <a className="skip" href="#main">
            Skip to content
          </a>
          <Nav />
          <main id="main">{children}</main>
        </Providers>
      </body>
    </html>
  )
}
