'use client'

import { editionsAbi } from '@dcmx/deployments'
import Link from 'next/link'
import { use, useState } from 'react'
import { useConnection } from 'wagmi'

import { TxStatus } from '@/components/tx-status.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { useCatalogEdition } from '@/hooks/use-catalog.ts'
import { useChainTime } from '@/hooks/use-chain-time.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { useTx } from '@/hooks/use-tx.ts'
import { allowlistProof, parseAllowlist } from '@/lib/allowlist.ts'
import { describeError } from '@/lib/errors.ts'
import { formatBps, formatCountdown, formatEditionNumber, formatEth, shortAddress } from '@/lib/format.ts'

export default function EditionPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number(use(params).id)
  const q = useCatalogEdition(id)
  const { now } = useChainTime()
  const deployment = useDeployment()
  const { address } = useConnection()
  const can = useCanWrite()
  const tx = useTx()
  const [qty, setQty] = useState(1)
  const [comment, setComment] = useState('')
  const [allowlist, setAllowlist] = useState('')
  const [notice, setNotice] = useState<string | null>(null)

  if (!Number.isInteger(id) || id <= 0) return <p className="bad">No such edition.</p>
  if (q.isPending) return <p className="muted">Loading…</p>
  if (q.error) return <p className="bad">{describeError(q.error).message}</p>
  const { edition: e, collectors, comments } = q.data
  const supply = e.closed ? e.closed.final_supply : e.max_supply
  const remaining = supply === 0 ? Infinity : supply - e.minted
  const presaleOpen = e.presale !== null && now >= e.presale.start && now < e.sale_start
  const publicOpen = now >= e.sale_start && (e.sale_end === 0 || now < e.sale_end) && !e.closed
  const unit = presaleOpen ? BigInt(e.presale!.price_wei) : BigInt(e.price_wei)
  const total = unit * BigInt(qty)

  async function buy() {
    if (!deployment) return
    setNotice(null)
    if (presaleOpen) {
      const list = parseAllowlist(allowlist).addresses
      const proof = address && list.length ? allowlistProof(list, address) : null
      if (!proof) {
        tx.reset()
        setNotice('Your address is not on the allowlist you pasted.')
        return
      }
      await tx.send(`Buy ${qty} in presale`, { address: deployment.Editions, abi: editionsAbi, functionName: 'buyPresale', args: [BigInt(id), BigInt(qty), proof, comment], value: total })
    } else if (comment) {
      await tx.send(`Buy ${qty}`, { address: deployment.Editions, abi: editionsAbi, functionName: 'buyWithComment', args: [BigInt(id), BigInt(qty), comment], value: total })
    } else {
      await tx.send(`Buy ${qty}`, { address: deployment.Editions, abi: editionsAbi, functionName: 'buy', args: [BigInt(id), BigInt(qty)], value: total })
    }
  }

  return (
    <>
      <h1>{e.name}</h1>
      <p>
        by <span className="mono">{shortAddress(e.artist)}</span> · <Link href={`/track/${e.content_hash}`}>listen</Link>
      </p>
      <div className="panel">
        <p data-testid="edition-sold">
          <strong>{e.minted}</strong> of {supply === 0 ? 'an open edition' : supply} sold{e.closed ? ' (sale ended: supply final)' : ''}
        </p>
        <p>
          Price {formatEth(BigInt(e.price_wei))} · royalty {formatBps(e.royalty_bps)} on resales{e.per_wallet_cap ? ` · at most ${e.per_wallet_cap} per wallet` : ''}
        </p>
        {e.presale && (
          <p>
            Presale {formatEth(BigInt(e.presale.price_wei))} for allowlisted wallets{' '}
            {now < e.presale.start ? `opens in ${formatCountdown(e.presale.start - now)}` : presaleOpen ? `open, public sale in ${formatCountdown(e.sale_start - now)}` : 'ended'}
          </p>
        )}
        <p>
          {e.closed
            ? 'The sale has ended.'
            : now < e.sale_start
              ? `Public sale opens in ${formatCountdown(e.sale_start - now)}`
              : e.sale_end
                ? now < e.sale_end
                  ? `Sale ends in ${formatCountdown(e.sale_end - now)}`
                  : 'The sale has ended.'
                : 'On sale, no end date.'}
        </p>
      </div>
      {(publicOpen || presaleOpen) && remaining > 0 && (
        <form
          className="panel"
          onSubmit={(ev) => {
            ev.preventDefault()
            void buy()
          }}
        >
          <label htmlFor="qty">Quantity</label>
          <input id="qty" type="number" min={1} max={Math.min(20, remaining)} value={qty} onChange={(ev) => setQty(Math.max(1, Math.min(20, Number(ev.target.value) || 1)))} />
          <label htmlFor="comment">Comment (optional, on chain)</label>
          <input id="comment" maxLength={280} value={comment} onChange={(ev) => setComment(ev.target.value)} />
          {presaleOpen && (
            <>
              <label htmlFor="allowlist">Allowlist shared by the artist (addresses or CSV)</label>
              <textarea id="allowlist" rows={3} value={allowlist} onChange={(ev) => setAllowlist(ev.target.value)} />
            </>
          )}
          <p>Total {formatEth(total)}</p>
          <button type="submit" disabled={!can.ok || tx.state.status === 'signing' || tx.state.status === 'pending'} data-testid="buy">
            Buy {qty}
          </button>
          {!can.ok && <p className="muted">{can.reason}</p>}
          {notice && (
            <p className="bad" role="alert">
              {notice}
            </p>
          )}
          <TxStatus state={tx.state} />
        </form>
      )}
      <h2>Collectors</h2>
      {collectors.length === 0 ? (
        <p className="muted">No collectors yet.</p>
      ) : (
        <table data-testid="collectors">
          <thead>
            <tr>
              <th scope="col">Edition</th>
              <th scope="col">Owner</th>
            </tr>
          </thead>
          <tbody>
            {collectors.map((c) => (
              <tr key={c.token_id}>
                <td>{supply ? formatEditionNumber(c.serial, supply) : `#${c.serial} (open edition)`}</td>
                <td className="mono">{c.owner}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {comments.length > 0 && (
        <>
          <h2>Comments</h2>
          <ul>
            {comments.map((c) => (
              <li key={`${c.at.tx}-${c.at.log_index}`}>
                <span className="mono">{shortAddress(c.buyer)}</span>: {c.comment}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  )
}
