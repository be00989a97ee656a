'use client'

import Link from 'next/link'
import { use } from 'react'

import { Player } from '@/components/player.tsx'
import { useCatalogTrack } from '@/hooks/use-catalog.ts'
import { nodeErrorText } from '@/lib/node-client.ts'
import { formatBytes, formatDuration, formatEth, shortAddress } from '@/lib/format.ts'

export default function TrackPage({ params }: { params: Promise<{ hash: string }> }) {
  const { hash } = use(params)
  const q = useCatalogTrack(hash)
  if (!/^[0-9a-f]{64}$/.test(hash)) return <p className="bad">That is not a track address (64 hex characters).</p>
  if (q.isPending) return <p className="muted">Loading…</p>
  if (q.error) return <p className="bad">{nodeErrorText(q.error)}</p>
  const { track, editions } = q.data
  return (
    <>
      <h1>{track.title || '(untitled)'}</h1>
      <p>
        {track.artist_name} <span className="mono muted">({shortAddress(track.artist)})</span>
        {track.album && <> · {track.album}</>}
      </p>
      <Player hash={track.content_hash} title={track.title} />
      <p className="muted">
        {track.duration ? `${formatDuration(track.duration)} · ` : ''}
        {formatBytes(track.size)} · held by {track.holders.length} node{track.holders.length === 1 ? '' : 's'}
      </p>
      <p className="muted mono">
        sha256 {track.content_hash} · manifest root {track.manifest_root}
      </p>
      <h2>Editions</h2>
      {editions.length === 0 && <p className="muted">No editions yet.</p>}
      <ul>
        {editions.map((e) => (
          <li key={e.edition_id}>
            <Link href={`/edition/${e.edition_id}`}>{e.name}</Link> · {formatEth(BigInt(e.price_wei))} · {e.minted} of {e.max_supply || '∞'} sold
          </li>
        ))}
      </ul>
    </>
  )
}
