import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import dns from 'node:dns'
import { open } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import type { Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { fallbackRouter } from '@helia/fallback-router'
import { withHTTP } from '@helia/http'
import { createVerifiedFetchWithHelia } from '@helia/verified-fetch'
import { createHeliaLight } from 'helia'

import type { AddTrackResponse } from '../../src/api.ts'
import { leafCid } from '../../src/ipfs/dag.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, upload } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const MiB = 1 << 20

/**
 * Everything Helia tries to reach while a test runs: TCP connections (node:net's diagnostics
 * channel sees every client socket, undici's included), the URLs undici requests, and DNS lookups.
 */
class NetworkRecorder {
  sockets: string[] = []
  requests: string[] = []
  lookups: string[] = []
  #restore: Array<() => void> = []

  start(): void {
    const onSocket = ({ socket }: { socket: Socket }): void => {
      socket.once('connect', () => this.sockets.push(`${socket.remoteAddress}:${socket.remotePort}`))
      socket.once('lookup', (_e: unknown, address: string) => this.lookups.push(`socket-lookup ${address}`))
    }
    const onRequest = ({ request }: { request: { origin: string; path: string } }): void => {
      this.requests.push(`${request.origin}${request.path}`)
    }
    diagnostics.subscribe('net.client.socket', onSocket as (m: unknown) => void)
    diagnostics.subscribe('undici:request:create', onRequest as (m: unknown) => void)
    this.#restore.push(() => diagnostics.unsubscribe('net.client.socket', onSocket as (m: unknown) => void))
    this.#restore.push(() => diagnostics.unsubscribe('undici:request:create', onRequest as (m: unknown) => void))
    // No name should be resolved at all: record (and refuse) any lookup or resolve.
    const d = dns as unknown as Record<string, unknown>
    const p = dns.promises as unknown as Record<string, unknown>
    for (const [obj, name] of [
      [d, 'lookup'],
      [d, 'resolve'],
      [d, 'resolveTxt'],
      [d, 'resolve4'],
      [d, 'resolve6'],
      [p, 'lookup'],
      [p, 'resolve'],
      [p, 'resolveTxt'],
    ] as const) {
      const original = obj[name]
      obj[name] = (host: string, ...rest: unknown[]) => {
        this.lookups.push(`${name} ${host}`)
        const cb = rest.at(-1)
        const err = Object.assign(new Error(`DNS ${name}(${host}) refused by the test`), { code: 'ENOTFOUND' })
        if (typeof cb === 'function') return void process.nextTick(() => (cb as (e: Error) => void)(err))
        return Promise.reject(err)
      }
      this.#restore.push(() => {
        obj[name] = original
      })
    }
    syncBuiltinESMExports()
  }

  stop(): void {
    for (const r of this.#restore.reverse()) r()
    this.#restore = []
    syncBuiltinESMExports()
  }
}

/**
 * A Helia with no libp2p, no delegated routing, no public gateways: its one router names the DCMX
 * node as the trustless-gateway provider of every CID. (Helia's fallback router alone is not
 * enough: with no regular router, its provider search waits forever.)
 */
async function offlineHelia(gateway: string) {
  const gatewayRouter = fallbackRouter({ gateways: [gateway], shuffle: false })
  const findProviders = gatewayRouter.findProviders?.bind(gatewayRouter)
  assert.ok(findProviders)
  const dcmxRouter = { name: 'dcmx-node', findProviders }
  const helia = withHTTP(createHeliaLight({ routers: [dcmxRouter] }), {
    delegatedRouters: [],
    recursiveGateways: [],
    allowInsecure: true,
    allowLocal: true,
  })
  await helia.start()
  return helia
}

describe('Helia (a real IPFS implementation) against a DCMX node', () => {
  let node: TestNode
  let liar: TestNode
  const net = new NetworkRecorder()
  const bytes = randomBytesOf(3.5 * MiB, 31)
  const otherBytes = randomBytesOf(3.5 * MiB, 32)

  before(async () => {
    node = await startNode()
    liar = await startNode()
    net.start()
  })
  after(async () => {
    net.stop()
    await liar.cleanup()
    await node.cleanup()
  })

  it('retrieves a track by CID through the trustless gateway, verifying every block, offline', async () => {
    const { track } = (await (await upload(node, bytes)).json()) as AddTrackResponse
    const first = net.requests.length
    const helia = await offlineHelia(node.url)
    const verifiedFetch = await createVerifiedFetchWithHelia(helia)
    try {
      const res = await verifiedFetch(`ipfs://${track.cid}`, { signal: AbortSignal.timeout(20_000) })
      assert.equal(res.status, 200)
      const got = Buffer.from(await res.arrayBuffer())
      assert.ok(got.equals(bytes), 'bytes equal the upload')
      // Helia holds every block now, each one hash-checked by its block storage on the way in.
      const manifest = node.tracks.getManifest(track.content_hash)
      assert.ok(manifest)
      for (const chunk of manifest.chunks) assert.ok(await helia.blockstore.has(leafCid(chunk)), 'leaf fetched')
    } finally {
      await verifiedFetch.stop()
      await helia.stop()
    }
    const origin = new URL(node.url).origin
    const heliaRequests = net.requests.slice(first)
    assert.ok(heliaRequests.length >= 5, `requests: ${heliaRequests.join(', ')}`)
    for (const r of heliaRequests) assert.ok(r.startsWith(`${origin}/ipfs/`), `only our node was asked: ${r}`)
    for (const s of net.sockets) assert.match(s, /^127\.0\.0\.1:\d+$/, 'only loopback sockets')
    assert.deepEqual(net.lookups, [], 'no DNS')
  })

  it('refuses a node whose stored chunk was corrupted on disk', async () => {
    const { track } = (await (await upload(liar, otherBytes)).json()) as AddTrackResponse
    // Flip one byte of the second chunk in the stored file: the node now serves a lying block.
    const fh = await open(liar.store.pathOf(track.content_hash), 'r+')
    const b = Buffer.alloc(1)
    await fh.read(b, 0, 1, MiB + 123)
    b[0] ^= 0xff
    await fh.write(b, 0, 1, MiB + 123)
    await fh.close()
    const manifest = liar.tracks.getManifest(track.content_hash)
    assert.ok(manifest)
    const badLeaf = leafCid(manifest.chunks[1])

    const helia = await offlineHelia(liar.url)
    const verifiedFetch = await createVerifiedFetchWithHelia(helia)
    const before = net.requests.length
    try {
      let body: Buffer | undefined
      try {
        const res = await verifiedFetch(`ipfs://${track.cid}`, { signal: AbortSignal.timeout(5_000) })
        if (res.ok) body = Buffer.from(await res.arrayBuffer())
      } catch {
        // refused: the retrieval fails
      }
      assert.equal(body, undefined, 'no bytes are delivered from a lying node')
      assert.equal(await helia.blockstore.has(badLeaf), false, 'the corrupted block was not stored')
      assert.ok(
        net.requests.slice(before).some((r) => r.includes(badLeaf.toString())),
        'the corrupted block was requested (and then refused)',
      )
    } finally {
      await verifiedFetch.stop()
      await helia.stop()
    }
    for (const s of net.sockets) assert.match(s, /^127\.0\.0\.1:\d+$/)
    assert.deepEqual(net.lookups, [])
  })
})
