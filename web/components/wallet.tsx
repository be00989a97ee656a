'use client'

import { useState } from 'react'
import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from 'wagmi'

import { useAppConfig } from '@/app/providers.tsx'
import { describeError } from '@/lib/errors.ts'
import { shortAddress } from '@/lib/format.ts'
import { appChain } from '@/lib/wagmi.ts'

/** Connect with any injected wallet found by EIP-6963 (by name and icon), or the dev wallet on the local chain. */
export function WalletButton() {
  const app = useAppConfig()
  const { address, chainId, status } = useConnection()
  // One entry per wallet, even if a provider was announced twice.
  const connectors = useConnectors().filter((c, i, all) => all.findIndex((x) => x.id === c.id) === i)
  const connect = useConnect()
  const disconnect = useDisconnect()
  const switchChain = useSwitchChain()
  const [open, setOpen] = useState(false)
  const chain = appChain(app)

  if (status === 'connected' && address) {
    return (
      <div className="wallet">
        <span className="mono" title={address} data-testid="connected-address">
          {shortAddress(address)}
        </span>
        {chainId !== app.chainId && (
          <button onClick={() => switchChain.mutate({ chainId: app.chainId })} data-testid="switch-chain">
            Switch to {chain.name}
          </button>
        )}
        <button className="secondary" onClick={() => disconnect.mutate()}>
          Disconnect
        </button>
      </div>
    )
  }
  return (
    <div className="wallet">
      <button onClick={() => setOpen(!open)} aria-expanded={open} aria-controls="wallet-list">
        {status === 'connecting' || status === 'reconnecting' ? 'Connecting…' : 'Connect wallet'}
      </button>
      {open && (
        <ul id="wallet-list" className="panel" style={{ position: 'absolute', right: '1rem', top: '3.2rem', listStyle: 'none', zIndex: 5 }}>
          {connectors.length === 0 && <li className="muted">No wallet found. Install a browser wallet.</li>}
          {connectors.map((c) => (
            <li key={c.uid} style={{ margin: '0.25rem 0' }}>
              <button
                className="secondary"
                onClick={() => connect.mutate({ connector: c, chainId: app.chainId }, { onSuccess: () => setOpen(false) })}
              >
                {c.icon && <img src={c.icon} alt="" />} {c.name}
              </button>
            </li>
          ))}
          {connect.error && <li className="bad">{describeError(connect.error).message}</li>}
        </ul>
      )}
    </div>
  )
}

/** True when writes may be sent: connected, on the app's chain. */
export function useCanWrite(): { ok: boolean; reason: string | null } {
  const app = useAppConfig()
  const { status, chainId } = useConnection()
  if (status !== 'connected') return { ok: false, reason: 'Connect a wallet first.' }
  if (chainId !== app.chainId) return { ok: false, reason: `Switch to ${appChain(app).name} to continue.` }
  return { ok: true, reason: null }
}
