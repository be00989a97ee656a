/**
 * The streaming service worker (bundled to public/stream-sw.js by scripts/build-sw.ts). It answers same-origin
 * `GET /stream/<64 hex>` with 200/206 responses whose every byte was verified against the TrackRegistry's manifest
 * root (web/lib/stream), and tells the page which node served each chunk and which lied. Everything else goes to
 * the network untouched. Config comes from its registration URL (`?config=`, see lib/stream/config.ts).
 */
import { parseStreamWorkerConfig } from '../lib/stream/config.ts'
import { isClaimMessage, isWarmMessage, toStreamMessage } from '../lib/stream/messages.ts'
import { streamHashOf, streamResponse } from '../lib/stream/respond.ts'
import { StreamSource } from '../lib/stream/source.ts'

// The few ServiceWorkerGlobalScope members used, typed here so this file checks under the app's DOM lib too.
interface ExtendableEventLike extends Event {
  waitUntil(p: Promise<unknown>): void
}
interface FetchEventLike extends ExtendableEventLike {
  readonly request: Request
  respondWith(r: Promise<Response> | Response): void
}
interface ExtendableMessageEventLike extends ExtendableEventLike {
  readonly data: unknown
}
interface WorkerScope {
  readonly location: { readonly href: string; readonly origin: string }
  skipWaiting(): Promise<void>
  readonly clients: {
    claim(): Promise<void>
    matchAll(opts: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly { postMessage(m: unknown): void }[]>
  }
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEventLike) => void): void
  addEventListener(type: 'fetch', fn: (e: FetchEventLike) => void): void
  addEventListener(type: 'message', fn: (e: ExtendableMessageEventLike) => void): void
}

const scope = globalThis as unknown as WorkerScope
const config = parseStreamWorkerConfig(scope.location.href)
const source = new StreamSource({}, config)

source.on((event) => {
  const message = toStreamMessage(event)
  void scope.clients
    .matchAll({ type: 'window', includeUncontrolled: true })
    .then((clients) => {
      for (const c of clients) c.postMessage(message)
    })
    .catch(() => {})
})

scope.addEventListener('install', (e) => e.waitUntil(scope.skipWaiting()))
scope.addEventListener('activate', (e) => e.waitUntil(scope.clients.claim()))
scope.addEventListener('fetch', (e) => {
  const hash = streamHashOf(e.request.url, scope.location.origin)
  if (hash === undefined) return
  e.respondWith(
    streamResponse(source, hash, e.request, e.request.signal).catch(
      (err: unknown) => new Response(`stream worker: ${err instanceof Error ? err.message : String(err)}`, { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } }),
    ),
  )
})
scope.addEventListener('message', (e) => {
  if (isClaimMessage(e.data)) return e.waitUntil(scope.clients.claim())
  if (!isWarmMessage(e.data)) return
  // Resolve the track and verify its first chunk now, so pressing play waits for neither. Failures are reported as
  // events by the source and retried on play.
  e.waitUntil(
    source
      .track(e.data.hash)
      .then((t) => (t.manifest.size > 0 ? source.chunk(t, 0) : undefined))
      .catch(() => {}),
  )
})
