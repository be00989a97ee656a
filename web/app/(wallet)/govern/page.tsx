'use client'

import { dcmxGovernorAbi, dcmxTokenAbi, deploymentBlocks } from '@dcmx/deployments'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { encodeFunctionData, keccak256, toHex } from 'viem'
import { useConnection, usePublicClient, useReadContract, useReadContracts } from 'wagmi'

import { useAppConfig } from '@/app/providers.tsx'
import { TxStatus } from '@/components/tx-status.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { useChainTime } from '@/hooks/use-chain-time.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { useTx } from '@/hooks/use-tx.ts'
import { LOCAL_CHAIN_ID } from '@/lib/config.ts'
import { formatDcmx } from '@/lib/format.ts'
import { PARAMETERS, PROPOSAL_STATES, type Parameter } from '@/lib/parameters.ts'

type Proposal = { id: bigint; proposer: string; targets: readonly `0x${string}`[]; values: readonly bigint[]; calldatas: readonly `0x${string}`[]; description: string; voteStart: bigint; voteEnd: bigint }

export default function GovernPage() {
  const deployment = useDeployment()
  const app = useAppConfig()
  const { address } = useConnection()
  const client = usePublicClient()
  const can = useCanWrite()
  const tx = useTx()
  const { block } = useChainTime()
  const votes = useReadContract({ address: deployment?.DCMXGovernor, abi: dcmxGovernorAbi, functionName: 'getVotes', args: address && block !== undefined ? [address, BigInt(block - 1)] : undefined, query: { enabled: !!address && !!deployment && block !== undefined, refetchInterval: 3_000 } })
  const delegate = useReadContract({ address: deployment?.DCMXToken, abi: dcmxTokenAbi, functionName: 'delegates', args: address ? [address] : undefined, query: { enabled: !!address && !!deployment, refetchInterval: 3_000 } })
  const proposals = useQuery({
    queryKey: ['proposals', deployment?.DCMXGovernor],
    enabled: !!client && !!deployment,
    refetchInterval: 3_000,
    queryFn: async () => {
      const logs = await client!.getContractEvents({
        address: deployment!.DCMXGovernor,
        abi: dcmxGovernorAbi,
        eventName: 'ProposalCreated',
        fromBlock: BigInt((deploymentBlocks as Record<string, number>)[String(app.chainId)] ?? 0),
      })
      return logs.map((l) => ({ id: l.args.proposalId!, proposer: l.args.proposer!, targets: l.args.targets!, values: l.args.values!, calldatas: l.args.calldatas!, description: l.args.description!, voteStart: l.args.voteStart!, voteEnd: l.args.voteEnd! }) as Proposal).reverse()
    },
  })

  return (
    <>
      <h1>Govern</h1>
      <div className="panel">
        <p>
          Your voting power: <strong data-testid="votes">{votes.data !== undefined ? formatDcmx(votes.data) : '…'}</strong>
          {delegate.data && address && delegate.data.toLowerCase() !== address.toLowerCase() && <span className="muted"> (your tokens are not delegated to you)</span>}
        </p>
        <button disabled={!can.ok || !address} data-testid="delegate" onClick={() => deployment && address && tx.send('Delegate to myself', { address: deployment.DCMXToken, abi: dcmxTokenAbi, functionName: 'delegate', args: [address] })}>
          Delegate my votes to myself
        </button>
        <TxStatus state={tx.state} />
      </div>
      <Parameters />
      <Propose />
      <h2>Proposals</h2>
      {proposals.data?.length === 0 && <p className="muted">No proposals yet.</p>}
      {proposals.data?.map((p) => <ProposalCard key={p.id.toString()} p={p} />)}
      {app.chainId === LOCAL_CHAIN_ID && <LocalTime />}
    </>
  )
}

function Parameters() {
  const deployment = useDeployment()
  const reads = useReadContracts({
    contracts: PARAMETERS.map((p) => ({ address: deployment?.[p.contract], abi: p.abi, functionName: p.getter })),
    query: { enabled: !!deployment, refetchInterval: 3_000 },
  })
  return (
    <section className="panel">
      <h2 style={{ marginTop: 0 }}>Protocol parameters</h2>
      <table>
        <tbody>
          {PARAMETERS.map((p, i) => (
            <tr key={p.key}>
              <th scope="row">{p.label}</th>
              <td data-testid={`param-${p.key}`}>{reads.data?.[i]?.result !== undefined ? `${p.fromValue(reads.data[i].result as bigint)} ${p.unit}` : '…'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function Propose() {
  const deployment = useDeployment()
  const can = useCanWrite()
  const tx = useTx()
  const [key, setKey] = useState(PARAMETERS[0].key)
  const [value, setValue] = useState('')
  const [why, setWhy] = useState('')
  const p = PARAMETERS.find((x) => x.key === key) as Parameter
  async function propose() {
    if (!deployment) return
    const data = encodeFunctionData({ abi: p.abi, functionName: p.setter, args: [p.toArg(value)] })
    const description = `Set ${p.label} to ${value} ${p.unit}${why ? `\n\n${why}` : ''}`
    await tx.send('Propose', { address: deployment.DCMXGovernor, abi: dcmxGovernorAbi, functionName: 'propose', args: [[deployment[p.contract]], [0n], [data], description] })
  }
  return (
    <form
      className="panel"
      onSubmit={(e) => {
        e.preventDefault()
        void propose()
      }}
    >
      <h2 style={{ marginTop: 0 }}>Propose a parameter change</h2>
      <label htmlFor="param">Parameter</label>
      <select id="param" value={key} onChange={(e) => setKey(e.target.value)}>
        {PARAMETERS.map((x) => (
          <option key={x.key} value={x.key}>
            {x.label} ({x.unit})
          </option>
        ))}
      </select>
      <label htmlFor="param-value">New value ({p.unit})</label>
      <input id="param-value" required inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />
      <label htmlFor="param-why">Why (optional)</label>
      <textarea id="param-why" rows={2} value={why} onChange={(e) => setWhy(e.target.value)} />
      <p>
        <button type="submit" disabled={!can.ok || !value} data-testid="propose">
          Propose
        </button>
      </p>
      <TxStatus state={tx.state} />
    </form>
  )
}

function ProposalCard({ p }: { p: Proposal }) {
  const deployment = useDeployment()
  const can = useCanWrite()
  const tx = useTx()
  const state = useReadContract({ address: deployment?.DCMXGovernor, abi: dcmxGovernorAbi, functionName: 'state', args: [p.id], query: { enabled: !!deployment, refetchInterval: 2_000 } })
  const tally = useReadContract({ address: deployment?.DCMXGovernor, abi: dcmxGovernorAbi, functionName: 'proposalVotes', args: [p.id], query: { enabled: !!deployment, refetchInterval: 2_000 } })
  const name = state.data !== undefined ? PROPOSAL_STATES[state.data] : '…'
  const descriptionHash = keccak256(toHex(p.description))
  const gov = deployment?.DCMXGovernor
  const args = [p.targets, p.values, p.calldatas, descriptionHash] as const
  return (
    <article className="panel" data-testid="proposal">
      <p style={{ whiteSpace: 'pre-wrap' }}>
        <strong>{p.description.split('\n')[0]}</strong>
      </p>
      <p>
        State: <strong data-testid="proposal-state">{name}</strong>
        {tally.data && (
          <>
            {' '}
            · for {formatDcmx(tally.data[1])} · against {formatDcmx(tally.data[0])} · abstain {formatDcmx(tally.data[2])}
          </>
        )}
      </p>
      <div className="row">
        {name === 'Active' && gov && (
          <>
            <button disabled={!can.ok} data-testid="vote-for" onClick={() => tx.send('Vote for', { address: gov, abi: dcmxGovernorAbi, functionName: 'castVote', args: [p.id, 1] })}>
              Vote for
            </button>
            <button className="secondary" disabled={!can.ok} onClick={() => tx.send('Vote against', { address: gov, abi: dcmxGovernorAbi, functionName: 'castVote', args: [p.id, 0] })}>
              Vote against
            </button>
            <button className="secondary" disabled={!can.ok} onClick={() => tx.send('Abstain', { address: gov, abi: dcmxGovernorAbi, functionName: 'castVote', args: [p.id, 2] })}>
              Abstain
            </button>
          </>
        )}
        {name === 'Succeeded' && gov && (
          <button disabled={!can.ok} data-testid="queue" onClick={() => tx.send('Queue', { address: gov, abi: dcmxGovernorAbi, functionName: 'queue', args })}>
            Queue
          </button>
        )}
        {name === 'Queued' && gov && (
          <button disabled={!can.ok} data-testid="execute" onClick={() => tx.send('Execute', { address: gov, abi: dcmxGovernorAbi, functionName: 'execute', args })}>
            Execute
          </button>
        )}
      </div>
      <TxStatus state={tx.state} />
    </article>
  )
}

/** Local chain only: move the chain's clock forward (voting delay, voting period and timelock are days long). */
function LocalTime() {
  const app = useAppConfig()
  const [msg, setMsg] = useState<string | null>(null)
  async function skip(seconds: number) {
    for (const [method, params] of [
      ['evm_increaseTime', [seconds]],
      ['evm_mine', []],
    ] as const) {
      await fetch(app.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
    }
    setMsg(`Moved the local chain ${seconds / 86400} day(s) ahead.`)
  }
  return (
    <section className="panel">
      <h2 style={{ marginTop: 0 }}>Local chain clock</h2>
      <p className="muted">Voting delay, voting period and the timelock last days. On the local chain you can skip ahead.</p>
      <div className="row">
        <button className="secondary" onClick={() => skip(86400)} data-testid="skip-day">
          +1 day
        </button>
        <button className="secondary" onClick={() => skip(7 * 86400)} data-testid="skip-week">
          +7 days
        </button>
      </div>
      {msg && <p role="status">{msg}</p>}
    </section>
  )
}
