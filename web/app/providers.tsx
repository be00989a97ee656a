'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { createContext, useContext, useState, type ReactNode } from 'react'
import { WagmiProvider, type State } from 'wagmi'

import type { AppConfig } from '@/lib/config.ts'
import { getConfig } from '@/lib/wagmi.ts'

const AppConfigContext = createContext<AppConfig | null>(null)

export function useAppConfig(): AppConfig {
  const app = useContext(AppConfigContext)
  if (!app) throw new Error('useAppConfig outside <Providers>')
  return app
}

export function Providers({ app, initialState, children }: { app: AppConfig; initialState?: State; children: ReactNode }) {
  const [config] = useState(() => getConfig(app))
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 2_000, retry: 1 } } }))
  return (
    <AppConfigContext value={app}>
      <WagmiProvider config={config} initialState={initialState}>
        <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
      </WagmiProvider>
    </AppConfigContext>
  )
}
