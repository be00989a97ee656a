'use client'

import { editionsAbi, marketplaceAbi } from '@dcmx/deployments'
import Link from 'next/link'
import { useState } from 'react'
import { useConnection, useReadContract } from 'wagmi'

import { TxStatus } from '@/components/tx-status.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { useArtistSales, useCatalogTracks } from '@/hooks/use-catalog.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { useTx } from '@/hooks/use-tx.ts'
import { formatEth, shortAddress } from '@/lib/format.ts'

import { CreateEdition } from './create-edition.tsx'
import { UploadTrack } from './upload.tsx'

export default function StudioPage() {
  const { address } = useConnection()
  const [latest, setLatest] = useState<string | undefined>()
  const tracks = useCatalogTracks('')
  if (!address)
    return (
      <>
        <h1>Studio</h1>
        <p className="muted">Connect the wallet you publish music with.</p>
      </>
    )
  const mine = tracks.data?.tracks.filter((t) => t.artist.toLowerCase() === address.toLowerCase()) ?? []
  return (
    <>
      <h1>Studio</h1>
      <UploadTrack onRegistered={setLatest} />
      <CreateEdition tracks={mine} preselect={latest} />
      <h2>My tracks</h2>
      {mine.length === 0 ? (
        <p className="muted">None registered yet.</p>
      ) : (
        <ul>
          {mine.map((t) => (
            <li key={t.content_hash}>
              <Link href={`/track/${t.content_hash}`}>{t.title}</Link>
            </li>
          ))}
        </ul>
      )}
      <Earnings address={address} />
    </>
  )
}

function Earnings({ address }: { address: `0x${string}` }) {
  const deployment = useDeployment()
  const sales = useArtistSales(address)
  const can = useCanWrite()
  const tx = useTx()
  const proceeds = useReadContract({ address: deployment?.Editions, abi: editionsAbi, functionName: 'proceedsOf', args: [address], query: { enabled: !!deployment, refetchInterval: 3_000 } })
  const credits = useReadContract({ address: deployment?.Marketplace, abi: marketplaceAbi, functionName: 'creditsOf', args: [address], query: { enabled: !!deployment, refetchInterval: 3_000 } })
  const s = sales.data
  const collectors = new Set(s?.primary.map((p) => p.buyer))
  return (
    <section>
      <h2>Sales and royalties</h2>
      {s && (
        <div className="panel">
          <p>
            Primary sales: <strong data-testid="primary-total">{formatEth(BigInt(s.primary_wei))}</strong> · resale royalties:{' '}
            <strong data-testid="royalty-total">{formatEth(BigInt(s.royalties_wei))}</strong> · withdrawn {formatEth(BigInt(s.withdrawn_wei))}
          </p>
          <p>{collectors.size} collector{collectors.size === 1 ? '' : 's'}</p>
          {s.royalties.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Resale</th>
                  <th scope="col">Price</th>
                  <th scope="col">Royalty</th>
                </tr>
              </thead>
              <tbody>
                {s.royalties.map((r) => (
                  <tr key={`${r.at.tx}-${r.at.log_index}`}>
                    <td className="mono">
                      {shortAddress(r.seller)} → {shortAddress(r.buyer)}
                    </td>
                    <td>{formatEth(BigInt(r.price_wei))}</td>
                    <td>{formatEth(BigInt(r.royalty_wei))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      <div className="panel">
        <p>
          To withdraw: editions <strong data-testid="proceeds">{formatEth(proceeds.data ?? 0n)}</strong> · marketplace royalties and credits{' '}
          <strong data-testid="credits">{formatEth(credits.data ?? 0n)}</strong>
        </p>
        <div className="row">
          <button disabled={!can.ok || !proceeds.data} onClick={() => deployment && tx.send('Withdraw edition proceeds', { address: deployment.Editions, abi: editionsAbi, functionName: 'withdraw' })}>
            Withdraw proceeds
          </button>
          <button disabled={!can.ok || !credits.data} onClick={() => deployment && tx.send('Withdraw marketplace credits', { address: deployment.Marketplace, abi: marketplaceAbi, functionName: 'withdraw', args: [address] })}>
            Withdraw credits
          </button>
        </div>
        <TxStatus state={tx.state} />
      </div>
    </section>
  )
}
