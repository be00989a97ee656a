/**
 * Worker thread that recovers the signers of EIP-712 receipts for the server side of the receipt exchange
 * (src/chain/receipts.ts), so the ~3-5 ms of secp256k1 recovery per receipt runs beside the serving, not on the
 * event loop that streams the bytes. Pure: typed data and signature in, address (or the error) out.
 */
import { parentPort } from 'node:worker_threads'

import { recoverTypedDataAddress } from 'viem'
import type { Hex, TypedDataDefinition } from 'viem'

export interface SigRequest {
  id: number
  typed: TypedDataDefinition
  signature: Hex
}
export type SigResponse = { id: number; address: string } | { id: number; error: string } | { ready: true }

const port = parentPort
if (!port) throw new Error('sig-worker must run in a worker thread')
port.on('message', (m: SigRequest) => {
  recoverTypedDataAddress({ ...m.typed, signature: m.signature }).then(
    (address) => port.postMessage({ id: m.id, address } satisfies SigResponse),
    (err: unknown) => port.postMessage({ id: m.id, error: (err as Error).message.split('\n')[0] ?? 'recovery failed' } satisfies SigResponse),
  )
})
port.postMessage({ ready: true } satisfies SigResponse)
