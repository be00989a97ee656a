'use client'

import { addresses } from '@dcmx/deployments'
import { useEffect, useState } from 'react'

import { useAppConfig } from '@/app/providers.tsx'
import { onStreamMessage, registerStreamWorker, streamUrl, warmStream } from '@/lib/stream/register.ts'

/**
 * A plain <audio> element whose requests for /stream/<hash> the DCMX service worker answers with bytes it verified
 * chunk by chunk against the manifest root read from the TrackRegistry. Native seeking, any format the browser
 * decodes. Shows which nodes served the audio and names any node that served a bad chunk.
 */
export function Player({ hash, title }: { hash: string; title: string }) {
  const app = useAppConfig()
  const [ready, setReady] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [served, setServed] = useState<Record<string, number>>({})
  const [liars, setLiars] = useState<{ node: string; chunk: number | null; reason: string | null }[]>([])

  useEffect(() => {
    const registry = (addresses as Record<string, Record<string, `0x${string}`>>)[String(app.chainId)]?.TrackRegistry
    if (!registry) {
      setError(`No DCMX deployment is known for chain ${app.chainId}.`)
      return
    }
    let cancelled = false
    const stop = onStreamMessage((m) => {
      if (m.hash !== hash) return
      if (m.kind === 'served' && m.node) setServed((s) => ({ ...s, [m.node!]: (s[m.node!] ?? 0) + 1 }))
      if (m.kind === 'bad-chunk' && m.node) setLiars((l) => (l.some((x) => x.node === m.node) ? l : [...l, { node: m.node!, chunk: m.chunk ?? null, reason: m.reason ?? null }]))
      if (m.kind === 'error' && !m.node) setError(m.reason ?? 'Playback failed.')
    })
    registerStreamWorker({ rpcUrl: app.rpcUrl, registry, nodes: app.nodes })
      .then(() => {
        if (cancelled) return
        warmStream(hash)
        setReady(true)
      })
      .catch((e: Error) => setError(`Verified playback is unavailable: ${e.message}`))
    return () => {
      cancelled = true
      stop()
    }
  }, [app, hash])

  return (
    <section className="panel" aria-label={`Player for ${title}`}>
      {ready ? <audio controls preload="metadata" src={streamUrl(hash)} data-testid="player" /> : !error && <p className="muted">Preparing verified playback…</p>}
      {error && (
        <p className="bad" role="alert">
          {error}
        </p>
      )}
      {liars.map((l) => (
        <p key={l.node} className="bad" role="alert" data-testid="bad-node">
          Node {l.node} served {l.chunk === null ? 'a manifest' : `chunk #${l.chunk}`} that does not match the on-chain record ({l.reason ?? 'verification failed'}); playing from another node.
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
