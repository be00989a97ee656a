'use client'

import type { TxState } from '@/hooks/use-tx.ts'

export function TxStatus({ state }: { state: TxState }) {
  if (state.status === 'idle') return null
  const text = (() => {
    switch (state.status) {
      case 'simulating':
        return <span>{state.label}: checking…</span>
      case 'signing':
        return <span>{state.label}: awaiting signature in your wallet…</span>
      case 'pending':
        return (
          <span>
            {state.label}: pending <span className="mono">{state.hash}</span>
          </span>
        )
      case 'confirmed':
        return (
          <span className="ok">
            {state.label}: confirmed in block {state.block.toString()}
          </span>
        )
      case 'reverted':
        return <span className="bad">{state.label}: reverted. {state.message}</span>
      case 'failed':
        return <span className={state.cancelled ? 'warn' : 'bad'}>{state.cancelled ? `${state.label}: cancelled.` : `${state.label}: ${state.message}`}</span>
    }
  })()
  return (
    <p className="tx" role="status" aria-live="polite" data-testid="tx-status" data-status={state.status}>
      {text}
    </p>
  )
}
