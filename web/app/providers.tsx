'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { createContext, useContext, useState, type ReactNode } from 'react'

import type { AppConfig } from '@/lib/config.ts'

const AppConfigContext = createContext<AppConfig | null>(null)

export function useAppConfig(): AppConfig {
  const app = useContext(AppConfigContext)
  if (!app) throw new Error('useAppConfig outside <Providers>')
  return app
}

export function Providers({ app, children }: { app: AppConfig; children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 2_000, retry: 1 } } }))
  return (
    <AppConfigContext value={app}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </AppConfigContext>
  )
}
