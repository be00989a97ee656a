'use client'

import { editionsAbi, marketplaceAbi } from '@dcmx/deployments'
import type { CatalogListing } from '@dcmx/node/api'
import { useConnection, useReadContract } from 'wagmi'

import { TxStatus } from '@/components/tx-status.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { useListings } from '@/hooks/use-catalog.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { useTx } from '@/hooks/use-tx.ts'
import { describeError } from '@/lib/errors.ts'
import { formatEth, shortAddress } from '@/lib/format.ts'
import { tokenLabel } from '@/lib/tokens.ts'

function ListingRow({ l }: { l: CatalogListing }) {
  const deployment = useDeployment()
  const { address } = useConnection()
  const can = useCanWrite()
  const tx = useTx()
  const royalty = useReadContract({ address: deployment?.Editions, abi: editionsAbi, functionName: 'royaltyInfo', args: [BigInt(l.token_id), BigInt(l.price_wei)] })
  const mine = address?.toLowerCase() === l.seller.toLowerCase()
  const [receiver, amount] = royalty.data ?? [undefined, undefined]
  return (
    <li className="panel" data-testid={`listing-${l.token_id}`}>
      <strong>{tokenLabel(l.token_id)}</strong> · {formatEth(BigInt(l.price_wei))} · seller <span className="mono">{shortAddress(l.seller)}</span>
      {amount !== undefined && (
        <p className="muted" data-testid="royalty-split">
          Of {formatEth(BigInt(l.price_wei))}: royalty {formatEth(amount)} to {shortAddress(receiver!)}, {formatEth(BigInt(l.price_wei) - amount)} to the seller.
        </p>
      )}
      {mine ? (
        <button className="secondary" disabled={!can.ok} onClick={() => deployment && tx.send('Cancel listing', { address: deployment.Marketplace, abi: marketplaceAbi, functionName: 'cancel', args: [deployment.Editions, BigInt(l.token_id)] })}>
          Cancel listing
        </button>
      ) : (
        <button
          disabled={!can.ok}
          data-testid="buy-listing"
          onClick={() => deployment && tx.send('Buy listing', { address: deployment.Marketplace, abi: marketplaceAbi, functionName: 'buy', args: [deployment.Editions, BigInt(l.token_id)], value: BigInt(l.price_wei) })}
        >
          Buy for {formatEth(BigInt(l.price_wei))}
        </button>
      )}
      <TxStatus state={tx.state} />
    </li>
  )
}

export default function MarketPage() {
  const deployment = useDeployment()
  // Only DCMX editions: anyone can list a look-alike ERC-721 on the Marketplace, and its "royalty" would be its own.
  const q = useListings(deployment ? `active=true&nft=${deployment.Editions}` : null)
  const can = useCanWrite()
  return (
    <>
      <h1>Market</h1>
      <p className="muted">Resales of DCMX editions. Every sale pays the artist's royalty on chain.</p>
      {!can.ok && <p className="muted">{can.reason}</p>}
      {q.isPending && <p className="muted">Loading listings…</p>}
      {q.error && <p className="bad">{describeError(q.error).message}</p>}
      {q.data?.listings.length === 0 && <p className="muted">No active listings.</p>}
      <ul style={{ listStyle: 'none', padding: 0 }}>
        {q.data?.listings
          .filter((l) => l.nft.toLowerCase() === deployment?.Editions.toLowerCase())
          .map((l) => <ListingRow key={`${l.nft}-${l.token_id}`} l={l} />)}
      </ul>
    </>
  )
}
