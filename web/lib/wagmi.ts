import { defineChain, type Chain } from 'viem'
import { hardhat } from 'viem/chains'
import { cookieStorage, createConfig, createStorage, http, injected } from 'wagmi'

import { LOCAL_CHAIN_ID, type AppConfig } from './config.ts'
import { devWalletProvider } from './dev-wallet.ts'

/** Demo accounts the dev wallet offers on the local chain (Hardhat's accounts; roles as `npm start` prints them). */
export const DEV_WALLET_ACCOUNTS = [
  { index: 4, label: 'Artist' },
  { index: 5, label: 'Collector 1' },
  { index: 6, label: 'Collector 2' },
  { index: 1, label: 'Operator 1' },
  { index: 2, label: 'Operator 2' },
  { index: 3, label: 'Operator 3' },
] as const

export function appChain(app: AppConfig): Chain {
  if (app.chainId === LOCAL_CHAIN_ID) return { ...hardhat, rpcUrls: { default: { http: [app.rpcUrl] } } }
  return defineChain({
    id: app.chainId,
    name: `Chain ${app.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [app.rpcUrl] } },
  })
}

/** The one wagmi config: injected wallets found by EIP-6963, plus the dev wallet on the local chain only. */
export function getConfig(app: AppConfig) {
  const chain = appChain(app)
  const dev =
    app.chainId === LOCAL_CHAIN_ID
      ? DEV_WALLET_ACCOUNTS.map((a) =>
          injected({
            target: {
              id: `dcmx-dev-${a.index}`,
              name: `Dev wallet · ${a.label}`,
              provider: () => devWalletProvider(app.rpcUrl, a.index, app.chainId) as never,
            },
          }),
        )
      : []
  return createConfig({
    chains: [chain] as [Chain],
    connectors: dev,
    multiInjectedProviderDiscovery: true,
    ssr: true,
    storage: createStorage({ storage: cookieStorage }),
    transports: { [chain.id]: http(app.rpcUrl) },
  })
}

const shared = new Map<string, ReturnType<typeof getConfig>>()

/** One config per app config in the browser, so every WalletProvider shares the connection. On the server a fresh
 * one per render: a shared store there would carry one visitor's cookie state into another's page. */
export function sharedConfig(app: AppConfig): ReturnType<typeof getConfig> {
  if (typeof window === 'undefined') return getConfig(app)
  const key = JSON.stringify(app)
  if (!shared.has(key)) shared.set(key, getConfig(app))
  return shared.get(key)!
}

declare module 'wagmi' {
  interface Register {
    config: ReturnType<typeof getConfig>
  }
}
