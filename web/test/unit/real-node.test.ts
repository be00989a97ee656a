/**
 * StreamSource against a real DCMX mesh node (the node package's own test helper: fastify routes, Range, CORS, the
 * manifest it computed on upload), the track registered on a real chain. The node runs without a chain here, so its
 * catalog is unavailable and the source falls back to the configured node.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { startNode as startDcmxNode, upload } from '../../../node/test/helpers.ts'
import { streamResponse } from '../../lib/stream/respond.ts'
import { StreamSource } from '../../lib/stream/source.ts'
import type { StreamEvent } from '../../lib/stream/source.ts'
import { CHUNK, startRegistryChain, trackOf, wav } from './stream-fixture.ts'
import type { ChainFixture, Track } from './stream-fixture.ts'

describe('StreamSource with a real DCMX node', () => {
  let fx: ChainFixture
  let track: Track
  let node: Awaited<ReturnType<typeof startDcmxNode>>

  before(async () => {
    fx = await startRegistryChain()
    track = await trackOf(wav(30))
    await fx.register(track)
    node = await startDcmxNode()
    const res = await upload(node, track.bytes, { title: 'Fixture tone', artist: 'Fixture' })
    assert.equal(res.status, 201, await res.clone().text())
  })
  after(async () => {
    await node.cleanup()
    await fx.chain.close()
  })

  it('verifies the node\'s manifest against the chain and serves ranges across chunks from its /content', async () => {
    const s = new StreamSource({}, { rpcUrl: fx.chain.url, registry: fx.registry, nodes: [node.url] })
    const events: StreamEvent[] = []
    s.on((e) => events.push(e))
    const t = await s.track(track.hash)
    assert.equal(t.manifest.root, track.manifest.root)
    assert.equal(t.mediaType, 'audio/wav')
    const range = { start: CHUNK - 3, end: CHUNK + 3 }
    assert.deepEqual(await s.readAll(t, range), track.bytes.subarray(range.start, range.end + 1))
    assert.deepEqual(events.filter((e) => e.kind === 'bad-chunk'), [])
    assert.ok(events.some((e) => e.kind === 'served' && e.node === node.url))
  })

  it('answers the player through the worker\'s response builder with the node\'s bytes', async () => {
    const s = new StreamSource({}, { rpcUrl: fx.chain.url, registry: fx.registry, nodes: [node.url] })
    const res = await streamResponse(s, track.hash, { method: 'GET', headers: new Headers({ range: 'bytes=0-' }) })
    assert.equal(res.status, 206)
    assert.equal(res.headers.get('content-range'), `bytes 0-${2 * CHUNK - 1}/${track.bytes.length}`)
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), track.bytes.subarray(0, 2 * CHUNK))
  })
})
