'use client'

import { editionsAbi } from '@dcmx/deployments'
import type { CatalogTrack } from '@dcmx/node/api'
import { useState } from 'react'
import { parseEther, zeroHash } from 'viem'
import { useConfig, useReadContract } from 'wagmi'

import { TxStatus } from '@/components/tx-status.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { latestChainTime } from '@/hooks/use-chain-time.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { useTx } from '@/hooks/use-tx.ts'
import { allowlistRoot, parseAllowlist } from '@/lib/allowlist.ts'

const toUnix = (local: string) => (local ? Math.floor(new Date(local).getTime() / 1000) : 0)

export function CreateEdition({ tracks, preselect }: { tracks: CatalogTrack[]; preselect?: string }) {
  const config = useConfig()
  const deployment = useDeployment()
  const can = useCanWrite()
  const tx = useTx()
  const maxRoyalty = useReadContract({ address: deployment?.Editions, abi: editionsAbi, functionName: 'maxRoyaltyBps', query: { enabled: !!deployment } })
  const [hash, setHash] = useState(preselect ?? '')
  const [name, setName] = useState('')
  const [price, setPrice] = useState('0.01')
  const [supply, setSupply] = useState('100')
  const [royalty, setRoyalty] = useState('10')
  const [start, setStart] = useState('')
  const [end, setEnd] = useState('')
  const [cap, setCap] = useState('0')
  const [allowText, setAllowText] = useState('')
  const [presalePrice, setPresalePrice] = useState('')
  const [presaleStart, setPresaleStart] = useState('')
  const [presaleCap, setPresaleCap] = useState('2')
  const [error, setError] = useState<string | null>(null)
  const selected = hash || preselect || tracks[0]?.content_hash || ''
  const allow = parseAllowlist(allowText)

  async function create() {
    setError(null)
    if (!deployment || !selected) return
    let priceWei: bigint
    let presaleWei = 0n
    try {
      priceWei = parseEther(price)
      if (allow.addresses.length) presaleWei = parseEther(presalePrice || price)
    } catch {
      return setError('Prices are amounts of ETH such as 0.05.')
    }
    if (allow.invalid.length) return setError(`Not addresses: ${allow.invalid.slice(0, 3).join(', ')}`)
    const chainNow = await latestChainTime(config)
    const saleStart = toUnix(start) || chainNow
    const presale = allow.addresses.length
      ? { merkleRoot: allowlistRoot(allow.addresses), price: presaleWei, start: toUnix(presaleStart) || chainNow, perWalletCap: Number(presaleCap) }
      : { merkleRoot: zeroHash, price: 0n, start: 0, perWalletCap: 0 }
    await tx.send('Create edition', {
      address: deployment.Editions,
      abi: editionsAbi,
      functionName: 'createEdition',
      args: [
        {
          contentHash: `0x${selected}`,
          name,
          price: priceWei,
          maxSupply: Number(supply),
          royaltyBps: Math.round(Number(royalty) * 100),
          saleStart: saleStart,
          saleEnd: toUnix(end),
          perWalletCap: Number(cap),
          presale,
        },
      ],
    })
  }

  if (tracks.length === 0) return <p className="muted">Register a track first; then you can sell editions of it.</p>
  return (
    <form
      className="panel"
      onSubmit={(e) => {
        e.preventDefault()
        void create()
      }}
    >
      <h2>Create an edition</h2>
      <label htmlFor="ed-track">Track</label>
      <select id="ed-track" value={selected} onChange={(e) => setHash(e.target.value)}>
        {tracks.map((t) => (
          <option key={t.content_hash} value={t.content_hash}>
            {t.title}
          </option>
        ))}
      </select>
      <label htmlFor="ed-name">Edition name</label>
      <input id="ed-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      <div className="grid">
        <div>
          <label htmlFor="ed-price">Price (ETH)</label>
          <input id="ed-price" required inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />
        </div>
        <div>
          <label htmlFor="ed-supply">Max supply (0 = open edition)</label>
          <input id="ed-supply" type="number" min={0} required value={supply} onChange={(e) => setSupply(e.target.value)} />
        </div>
        <div>
          <label htmlFor="ed-royalty">Resale royalty (%){maxRoyalty.data !== undefined ? `, at most ${maxRoyalty.data / 100}%` : ''}</label>
          <input id="ed-royalty" type="number" min={0} max={maxRoyalty.data !== undefined ? maxRoyalty.data / 100 : 100} step="0.01" required value={royalty} onChange={(e) => setRoyalty(e.target.value)} />
        </div>
        <div>
          <label htmlFor="ed-cap">Per-wallet cap (0 = none)</label>
          <input id="ed-cap" type="number" min={0} value={cap} onChange={(e) => setCap(e.target.value)} />
        </div>
        <div>
          <label htmlFor="ed-start">Sale opens (empty = now)</label>
          <input id="ed-start" type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />
        </div>
        <div>
          <label htmlFor="ed-end">Sale closes (empty = never)</label>
          <input id="ed-end" type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} />
        </div>
      </div>
      <details>
        <summary>Presale allowlist (optional)</summary>
        <label htmlFor="ed-allow">Addresses, one per line or CSV</label>
        <textarea id="ed-allow" rows={4} value={allowText} onChange={(e) => setAllowText(e.target.value)} />
        <p className="muted">
          {allow.addresses.length} address{allow.addresses.length === 1 ? '' : 'es'}
          {allow.invalid.length ? `, ${allow.invalid.length} not understood` : ''}. Share the same list with your collectors: they need it to prove they are on it.
        </p>
        <div className="grid">
          <div>
            <label htmlFor="ed-pprice">Presale price (ETH)</label>
            <input id="ed-pprice" inputMode="decimal" value={presalePrice} onChange={(e) => setPresalePrice(e.target.value)} />
          </div>
          <div>
            <label htmlFor="ed-pstart">Presale opens</label>
            <input id="ed-pstart" type="datetime-local" value={presaleStart} onChange={(e) => setPresaleStart(e.target.value)} />
          </div>
          <div>
            <label htmlFor="ed-pcap">Presale per-wallet cap</label>
            <input id="ed-pcap" type="number" min={1} value={presaleCap} onChange={(e) => setPresaleCap(e.target.value)} />
          </div>
        </div>
      </details>
      <p>
        <button type="submit" disabled={!can.ok || !name} data-testid="create-edition">
          Create edition
        </button>
      </p>
      {error && <p className="bad">{error}</p>}
      <TxStatus state={tx.state} />
    </form>
  )
}
