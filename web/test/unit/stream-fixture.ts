/**
 * Fixtures for the streaming tests: a real chain (Hardhat/EDR over loopback, the node package's test helper) with a
 * real TrackRegistry and a registered track, and real HTTP servers on 127.0.0.1 that speak the node's content API
 * (`/catalog/tracks/:hash`, `/manifest/:hash`, `GET/HEAD /content/:hash` with Range) over a real WAV file, each
 * with a switch to misbehave the way a hostile node would.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import type { Address, Hex } from 'viem'

import { computeManifest } from '../../../node/src/core/manifest.ts'
import { startTestChain } from '../../../node/test/chain/test-chain.ts'
import type { TestChain } from '../../../node/test/chain/test-chain.ts'

export const CHUNK = 1 << 20

/** A real PCM WAV file (mono, 16-bit, 44.1 kHz) of a 440 Hz tone, `seconds` long. */
export function wav(seconds: number): Uint8Array {
  const rate = 44_100
  const samples = Math.floor(seconds * rate)
  const buf = Buffer.alloc(44 + samples * 2)
  buf.write('RIFF', 0)
  buf.writeUInt32LE(36 + samples * 2, 4)
  buf.write('WAVE', 8)
  buf.write('fmt ', 12)
  buf.writeUInt32LE(16, 16)
  buf.writeUInt16LE(1, 20)
  buf.writeUInt16LE(1, 22)
  buf.writeUInt32LE(rate, 24)
  buf.writeUInt32LE(rate * 2, 28)
  buf.writeUInt16LE(2, 32)
  buf.writeUInt16LE(16, 34)
  buf.write('data', 36)
  buf.writeUInt32LE(samples * 2, 40)
  for (let i = 0; i < samples; i++) buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12_000), 44 + i * 2)
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

export interface Track {
  bytes: Uint8Array
  manifest: Awaited<ReturnType<typeof computeManifest>>
  hash: string
}

export async function trackOf(bytes: Uint8Array): Promise<Track> {
  const manifest = await computeManifest(bytes, { chunkSize: CHUNK })
  return { bytes, manifest, hash: manifest.contentHash }
}

export interface ChainFixture {
  chain: TestChain
  registry: Address
  register: (t: Track) => Promise<void>
}

/** A test chain with a TrackRegistry (1 s minimum commit age, as the local network) deployed. */
export async function startRegistryChain(): Promise<ChainFixture> {
  const chain = await startTestChain()
  const [owner] = await chain.viem.getWalletClients()
  if (!owner) throw new Error('no wallet on the test chain')
  const registry = await chain.viem.deployContract('TrackRegistry', [owner.account.address, 1, 86_400])
  return {
    chain,
    registry: registry.address,
    register: async (t) => {
      const salt = `0x${randomBytes(32).toString('hex')}` as Hex
      const contentHash = `0x${t.hash}` as Hex
      const commitment = await registry.read.commitmentOf([contentHash, owner.account.address, salt])
      await registry.write.commit([commitment])
      await chain.provider.request({ method: 'evm_increaseTime', params: [2] })
      await chain.mine()
      await registry.write.register([
        {
          contentHash,
          manifestRoot: `0x${t.manifest.root}`,
          size: BigInt(t.bytes.length),
          duration: 60,
          title: 'Fixture tone',
          artistName: 'Fixture',
          album: '',
          metadataURI: '',
        },
        salt,
      ])
    },
  }
}

/** How a fake node misbehaves (all off: an honest node). */
export interface NodeBehaviour {
  /** Chunk indexes served with one byte flipped. */
  corrupt?: Set<number>
  /** Serve this instead of the real manifest. */
  manifest?: unknown
  /** Answer every /content GET with this status and no body. */
  contentStatus?: number
  /** Ignore Range: send the whole file with 200. */
  ignoreRange?: boolean
  /** Media type in the content responses. */
  mediaType?: string
  /** Holders in the catalog answer (default: only itself). */
  holders?: { host: string; port: number; self: boolean }[]
  /** Whether it holds the content at all (404 on /manifest and /content otherwise). */
  holds?: boolean
}

export interface FakeNode {
  url: string
  port: number
  behaviour: NodeBehaviour
  /** Requests seen, as `METHOD path range`. */
  log: string[]
  close: () => Promise<void>
}

/** A real HTTP server on 127.0.0.1 speaking the DCMX node's content API for `track`. */
export async function startNode(track: Track, behaviour: NodeBehaviour = {}): Promise<FakeNode> {
  const log: string[] = []
  const node = { behaviour, log } as FakeNode
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const b = node.behaviour
    const path = new URL(req.url ?? '/', 'http://x').pathname
    log.push(`${req.method} ${path} ${req.headers.range ?? ''}`.trim())
    // As the real node's CORS: a page (or its service worker) on another origin may read the range headers.
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-expose-headers', 'content-range, accept-ranges, content-length, content-type, etag')
    const holds = b.holds !== false
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (path === `/catalog/tracks/${track.hash}`) {
      const holders = b.holders ?? [{ host: '127.0.0.1', port: node.port, self: true }]
      return json(200, {
        track: {
          content_hash: track.hash,
          artist: `0x${'11'.repeat(20)}`,
          registered_by: `0x${'11'.repeat(20)}`,
          title: 'Fixture tone',
          artist_name: 'Fixture',
          album: '',
          size: track.bytes.length,
          duration: 60,
          manifest_root: track.manifest.root,
          metadata_uri: '',
          registered: { block: 1, tx: `0x${'22'.repeat(32)}`, log_index: 0 },
          holders: holders.map((h, i) => ({ peer_id: `0x${String(i + 1).padStart(40, '0')}`, ...h })),
        },
        editions: [],
      })
    }
    if (path === `/manifest/${track.hash}`) return holds ? json(200, b.manifest ?? track.manifest) : json(404, { error: 'NotFound', message: 'no such track' })
    if (path === `/content/${track.hash}`) {
      if (!holds) return json(404, { error: 'NotFound', message: 'no such track' })
      if (b.contentStatus && req.method === 'GET') {
        res.writeHead(b.contentStatus)
        return res.end()
      }
      const size = track.bytes.length
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
      const headers = { 'content-type': b.mediaType ?? 'audio/wav', 'accept-ranges': 'bytes' }
      let start = 0
      let end = size - 1
      let status = 200
      if (m && !b.ignoreRange) {
        start = Number(m[1])
        end = Math.min(Number(m[2]), size - 1)
        status = 206
        Object.assign(headers, { 'content-range': `bytes ${start}-${end}/${size}` })
      }
      const body = Buffer.from(track.bytes.subarray(start, end + 1))
      for (const c of b.corrupt ?? []) {
        const at = c * CHUNK - start
        if (at >= 0 && at < body.length) body[at] = (body[at] as number) ^ 0xff
      }
      res.writeHead(status, { ...headers, 'content-length': String(body.length) })
      return res.end(req.method === 'HEAD' ? undefined : body)
    }
    json(404, { error: 'NotFound', message: path })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  node.port = (server.address() as AddressInfo).port
  node.url = `http://127.0.0.1:${node.port}`
  node.close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return node
}

/** A 40 s track registered on a fresh chain, served by a node that corrupts every chunk and by an honest one. */
export async function registeredTrackWithLiar(): Promise<{ fx: ChainFixture; track: Track; liar: FakeNode; honest: FakeNode }> {
  const fx = await startRegistryChain()
  const track = await trackOf(wav(40))
  await fx.register(track)
  const liar = await startNode(track, { corrupt: new Set([0, 1, 2, 3]) })
  const honest = await startNode(track)
  return { fx, track, liar, honest }
}
