import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { NoHolderError, TrackNotRegisteredError } from '../../lib/stream/errors.ts'
import { StreamSource, safeMediaType } from '../../lib/stream/source.ts'
import type { StreamEvent } from '../../lib/stream/source.ts'
import { CHUNK, startNode, startRegistryChain, trackOf, wav } from './stream-fixture.ts'
import type { ChainFixture, FakeNode, Track } from './stream-fixture.ts'

describe('StreamSource', () => {
  let fx: ChainFixture
  let track: Track
  let unregistered: Track
  const nodes: FakeNode[] = []

  before(async () => {
    fx = await startRegistryChain()
    track = await trackOf(wav(40)) // ~3.4 MiB: three full chunks and a short last one
    unregistered = await trackOf(wav(1))
    await fx.register(track)
  })
  after(async () => {
    await Promise.all(nodes.map((n) => n.close()))
    await fx.chain.close()
  })

  async function node(behaviour: Parameters<typeof startNode>[1] = {}, t = track) {
    const n = await startNode(t, behaviour)
    nodes.push(n)
    return n
  }
  function source(urls: string[], extra: Partial<ConstructorParameters<typeof StreamSource>[1]> = {}) {
    const s = new StreamSource({}, { rpcUrl: fx.chain.url, registry: fx.registry, nodes: urls, ...extra })
    const events: StreamEvent[] = []
    s.on((e) => events.push(e))
    return { s, events }
  }
  const slice = (a: number, b: number) => track.bytes.subarray(a, b + 1)

  it('serves any byte range of a registered track, verified against the chain, naming the node per chunk', async () => {
    const a = await node()
    const { s, events } = source([a.url])
    const t = await s.track(track.hash)
    assert.equal(t.manifest.root, track.manifest.root)
    assert.equal(t.mediaType, 'audio/wav')
    const range = { start: CHUNK - 10, end: 2 * CHUNK + 10 }
    assert.deepEqual(await s.readAll(t, range), slice(range.start, range.end))
    // The next chunk is prefetched while one is read, so events may arrive out of order.
    const byChunk = [...events].sort((x, y) => (x.kind === 'served' && y.kind === 'served' ? x.chunk - y.chunk : 0))
    assert.deepEqual(byChunk, [0, 1, 2].map((chunk) => ({ kind: 'served', hash: track.hash, node: a.url, chunk })))
    // The short last chunk, exactly.
    const last = { start: track.bytes.length - 5, end: track.bytes.length - 1 }
    assert.deepEqual(await s.readAll(t, last), slice(last.start, last.end))
  })

  it('fetches each chunk once with a Range request, then serves it from the cache', async () => {
    const a = await node()
    const { s } = source([a.url])
    const t = await s.track(track.hash)
    await Promise.all([s.readAll(t, { start: 0, end: 100 }), s.readAll(t, { start: 200, end: 300 })])
    await s.readAll(t, { start: 5, end: CHUNK - 1 })
    assert.deepEqual(a.log.filter((l) => l.startsWith('GET /content')), [`GET /content/${track.hash} bytes=0-${CHUNK - 1}`])
  })

  it('refuses a track that is not registered on chain, without asking any node for its bytes', async () => {
    const a = await node({}, unregistered)
    const { s, events } = source([a.url])
    await assert.rejects(s.track(unregistered.hash), (e: unknown) => e instanceof TrackNotRegisteredError && /not registered on chain/.test(e.message))
    assert.equal(a.log.filter((l) => l.includes('/content/')).length, 0)
    assert.equal(events.at(-1)?.kind, 'error')
  })

  it('refuses a node serving a wrong chunk, names it, and takes the chunk from the next holder', async () => {
    const liar = await node({ corrupt: new Set([0]) })
    const honest = await node()
    const { s, events } = source([liar.url, honest.url])
    const t = await s.track(track.hash)
    assert.deepEqual(await s.readAll(t, { start: 0, end: 2 * CHUNK - 1 }), slice(0, 2 * CHUNK - 1))
    const bad = events.find((e) => e.kind === 'bad-chunk')
    assert.deepEqual(bad && { ...bad, reason: bad.reason.slice(0, 7) }, { kind: 'bad-chunk', hash: track.hash, node: liar.url, chunk: 0, reason: 'SHA-256' })
    assert.deepEqual(
      events
        .filter((e) => e.kind === 'served')
        .map((e) => [e.node, e.kind === 'served' && e.chunk])
        .sort((x, y) => Number(x[1]) - Number(y[1])),
      [[honest.url, 0], [honest.url, 1]],
    )
    // A node that lied is not asked again, even for chunks it would serve correctly.
    await s.readAll(t, { start: 2 * CHUNK, end: 2 * CHUNK + 1 })
    assert.equal(liar.log.filter((l) => l.startsWith(`GET /content/${track.hash} bytes=${2 * CHUNK}`)).length, 0)
    assert.deepEqual(s.badNodes().map((b) => [b.node, b.lied]), [[liar.url, true]])
  })

  it('spreads chunks over the holders (chunk i from holder i mod n first)', async () => {
    const a = await node()
    const b = await node()
    const { s, events } = source([a.url, b.url])
    const t = await s.track(track.hash)
    assert.deepEqual(await s.readAll(t, { start: 0, end: 3 * CHUNK - 1 }), slice(0, 3 * CHUNK - 1))
    assert.deepEqual(
      events
        .filter((e) => e.kind === 'served')
        .map((e) => [e.node, e.kind === 'served' && e.chunk])
        .sort((x, y) => Number(x[1]) - Number(y[1])),
      [[a.url, 0], [b.url, 1], [a.url, 2]],
    )
  })

  it('never hands out bytes of a bad chunk when no holder serves it correctly', async () => {
    const liar = await node({ corrupt: new Set([0]) })
    const { s, events } = source([liar.url])
    const t = await s.track(track.hash)
    await assert.rejects(s.readAll(t, { start: 0, end: 10 }), (e: unknown) => e instanceof NoHolderError && /chunk 0/.test(e.message))
    assert.equal(events.filter((e) => e.kind === 'served').length, 0)
  })

  it('refuses a manifest that disagrees with the chain and uses a holder whose manifest agrees', async () => {
    const other = await trackOf(wav(2))
    const forger = await node({ manifest: { ...other.manifest, contentHash: track.hash, size: track.bytes.length } })
    const honest = await node()
    const { s, events } = source([forger.url, honest.url])
    const t = await s.track(track.hash)
    assert.equal(t.holders[0], honest.url)
    const bad = events.find((e) => e.kind === 'bad-chunk')
    assert.equal(bad?.node, forger.url)
    assert.equal(bad?.kind === 'bad-chunk' && bad.chunk, null)
    assert.deepEqual(await s.readAll(t, { start: 0, end: 99 }), slice(0, 99))
  })

  it('fails with the reason when every node serves a manifest that disagrees with the chain', async () => {
    const other = await trackOf(wav(2))
    const forger = await node({ manifest: other.manifest })
    const { s } = source([forger.url])
    await assert.rejects(s.track(track.hash), (e: unknown) => e instanceof NoHolderError && /manifest is for/.test(e.message))
  })

  it('treats a node that refuses or ignores Range as failed (named) and continues with the next holder', async () => {
    const refusing = await node({ contentStatus: 503 })
    const whole = await node({ ignoreRange: true })
    const honest = await node()
    const { s, events } = source([refusing.url, whole.url, honest.url])
    const t = await s.track(track.hash)
    assert.deepEqual(await s.readAll(t, { start: 0, end: 9 }), slice(0, 9))
    const errors = events.filter((e) => e.kind === 'error')
    assert.deepEqual(errors.map((e) => e.node), [refusing.url, whole.url])
    assert.match(errors[0]?.reason ?? '', /503/)
    assert.match(errors[1]?.reason ?? '', /answered 200 to a range request/)
    assert.deepEqual(s.badNodes().map((b) => [b.node, b.lied]), [[refusing.url, false], [whole.url, false]])
  })

  it('finds holders through the catalog and falls back to the configured nodes', async () => {
    const holder = await node()
    const index = await node({ holds: false, holders: [{ host: '127.0.0.1', port: holder.port, self: false }] })
    const { s, events } = source([index.url])
    const t = await s.track(track.hash)
    assert.deepEqual(t.holders, [holder.url, index.url])
    await s.readAll(t, { start: 0, end: 0 })
    assert.deepEqual(events.filter((e) => e.kind === 'served').map((e) => e.node), [holder.url])
  })

  it('labels the stream with the node\'s audio type only: markup a node claims becomes octet-stream', async () => {
    const a = await node({ mediaType: 'text/html; charset=utf-8' })
    const { s } = source([a.url])
    assert.equal((await s.track(track.hash)).mediaType, 'application/octet-stream')
    assert.equal(safeMediaType('audio/mpeg'), 'audio/mpeg')
    assert.equal(safeMediaType('Audio/WAV; codecs=1'), 'audio/wav')
    assert.equal(safeMediaType('image/svg+xml'), 'application/octet-stream')
    assert.equal(safeMediaType(null), 'application/octet-stream')
  })

  it('reports an unreachable chain as a chain error, not as an unregistered track', async () => {
    const a = await node()
    const s = new StreamSource({}, { rpcUrl: 'http://127.0.0.1:9', registry: fx.registry, nodes: [a.url] })
    await assert.rejects(s.track(track.hash), (e: unknown) => e instanceof Error && e.name === 'ChainReadError')
  })

  it('refuses a manifest with the chain\'s chunk hashes cut at another chunk size (the root does not bind the size)', async () => {
    const forger = await node({ manifest: { ...track.manifest, chunkSize: 1_000_000 } })
    const honest = await node()
    const { s, events } = source([forger.url, honest.url])
    const t = await s.track(track.hash)
    assert.equal(t.manifest.chunkSize, CHUNK)
    const bad = events.find((e) => e.kind === 'bad-chunk')
    assert.equal(bad?.node, forger.url)
    assert.match(bad?.kind === 'bad-chunk' ? bad.reason : '', /chunks of 1000000 bytes/)
    assert.deepEqual(await s.readAll(t, { start: CHUNK - 1, end: CHUNK }), slice(CHUNK - 1, CHUNK))
  })

  it('keeps fetching a chunk another request is waiting for when the player cancels its own request (a seek)', async () => {
    const a = await node()
    const { s, events } = source([a.url])
    const t = await s.track(track.hash)
    const cancelled = new AbortController()
    const first = s.readAll(t, { start: 0, end: 99 }, cancelled.signal)
    const second = s.readAll(t, { start: 100, end: 199 })
    cancelled.abort()
    await assert.rejects(first, (e: unknown) => e instanceof Error && e.message === 'Aborted')
    assert.deepEqual(await second, slice(100, 199))
    assert.deepEqual(events.filter((e) => e.kind !== 'served'), [])
    assert.deepEqual(s.badNodes(), [])
  })

  it('retries a node that failed when every holder is resting, instead of refusing to play for the rest period', async () => {
    const flaky = await node({ contentStatus: 503 })
    const { s } = source([flaky.url])
    const t = await s.track(track.hash)
    await assert.rejects(s.readAll(t, { start: 0, end: 0 }), NoHolderError)
    flaky.behaviour.contentStatus = undefined
    assert.deepEqual(await s.readAll(t, { start: 0, end: 0 }), slice(0, 0))
  })

  it('tries at most 16 holders a catalog names (a hostile catalog can\'t make it try thousands)', async () => {
    // 200 listeners on 127.0.0.1 that drop every connection (kept open so no other test's server takes the port).
    const droppers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const srv = createServer((socket) => socket.destroy())
        await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
        return srv
      }),
    )
    after(() => Promise.all(droppers.map((d) => new Promise<void>((resolve) => d.close(() => resolve())))))
    const ports = droppers.map((d) => (d.address() as AddressInfo).port)
    const holders = ports.map((port) => ({ host: '127.0.0.1', port, self: false }))
    const index = await node({ holds: false, holders })
    const { s, events } = source([index.url], { timeoutMs: 2000 })
    await assert.rejects(s.track(track.hash), NoHolderError)
    const tried = new Set(events.filter((e) => e.kind === 'error' && e.node).map((e) => e.node))
    assert.equal(tried.size, 17) // 16 from the catalog, then the configured node
  })
})
