/**
 * Messages the streaming service worker posts to every window client, and a guard to recognise them:
 *
 *   navigator.serviceWorker.addEventListener('message', (e) => { if (isStreamMessage(e.data)) ... })
 */
import type { StreamEvent } from './source.ts'

export interface StreamMessage {
  readonly type: 'dcmx-stream'
  /** `served`: a node served a verified chunk; `bad-chunk`: a node's chunk (or manifest, chunk null) failed
   * verification (it lied; it is not asked again); `error`: a node refused or failed, or the track cannot play. */
  readonly kind: 'served' | 'bad-chunk' | 'error'
  readonly hash: string
  readonly node: string | null
  readonly chunk: number | null
  readonly reason: string | null
}

export function toStreamMessage(e: StreamEvent): StreamMessage {
  return {
    type: 'dcmx-stream',
    kind: e.kind,
    hash: e.hash,
    node: e.node,
    chunk: e.chunk,
    reason: e.kind === 'served' ? null : e.reason,
  }
}

export function isStreamMessage(data: unknown): data is StreamMessage {
  if (typeof data !== 'object' || data === null) return false
  const d = data as Record<string, unknown>
  return d.type === 'dcmx-stream' && (d.kind === 'served' || d.kind === 'bad-chunk' || d.kind === 'error') && typeof d.hash === 'string'
}

/**
 * What the page may post to the worker: `warm` resolves a track (chain, holders, manifest) and fetches its first
 * chunk ahead of a press on play, e.g. when the track page opens:
 *
 *   navigator.serviceWorker.controller?.postMessage(warmMessage(hash))
 */
export interface StreamWarmMessage {
  readonly type: 'dcmx-stream-warm'
  readonly hash: string
}

export function warmMessage(hash: string): StreamWarmMessage {
  return { type: 'dcmx-stream-warm', hash }
}

export function isWarmMessage(data: unknown): data is StreamWarmMessage {
  if (typeof data !== 'object' || data === null) return false
  const d = data as Record<string, unknown>
  return d.type === 'dcmx-stream-warm' && typeof d.hash === 'string' && /^[0-9a-f]{64}$/.test(d.hash)
}

/** Asks the worker to take control of open pages now (`clients.claim()`): a page loaded with a hard reload is not
 * controlled otherwise. */
export interface StreamClaimMessage {
  readonly type: 'dcmx-stream-claim'
}

export const claimMessage: StreamClaimMessage = { type: 'dcmx-stream-claim' }

export function isClaimMessage(data: unknown): data is StreamClaimMessage {
  return typeof data === 'object' && data !== null && (data as Record<string, unknown>).type === 'dcmx-stream-claim'
}
