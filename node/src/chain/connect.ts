import { createPublicClient, fallback, http } from 'viem'
import type { PublicClient } from 'viem'

import { DcmxError } from '../core/errors.ts'

/** The node cannot use the configured RPC endpoints (unreachable, or the wrong chain). */
export class ChainConnectionError extends DcmxError {
  override name = 'ChainConnectionError'
}

export interface ConnectInit {
  /** One or more JSON-RPC URLs; later ones take over when earlier ones fail (viem's `fallback`). */
  rpcUrls: string[]
  /** The chain the node was configured for; refused if the RPC answers another. */
  chainId?: number
  /** Per-request timeout. */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * A public client over every configured RPC URL (ranked fallback, retries off per transport so a dead endpoint
 * hands over at once), checked against the expected chain id before the node does anything on chain.
 */
export async function connectChain(init: ConnectInit): Promise<{ publicClient: PublicClient; chainId: number }> {
  if (init.rpcUrls.length === 0) throw new ChainConnectionError('No RPC URL configured')
  const transports = init.rpcUrls.map((url) => http(url, { retryCount: 1, timeout: init.timeoutMs ?? 10_000 }))
  const publicClient = createPublicClient({
    transport: transports.length === 1 ? (transports[0] as (typeof transports)[0]) : fallback(transports, { retryCount: 2 }),
    // The outbox and indexer ask for fresh heads themselves; everything else may reuse a block number for 1 s.
    cacheTime: 1000,
    pollingInterval: 1000,
  }) as PublicClient
  let chainId: number
  try {
    chainId = await publicClient.getChainId()
  } catch (err) {
    throw new ChainConnectionError('Cannot reach the chain', { details: `RPC ${init.rpcUrls.map(redact).join(', ')}`, cause: err })
  }
  if (init.chainId !== undefined && chainId !== init.chainId) {
    throw new ChainConnectionError(`The RPC serves chain ${chainId}, not the configured chain ${init.chainId}`)
  }
  return { publicClient, chainId }
}

/** RPC URLs often carry an API key in the path or query: never log them whole. */
export function redact(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname.length > 1 || u.search ? '/…' : ''}`
  } catch {
    return '<invalid url>'
  }
}
