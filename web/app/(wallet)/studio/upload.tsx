'use client'

import { trackRegistryAbi, typedData } from '@dcmx/deployments'
import { manifestSchema, pingResponseSchema, registrationResponseSchema, uploadAuthMessage, type TrackRegistration } from '@dcmx/node/api'
import { useState } from 'react'
import { useConfig, useConnection } from 'wagmi'
import { readContract, signMessage, signTypedData } from 'wagmi/actions'

import { useAppConfig } from '@/app/providers.tsx'
import { useCanWrite } from '@/components/wallet.tsx'
import { latestChainTime } from '@/hooks/use-chain-time.ts'
import { useDeployment } from '@/hooks/use-deployment.ts'
import { describeError } from '@/lib/errors.ts'
import { formatBytes, shortAddress } from '@/lib/format.ts'
import { hashFile } from '@/lib/local-hash.ts'
import { STREAM_CHUNK_SIZE } from '@/lib/stream/verify.ts'
import { nodeRequest } from '@/lib/node-client.ts'
import { audioDuration, uploadTrack } from '@/lib/upload.ts'

type Step =
  | { step: 'idle' }
  | { step: 'authorizing' }
  | { step: 'uploading'; sent: number; total: number }
  | { step: 'hashing' }
  | { step: 'verifying' }
  | { step: 'signing'; hash: string }
  | { step: 'registering'; hash: string; registration?: TrackRegistration }
  | { step: 'registered'; hash: string; registration: TrackRegistration }
  | { step: 'failed'; message: string; cancelled?: boolean }

/** Upload -> hash (by the node) -> sign the EIP-712 registration -> the node commits and reveals it on chain. */
export function UploadTrack({ onRegistered }: { onRegistered: (hash: string) => void }) {
  const app = useAppConfig()
  const config = useConfig()
  const deployment = useDeployment()
  const { address } = useConnection()
  const can = useCanWrite()
  const [node, setNode] = useState(app.nodes[0])
  const [file, setFile] = useState<File | null>(null)
  const [title, setTitle] = useState('')
  const [artistName, setArtistName] = useState('')
  const [album, setAlbum] = useState('')
  const [s, setS] = useState<Step>({ step: 'idle' })

  async function run() {
    if (!file || !address || !deployment) return
    try {
      setS({ step: 'authorizing' })
      const { peer_id } = await nodeRequest(node, '/ping', pingResponseSchema)
      const expires = Math.floor(Date.now() / 1000) + 1800
      const uploadSig = await signMessage(config, { message: uploadAuthMessage(peer_id, address, expires) })
      const duration = await audioDuration(file)
      setS({ step: 'uploading', sent: 0, total: file.size })
      const uploaded = await uploadTrack(
        node,
        file,
        { title, artist: artistName, album: album || undefined, duration },
        { wallet: address, expires, signature: uploadSig },
        (sent, total) => setS(sent >= total ? { step: 'hashing' } : { step: 'uploading', sent, total }),
      )
      const t = uploaded.track
      // Sign only what this browser computed from the file: a node could answer with another hash or root.
      setS({ step: 'verifying' })
      const manifest = await nodeRequest(node, `/manifest/${t.content_hash}`, manifestSchema)
      // The player verifies 1 MiB chunks: a root cut at another size would register a track no browser can play.
      if (manifest.chunkSize !== STREAM_CHUNK_SIZE) throw new Error(`The node at ${node} cuts tracks into ${manifest.chunkSize}-byte chunks; players verify ${STREAM_CHUNK_SIZE}. Choose another node.`)
      const local = await hashFile(file, STREAM_CHUNK_SIZE)
      if (local.contentHash !== t.content_hash || manifest.contentHash !== local.contentHash || manifest.root !== local.root || manifest.size !== file.size) {
        throw new Error(`The node at ${node} answered a hash or manifest that does not match your file; nothing was signed. Try another node.`)
      }
      setS({ step: 'signing', hash: local.contentHash })
      const nonce = await readContract(config, { address: deployment.TrackRegistry, abi: trackRegistryAbi, functionName: 'nonces', args: [address] })
      const deadline = BigInt((await latestChainTime(config)) + 3600)
      const message = {
        contentHash: `0x${local.contentHash}`,
        manifestRoot: `0x${local.root}`,
        size: BigInt(file.size),
        duration: Math.round(duration),
        title,
        artistName,
        album,
        metadataURI: '',
        artist: address,
        nonce,
        deadline,
      } as const
      const signature = await signTypedData(config, {
        domain: { ...typedData.register.domain, chainId: app.chainId, verifyingContract: deployment.TrackRegistry },
        types: typedData.register.types,
        primaryType: 'Register',
        message,
      })
      setS({ step: 'registering', hash: local.contentHash })
      const requested = await nodeRequest(node, `/tracks/${local.contentHash}/registration`, registrationResponseSchema, {
        body: {
          artist: address,
          deadline: deadline.toString(),
          signature,
          manifest_root: message.manifestRoot,
          size: file.size,
          duration: message.duration,
          title,
          artist_name: artistName,
          album,
          metadata_uri: '',
        },
      })
      const claimedBy = (r: TrackRegistration) => (r.artist.toLowerCase() === address.toLowerCase() ? null : r.artist)
      if (claimedBy(requested.registration)) throw new Error(`This track's registration is already under way for ${shortAddress(requested.registration.artist)}, not you.`)
      for (;;) {
        const r = await nodeRequest(node, `/tracks/${local.contentHash}/registration`, registrationResponseSchema.pick({ content_hash: true, registration: true }))
        if (claimedBy(r.registration)) throw new Error(`This track was registered for ${shortAddress(r.registration.artist)}, not you.`)
        if (r.registration.state === 'registered') {
          setS({ step: 'registered', hash: local.contentHash, registration: r.registration })
          onRegistered(local.contentHash)
          return
        }
        if (r.registration.state === 'failed') throw new Error(`Registration failed: ${r.registration.reason ?? 'unknown reason'}`)
        setS({ step: 'registering', hash: local.contentHash, registration: r.registration })
        await new Promise((res) => setTimeout(res, 700))
      }
    } catch (error) {
      const d = describeError(error)
      setS({ step: 'failed', message: d.message, cancelled: d.kind === 'cancelled' })
    }
  }

  const busy = !['idle', 'registered', 'failed'].includes(s.step)
  return (
    <form
      className="panel"
      onSubmit={(e) => {
        e.preventDefault()
        void run()
      }}
    >
      <h2>Upload and register a track</h2>
      <label htmlFor="file">Audio file (WAV, MP3, FLAC, OGG)</label>
      <input id="file" type="file" accept="audio/*" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      <label htmlFor="title">Title</label>
      <input id="title" required maxLength={300} value={title} onChange={(e) => setTitle(e.target.value)} />
      <label htmlFor="artist-name">Artist name</label>
      <input id="artist-name" required maxLength={300} value={artistName} onChange={(e) => setArtistName(e.target.value)} />
      <label htmlFor="album">Album (optional)</label>
      <input id="album" maxLength={300} value={album} onChange={(e) => setAlbum(e.target.value)} />
      {app.nodes.length > 1 && (
        <>
          <label htmlFor="node">Node</label>
          <select id="node" value={node} onChange={(e) => setNode(e.target.value)}>
            {app.nodes.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </>
      )}
      <p>
        <button type="submit" disabled={!can.ok || busy || !file} data-testid="upload">
          Upload and register
        </button>
      </p>
      {!can.ok && <p className="muted">{can.reason}</p>}
      <StepView s={s} />
    </form>
  )
}

function StepView({ s }: { s: Step }) {
  const steps = ['authorizing', 'uploading', 'hashing', 'verifying', 'signing', 'registering', 'registered'] as const
  if (s.step === 'idle') return null
  if (s.step === 'failed') return <p className={s.cancelled ? 'warn' : 'bad'} role="alert" data-testid="upload-status" data-step="failed">{s.cancelled ? 'Cancelled.' : s.message}</p>
  const at = steps.indexOf(s.step)
  const pct = s.step === 'uploading' ? Math.floor((100 * s.sent) / Math.max(1, s.total)) : at > 1 ? 100 : 0
  return (
    <div role="status" aria-live="polite" data-testid="upload-status" data-step={s.step}>
      <label htmlFor="upload-progress">Upload {pct}%{s.step === 'uploading' ? ` (${formatBytes(s.sent)} of ${formatBytes(s.total)})` : ''}</label>
      <progress id="upload-progress" max={100} value={pct} data-testid="upload-progress" />
      <ol>
        <li className={at > 0 ? 'ok' : ''}>Authorize the upload (wallet signature)</li>
        <li className={at > 1 ? 'ok' : ''}>Upload</li>
        <li className={at > 2 ? 'ok' : ''}>Hashing and manifest (by the node)</li>
        <li className={at > 3 ? 'ok' : ''}>Checking the node's hash and manifest against your file</li>
        <li className={at > 4 ? 'ok' : ''}>Sign the registration (EIP-712)</li>
        <li className={at > 5 ? 'ok' : ''}>
          On chain: {s.step === 'registering' && s.registration ? s.registration.state : s.step === 'registered' ? 'registered' : 'waiting'}
          {'registration' in s && s.registration?.register_tx && <span className="mono muted"> {s.registration.register_tx}</span>}
        </li>
      </ol>
    </div>
  )
}
