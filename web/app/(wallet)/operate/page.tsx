'use client'

import { bandwidthRewardsAbi, dcmxTokenAbi, nodeStakingAbi } from '@dcmx/deployments'
import { rewardsActionResponseSchema, rewardsStatusSchema, stakeResponseSchema } from '@dcmx/node/api'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useConnection, useReadContract } from 'wagmi'

import { useAppConfig } from '@/app/providers.tsx'
import { TxStatus } from '@/components/tx-status.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { useNodeStats, useRewards } from '@/hooks/use-catalog.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { useTx } from '@/hooks/use-tx.ts'
import { describeError } from '@/lib/errors.ts'
import { formatBytes, formatDcmx, formatEth, shortAddress } from '@/lib/format.ts'
import { nodeRequest } from '@/lib/node-client.ts'

export default function OperatePage() {
  const app = useAppConfig()
  const deployment = useDeployment()
  const { address } = useConnection()
  const balance = useReadContract({ address: deployment?.DCMXToken, abi: dcmxTokenAbi, functionName: 'balanceOf', args: address ? [address] : undefined, query: { enabled: !!address && !!deployment, refetchInterval: 3_000 } })
  const epoch = useReadContract({ address: deployment?.BandwidthRewards, abi: bandwidthRewardsAbi, functionName: 'currentEpoch', query: { enabled: !!deployment, refetchInterval: 5_000 } })
  return (
    <>
      <h1>Operate</h1>
      <p data-testid="current-epoch">
        Current epoch {epoch.data ?? '…'}
        {address && (
          <>
            {' '}
            · your DCMX <strong data-testid="dcmx-balance">{balance.data !== undefined ? formatDcmx(balance.data) : '…'}</strong>
          </>
        )}
      </p>
      {app.nodes.map((n) => (
        <NodeCard key={n} url={n} lastEnded={epoch.data === undefined ? undefined : epoch.data - 1} />
      ))}
    </>
  )
}

/** One node: its stats, rewards by epoch, claims from the operator's wallet, and token-gated node actions. */
function NodeCard({ url, lastEnded }: { url: string; lastEnded: number | undefined }) {
  const deployment = useDeployment()
  const { address } = useConnection()
  const can = useCanWrite()
  const stats = useNodeStats(url)
  const node = stats.data?.chain?.address ?? stats.data?.peer_id
  const rewards = useRewards(node)
  const operator = stats.data?.chain?.operator
  const mine = !!address && !!operator && operator.toLowerCase() === address.toLowerCase()
  const tx = useTx()
  const [token, setToken] = useState('')
  const [amount, setAmount] = useState('10000')
  const [msg, setMsg] = useState<string | null>(null)
  // What the node holds before submitting (operator view, with the token): receipts by epoch and their jobs.
  const held = useQuery({
    queryKey: ['rewards-held', url, token],
    enabled: token.length >= 16,
    refetchInterval: 3_000,
    retry: false,
    queryFn: ({ signal }) => nodeRequest(url, '/rewards', rewardsStatusSchema, { token, signal }),
  })
  const minStake = useReadContract({ address: deployment?.NodeStaking, abi: nodeStakingAbi, functionName: 'minStake', query: { enabled: !!deployment } })

  async function operatorCall(path: string, body: unknown, label: string) {
    setMsg(`${label}…`)
    try {
      const r = await nodeRequest(url, path, path === '/stake' ? stakeResponseSchema : rewardsActionResponseSchema, { body, token })
      setMsg(`${label}: queued ${r.jobs.length ? r.jobs.join(', ') : 'nothing (already done)'}`)
    } catch (error) {
      setMsg(describeError(error).message)
    }
  }

  if (stats.error) return <section className="panel">{url}: <span className="bad">{describeError(stats.error).message}</span></section>
  const s = stats.data
  return (
    <section className="panel" aria-label={`Node ${url}`} data-testid="node-card">
      <h2 style={{ marginTop: 0 }}>
        {url} {s && <span className="mono muted">{shortAddress(s.peer_id)}</span>}
      </h2>
      {s && (
        <p>
          {s.peers_connected}/{s.peers_known} peers · {s.tracks_local} tracks · served {formatBytes(s.content_uploaded_bytes)} · up {Math.floor(s.uptime_seconds / 60)} min
          {s.chain && (
            <>
              <br />
              stake {formatDcmx(BigInt(s.chain.stake_wei ?? '0'))} · wallet {formatEth(BigInt(s.chain.eth_wei ?? '0'))} · operator {operator ? shortAddress(operator) : 'none'} · indexed block {s.chain.indexed_block ?? '…'}
              {s.chain.outbox_open ? ` · ${s.chain.outbox_open} transactions queued` : ''}
            </>
          )}
        </p>
      )}
      <h3>Rewards by epoch</h3>
      {rewards.data && rewards.data.epochs.length === 0 && <p className="muted">No receipts submitted yet.</p>}
      {rewards.data && rewards.data.epochs.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Epoch</th>
              <th scope="col">Bytes proven</th>
              <th scope="col">Clients</th>
              <th scope="col">Pool</th>
              <th scope="col">Claimed</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {rewards.data.epochs.map((e) => (
              <tr key={e.epoch}>
                <td>{e.epoch}</td>
                <td>{formatBytes(Number(e.receipts.bytes_served))}</td>
                <td>{e.receipts.clients}</td>
                <td>{e.pool_wei ? formatDcmx(BigInt(e.pool_wei)) : 'not settled'}</td>
                <td>{e.claimed_wei ? formatDcmx(BigInt(e.claimed_wei)) : '—'}</td>
                <td>
                  {!e.claimed_wei && mine && node && (
                    <button
                      data-testid="claim"
                      disabled={!can.ok}
                      onClick={() => deployment && tx.send(`Claim epoch ${e.epoch}`, { address: deployment.BandwidthRewards, abi: bandwidthRewardsAbi, functionName: 'claim', args: [node as `0x${string}`, e.epoch] })}
                    >
                      Claim
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <TxStatus state={tx.state} />
      <details>
        <summary>Operator actions (need the node's API token)</summary>
        <label htmlFor={`token-${url}`}>API token (from the node's data dir; kept in this tab only)</label>
        <input id={`token-${url}`} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
        <div className="row" style={{ marginTop: '0.5rem' }}>
          <label htmlFor={`stake-${url}`} style={{ margin: 0 }}>
            Stake (DCMX{minStake.data !== undefined ? `, at least ${formatDcmx(minStake.data)}` : ''})
          </label>
          <input id={`stake-${url}`} style={{ maxWidth: '10rem' }} value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="numeric" />
          <button disabled={!token} onClick={() => operatorCall('/stake', { amount: (BigInt(amount || '0') * 10n ** 18n).toString() }, 'Stake')}>
            Stake
          </button>
          <button disabled={!token || lastEnded === undefined || lastEnded < 0} onClick={() => operatorCall('/rewards/submit', { epoch: lastEnded }, `Submit receipts for epoch ${lastEnded}`)}>
            {lastEnded !== undefined && lastEnded >= 0 ? `Submit receipts for epoch ${lastEnded}` : 'Submit receipts (after the first epoch)'}
          </button>
          <button disabled={!token} onClick={() => operatorCall('/rewards/claim', {}, 'Claim by the node')}>
            Claim by the node
          </button>
        </div>
        {msg && <p role="status">{msg}</p>}
        {held.error && <p className="bad">{describeError(held.error).message}</p>}
        {held.data && (
          <table data-testid="receipts-held">
            <caption className="muted">Receipts this node holds (automatic submission {held.data.auto ? 'on' : 'off'})</caption>
            <thead>
              <tr>
                <th scope="col">Epoch</th>
                <th scope="col">Clients</th>
                <th scope="col">Bytes</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {held.data.epochs.map((e) => (
                <tr key={e.epoch}>
                  <td>{e.epoch}</td>
                  <td>{e.clients}</td>
                  <td>{formatBytes(Number(e.bytes_held))}</td>
                  <td>
                    {e.status}
                    {e.jobs.some((j) => j.status === 'failed') ? ` (${e.jobs.filter((j) => j.status === 'failed').map((j) => `${j.key}: ${j.result}`).join('; ')})` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </section>
  )
}
