'use client'

import Link from 'next/link'
import { useDeferredValue, useState } from 'react'

import { useCatalogTracks } from '@/hooks/use-catalog.ts'
import { formatBytes, formatDuration, shortAddress } from '@/lib/format.ts'
import { nodeErrorText } from '@/lib/node-client.ts'

export default function ListenPage() {
  const [q, setQ] = useState('')
  const query = useDeferredValue(q.trim())
  const tracks = useCatalogTracks(query)
  return (
    <>
      <h1>Listen</h1>
      <label htmlFor="search">Search by title or artist</label>
      <input id="search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="e.g. Sunrise" />
      {tracks.isPending && <p className="muted">Loading the catalog…</p>}
      {tracks.error && <p className="bad">{nodeErrorText(tracks.error)}</p>}
      {tracks.data && tracks.data.tracks.length === 0 && <p className="muted">No registered tracks{query ? ` match “${query}”` : ' yet'}.</p>}
      <ul className="grid" style={{ listStyle: 'none', padding: 0 }} data-testid="track-list">
        {tracks.data?.tracks.map((t) => (
          <li key={t.content_hash} className="panel">
            <Link href={`/track/${t.content_hash}`}>
              <strong>{t.title || '(untitled)'}</strong>
            </Link>
            <div>{t.artist_name || shortAddress(t.artist)}</div>
            <div className="muted">
              {t.duration ? formatDuration(t.duration) : ''} · {formatBytes(t.size)} · {t.holders.length} node{t.holders.length === 1 ? '' : 's'}
            </div>
          </li>
        ))}
      </ul>
    </>
  )
}
