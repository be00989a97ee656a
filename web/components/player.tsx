'use client'

import { addresses } from '@dcmx/deployments'
import { useEffect, useRef, useState } from 'react'

import { useAppConfig } from '@/app/providers.tsx'

type StreamEvent = { type: 'dcmx-stream'; kind: 'served' | 'bad-chunk' | 'error'; hash: string; node?: string; chunk?: number; reason?: string }

/**
 * A plain <audio> element whose requests for /stream/<hash> the DCMX service worker answers with bytes it verified
 * chunk by chunk against the manifest root read from the TrackRegistry. Native seeking, any format the browser
 * decodes. Shows which nodes served the audio and names any node that served a bad chunk.
 */
export function Player({ hash, title }: { hash: string; title: string }) {
  const app = useAppConfig()
  const audio = useRef<HTMLAudioElement>(null)
  const [ready, setReady] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [served, setServed] = useState<Record<string, number>>({})
  const [liars, setLiars] = useState<{ node: string; chunk?: number; reason?: string }[]>([])

  useEffect(() => {
    if (!('serviceWorker' in navigator)) {
      setError('This browser cannot verify audio (no service workers; a secure context is needed: https or localhost).')
      return
    }
    const registry = (addresses as Record<string, Record<string, string>>)[String(app.chainId)]?.TrackRegistry
    if (!registry) {
      setError(`No DCMX deployment is known for chain ${app.chainId}.`)
      return
    }
    const config = encodeURIComponent(JSON.stringify({ rpcUrl: app.rpcUrl, registry, nodes: app.nodes }))
    let cancelled = false
    const onMessage = (e: MessageEvent<StreamEvent>) => {
      const m = e.data
      if (m?.type !== 'dcmx-stream' || m.hash !== hash) return
      if (m.kind === 'served' && m.node) setServed((s) => ({ ...s, [m.node!]: (s[m.node!] ?? 0) + 1 }))
      if (m.kind === 'bad-chunk' && m.node) setLiars((l) => [...l, { node: m.node!, chunk: m.chunk, reason: m.reason }])
      if (m.kind === 'error') setError(m.reason ?? 'Playback failed.')
    }
    navigator.serviceWorker.addEventListener('message', onMessage)
    ;(async () => {
      await navigator.serviceWorker.register(`/stream-sw.js?config=${config}`, { scope: '/' })
      await navigator.serviceWorker.ready
      if (!navigator.serviceWorker.controller) {
        await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }))
      }
      if (!cancelled) setReady(true)
    })().catch((e: Error) => setError(`Could not start verified playback: ${e.message}`))
    return () => {
      cancelled = true
      navigator.serviceWorker.removeEventListener('message', onMessage)
    }
  }, [app, hash])

  return (
    <section className="panel" aria-label={`Player for ${title}`}>
      {ready ? (
        <audio ref={audio} controls preload="metadata" src={`/stream/${hash}`} data-testid="player" />
      ) : (
        <p className="muted">{error ? '' : 'Preparing verified playback…'}</p>
      )}
      {error && (
        <p className="bad" role="alert">
          {error}
        </p>
      )}
      {liars.map((l, i) => (
        <p key={i} className="bad" role="alert" data-testid="bad-node">
          Node {l.node} served a chunk{l.chunk !== undefined ? ` (#${l.chunk})` : ''} that does not match the on-chain manifest; continuing from another node.
        </p>
      ))}
      {Object.keys(served).length > 0 && (
        <p className="muted" data-testid="served-by">
          Verified chunks from: {Object.entries(served).map(([n, c]) => `${n} (${c})`).join(', ')}
        </p>
      )}
    </section>
  )
}
