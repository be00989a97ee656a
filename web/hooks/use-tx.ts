'use client'

import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { Abi, Hash } from 'viem'
import { useConfig } from 'wagmi'
import { simulateContract, waitForTransactionReceipt, writeContract } from 'wagmi/actions'

import { describeError } from '@/lib/errors.ts'

export type TxState =
  | { status: 'idle' }
  | { status: 'simulating'; label: string }
  | { status: 'signing'; label: string }
  | { status: 'pending'; label: string; hash: Hash }
  | { status: 'confirmed'; label: string; hash: Hash; block: bigint }
  | { status: 'reverted'; label: string; hash?: Hash; message: string }
  | { status: 'failed'; label: string; message: string; cancelled: boolean }

type WriteParams = { address: `0x${string}`; abi: Abi; functionName: string; args?: readonly unknown[]; value?: bigint }

/**
 * One write's lifecycle: simulate (a revert reads as the contract's words before anything is signed) -> awaiting
 * signature -> pending with hash -> confirmed or reverted; then every cached query is refreshed.
 */
export function useTx() {
  const config = useConfig()
  const queryClient = useQueryClient()
  const [state, setState] = useState<TxState>({ status: 'idle' })

  async function send(label: string, params: WriteParams): Promise<boolean> {
    let hash: Hash | undefined
    try {
      setState({ status: 'simulating', label })
      const { request } = await simulateContract(config, params as never)
      setState({ status: 'signing', label })
      hash = await writeContract(config, request as never)
      setState({ status: 'pending', label, hash })
      const receipt = await waitForTransactionReceipt(config, { hash })
      if (receipt.status !== 'success') {
        setState({ status: 'reverted', label, hash, message: 'The transaction reverted on chain.' })
        return false
      }
      setState({ status: 'confirmed', label, hash, block: receipt.blockNumber })
      await queryClient.invalidateQueries()
      return true
    } catch (error) {
      const d = describeError(error)
      if (hash) setState({ status: 'reverted', label, hash, message: d.message })
      else setState({ status: 'failed', label, message: d.message, cancelled: d.kind === 'cancelled' })
      return false
    }
  }
  return { state, send, reset: () => setState({ status: 'idle' }) }
}
