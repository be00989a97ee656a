import type { Metadata, Viewport } from 'next'
import type { ReactNode } from 'react'

import { readAppConfig } from '@/lib/config.ts'

import './globals.css'
import { Providers } from './providers.tsx'

export const metadata: Metadata = {
  title: 'DCMX',
  description: 'Music from a mesh of peer nodes: numbered editions, verified streaming, rewards for bandwidth.',
}
export const viewport: Viewport = { width: 'device-width', initialScale: 1 }

export default function RootLayout({ children }: { children: ReactNode }) {
  const app = readAppConfig()
  return (
    <html lang="en">
      <body>
        <Providers app={app}>
          <a className="skip" href="#main">
            Skip to content
          </a>
          {children}
        </Providers>
      </body>
    </html>
  )
}
