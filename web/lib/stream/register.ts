/**
 * The page's side of verified streaming: register the worker with the app's chain and nodes, wait until it
 * controls the page, and listen to what it reports. Browser only (call from a client component's effect).
 *
 *   const stop = onStreamMessage((m) => { if (m.kind === 'bad-chunk') show(`${m.node} served a bad chunk`) })
 *   await registerStreamWorker({ rpcUrl, registry: addresses[chainId].TrackRegistry, nodes })
 *   audio.src = streamUrl(hash)
 */
import { streamWorkerUrl } from './config.ts'
import type { StreamWorkerConfig } from './config.ts'
import { claimMessage, isStreamMessage, warmMessage } from './messages.ts'
import type { StreamMessage } from './messages.ts'

/** Same-origin URL the `<audio>` element plays; the worker answers it. */
export function streamUrl(hash: string): string {
  return `/stream/${hash.replace(/^0x/, '').toLowerCase()}`
}

/**
 * Registers (or updates, when the config changed) the streaming worker at scope `/`, and resolves once it controls
 * this page (it claims open pages on activation). Rejects where service workers are unavailable (not a secure
 * context: use https, or http://localhost / 127.0.0.1) or after `timeoutMs`. A page loaded with a hard reload
 * (Shift+Reload) starts uncontrolled: the worker is asked to claim it.
 */
export async function registerStreamWorker(config: StreamWorkerConfig, opts: { timeoutMs?: number } = {}): Promise<ServiceWorkerRegistration> {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) throw new Error('Service workers are unavailable here (the page needs https or localhost)')
  const sw = navigator.serviceWorker
  const registration = await sw.register(streamWorkerUrl(config), { scope: '/' })
  const active = registration.active?.scriptURL
  const wanted = new URL(streamWorkerUrl(config), location.href).href
  if (sw.controller && sw.controller.scriptURL === wanted && active === wanted) return registration
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The streaming service worker did not take control of the page')), opts.timeoutMs ?? 10_000)
    const check = () => {
      if (sw.controller?.scriptURL === wanted) {
        clearTimeout(timer)
        sw.removeEventListener('controllerchange', check)
        resolve()
      }
    }
    sw.addEventListener('controllerchange', check)
    check()
    // An active worker that does not control this page (it was hard-reloaded, or activated before it loaded).
    void sw.ready.then((r) => r.active?.postMessage(claimMessage))
  })
  return registration
}

/** Calls `listener` with every message the streaming worker posts; returns the unsubscribe function. */
export function onStreamMessage(listener: (m: StreamMessage) => void): () => void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return () => {}
  const handler = (e: MessageEvent) => {
    if (isStreamMessage(e.data)) listener(e.data)
  }
  navigator.serviceWorker.addEventListener('message', handler)
  return () => navigator.serviceWorker.removeEventListener('message', handler)
}

/** Asks the worker to resolve a track and verify its first chunk now (e.g. when its page opens), so play starts fast. */
export function warmStream(hash: string): void {
  navigator.serviceWorker?.controller?.postMessage(warmMessage(hash.replace(/^0x/, '').toLowerCase()))
}
