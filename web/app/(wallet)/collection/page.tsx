'use client'

import { editionsAbi, marketplaceAbi } from '@dcmx/deployments'
import Link from 'next/link'
import { useState } from 'react'
import { parseEther } from 'viem'
import { useConfig, useConnection, useReadContract } from 'wagmi'
import { readContract } from 'wagmi/actions'

import { TxStatus } from '@/components/tx-status.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { useListings, useOwnedTokens } from '@/hooks/use-catalog.ts'
import { latestChainTime } from '@/hooks/use-chain-time.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { useTx } from '@/hooks/use-tx.ts'
import { describeError } from '@/lib/errors.ts'
import { formatEth } from '@/lib/format.ts'

const LISTING_DAYS = 30

function TokenRow({ token, listedPrice }: { token: { token_id: string; edition_id: number; serial: number; name: string; content_hash: string }; listedPrice?: string }) {
  const config = useConfig()
  const deployment = useDeployment()
  const { address } = useConnection()
  const can = useCanWrite()
  const tx = useTx()
  const [price, setPrice] = useState('')
  const approved = useReadContract({
    address: deployment?.Editions,
    abi: editionsAbi,
    functionName: 'isApprovedForAll',
    args: address && deployment ? [address, deployment.Marketplace] : undefined,
    query: { enabled: !!address && !!deployment },
  })

  async function list() {
    if (!deployment) return
    let wei: bigint
    try {
      wei = parseEther(price)
    } catch {
      return
    }
    if (!approved.data) {
      const ok = await tx.send('Allow the marketplace to transfer your editions', { address: deployment.Editions, abi: editionsAbi, functionName: 'setApprovalForAll', args: [deployment.Marketplace, true] })
      if (!ok) return
    }
    // The seller's floor: the price minus today's royalty, so a royalty raised after listing cannot take more.
    const [, royalty] = await readContract(config, { address: deployment.Editions, abi: editionsAbi, functionName: 'royaltyInfo', args: [BigInt(token.token_id), wei] })
    const expiresAt = BigInt((await latestChainTime(config)) + LISTING_DAYS * 86400)
    await tx.send('List for sale', { address: deployment.Marketplace, abi: marketplaceAbi, functionName: 'list', args: [deployment.Editions, BigInt(token.token_id), wei, expiresAt, wei - royalty] })
  }

  return (
    <li className="panel" data-testid={`token-${token.token_id}`}>
      <strong>{token.name}</strong> · #{token.serial} · <Link href={`/edition/${token.edition_id}`}>edition</Link> · <Link href={`/track/${token.content_hash}`}>listen</Link>
      {listedPrice ? (
        <p>
          Listed for {formatEth(BigInt(listedPrice))}.{' '}
          <button className="secondary" disabled={!can.ok} onClick={() => deployment && tx.send('Cancel listing', { address: deployment.Marketplace, abi: marketplaceAbi, functionName: 'cancel', args: [deployment.Editions, BigInt(token.token_id)] })}>
            Cancel listing
          </button>
        </p>
      ) : (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault()
            void list()
          }}
        >
          <label htmlFor={`price-${token.token_id}`} style={{ margin: 0 }}>
            Resale price (ETH)
          </label>
          <input id={`price-${token.token_id}`} style={{ maxWidth: '10rem' }} inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} placeholder="0.05" required pattern="[0-9]*[.]?[0-9]+" />
          <button type="submit" disabled={!can.ok || !price} data-testid="list">
            List for sale
          </button>
        </form>
      )}
      <TxStatus state={tx.state} />
    </li>
  )
}

export default function CollectionPage() {
  const { address } = useConnection()
  const owned = useOwnedTokens(address)
  const deployment = useDeployment()
  const listings = useListings(address && deployment ? `active=true&seller=${address}&nft=${deployment.Editions}` : null)
  if (!address)
    return (
      <>
        <h1>My collection</h1>
        <p className="muted">Connect a wallet to see your collection.</p>
      </>
    )
  const listed = new Map(listings.data?.listings.filter((l) => l.nft.toLowerCase() === deployment?.Editions.toLowerCase()).map((l) => [l.token_id, l.price_wei]))
  return (
    <>
      <h1>My collection</h1>
      {owned.isPending && <p className="muted">Loading…</p>}
      {owned.error && <p className="bad">{describeError(owned.error).message}</p>}
      {owned.data?.tokens.length === 0 && (
        <p className="muted">
          No editions yet. <Link href="/">Find music</Link>.
        </p>
      )}
      <ul style={{ listStyle: 'none', padding: 0 }}>
        {owned.data?.tokens.map((t) => <TokenRow key={t.token_id} token={t} listedPrice={listed.get(t.token_id)} />)}
      </ul>
    </>
  )
}
