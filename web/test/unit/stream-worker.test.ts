import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { parseStreamWorkerConfig, streamWorkerUrl } from '../../lib/stream/config.ts'
import { isStreamMessage, isWarmMessage, toStreamMessage, warmMessage } from '../../lib/stream/messages.ts'
import { streamHashOf, streamResponse } from '../../lib/stream/respond.ts'
import { StreamSource } from '../../lib/stream/source.ts'
import { CHUNK, registeredTrackWithLiar } from './stream-fixture.ts'
import type { ChainFixture, FakeNode, Track } from './stream-fixture.ts'

const get = (range?: string, method = 'GET') => ({ method, headers: new Headers(range === undefined ? {} : { range }) })

describe('stream worker responses', () => {
  let fx: ChainFixture
  let track: Track
  let honest: FakeNode
  let liar: FakeNode
  let source: StreamSource

  before(async () => {
    ;({ fx, track, liar, honest } = await registeredTrackWithLiar())
    source = new StreamSource({}, { rpcUrl: fx.chain.url, registry: fx.registry, nodes: [liar.url, honest.url] })
  })
  after(async () => {
    await Promise.all([liar.close(), honest.close()])
    await fx.chain.close()
  })

  const size = () => track.bytes.length

  it('answers a closed range with 206, exact headers and the verified bytes', async () => {
    const res = await streamResponse(source, track.hash, get('bytes=100-199'))
    assert.equal(res.status, 206)
    assert.equal(res.headers.get('content-range'), `bytes 100-199/${size()}`)
    assert.equal(res.headers.get('content-length'), '100')
    assert.equal(res.headers.get('accept-ranges'), 'bytes')
    assert.equal(res.headers.get('content-type'), 'audio/wav')
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), track.bytes.subarray(100, 200))
  })

  it('answers the player\'s first `bytes=0-` with the first two chunks, not the whole track', async () => {
    const res = await streamResponse(source, track.hash, get('bytes=0-'))
    assert.equal(res.status, 206)
    assert.equal(res.headers.get('content-range'), `bytes 0-${2 * CHUNK - 1}/${size()}`)
    const body = new Uint8Array(await res.arrayBuffer())
    assert.equal(String(body.byteLength), res.headers.get('content-length'))
    assert.deepEqual(body, track.bytes.subarray(0, 2 * CHUNK))
  })

  it('answers a seek near the end with the rest of the track', async () => {
    const start = size() - 1000
    const res = await streamResponse(source, track.hash, get(`bytes=${start}-`))
    assert.equal(res.headers.get('content-range'), `bytes ${start}-${size() - 1}/${size()}`)
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), track.bytes.subarray(start))
  })

  it('answers no Range with 200 and the whole verified track', async () => {
    const res = await streamResponse(source, track.hash, get())
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-length'), String(size()))
    assert.equal(res.headers.get('content-range'), null)
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), track.bytes)
  })

  it('answers HEAD with the headers only', async () => {
    const res = await streamResponse(source, track.hash, get('bytes=0-9', 'HEAD'))
    assert.equal(res.status, 206)
    assert.equal(res.headers.get('content-length'), '10')
    assert.equal(res.body, null)
  })

  it('answers a range past the end with 416 and `bytes */size`', async () => {
    const res = await streamResponse(source, track.hash, get(`bytes=${size()}-`))
    assert.equal(res.status, 416)
    assert.equal(res.headers.get('content-range'), `bytes */${size()}`)
  })

  it('answers a huge Range header with 416 without fetching anything', async () => {
    const before = honest.log.length + liar.log.length
    const res = await streamResponse(source, track.hash, get(`bytes=0-${'9'.repeat(100_000)}`))
    assert.equal(res.status, 416)
    assert.equal(honest.log.length + liar.log.length, before)
  })

  it('answers 404 for a track not registered on chain', async () => {
    const res = await streamResponse(source, 'ab'.repeat(32), get('bytes=0-'))
    assert.equal(res.status, 404)
    assert.match(await res.text(), /not registered on chain/)
  })

  it('answers 405 to a write', async () => {
    assert.equal((await streamResponse(source, track.hash, get(undefined, 'POST'))).status, 405)
  })

  it('served every byte above from the honest node after the liar was caught', () => {
    assert.ok(source.badNodes().some((b) => b.node === liar.url && b.lied))
  })
})

describe('stream worker plumbing', () => {
  it('matches only same-origin /stream/<64 lowercase hex> URLs', () => {
    const h = 'ab'.repeat(32)
    assert.equal(streamHashOf(`http://localhost:3000/stream/${h}`, 'http://localhost:3000'), h)
    assert.equal(streamHashOf(`http://localhost:3000/stream/${h}?x=1`, 'http://localhost:3000'), h)
    assert.equal(streamHashOf(`http://evil.test/stream/${h}`, 'http://localhost:3000'), undefined)
    assert.equal(streamHashOf(`http://localhost:3000/stream/${h.toUpperCase()}`, 'http://localhost:3000'), undefined)
    assert.equal(streamHashOf(`http://localhost:3000/stream/${h}/x`, 'http://localhost:3000'), undefined)
    assert.equal(streamHashOf('http://localhost:3000/tracks', 'http://localhost:3000'), undefined)
  })

  it('round-trips its config through the registration URL and refuses a bad one', () => {
    const config = { rpcUrl: 'http://127.0.0.1:8545', registry: `0x${'12'.repeat(20)}` as const, nodes: ['http://127.0.0.1:4001'] }
    const url = streamWorkerUrl(config)
    assert.match(url, /^\/stream-sw\.js\?config=%7B/)
    assert.deepEqual(parseStreamWorkerConfig(`http://localhost:3000${url}`), config)
    assert.throws(() => parseStreamWorkerConfig('http://localhost:3000/stream-sw.js'), /no \?config=/)
    assert.throws(() => parseStreamWorkerConfig('http://localhost:3000/stream-sw.js?config=%7B'), /not JSON/)
    const bad = encodeURIComponent(JSON.stringify({ ...config, nodes: ['javascript:alert(1)'] }))
    assert.throws(() => parseStreamWorkerConfig(`http://localhost:3000/stream-sw.js?config=${bad}`), /nodes\.0: expected an http\(s\) URL/)
  })

  it('posts events as dcmx-stream messages the page can recognise', () => {
    const m = toStreamMessage({ kind: 'bad-chunk', hash: 'ab'.repeat(32), node: 'http://127.0.0.1:4002', chunk: 3, reason: 'SHA-256 differs' })
    assert.deepEqual(m, { type: 'dcmx-stream', kind: 'bad-chunk', hash: 'ab'.repeat(32), node: 'http://127.0.0.1:4002', chunk: 3, reason: 'SHA-256 differs' })
    assert.equal(isStreamMessage(m), true)
    assert.equal(isStreamMessage(toStreamMessage({ kind: 'served', hash: 'ab'.repeat(32), node: 'n', chunk: 0 })), true)
    assert.equal(isStreamMessage({ type: 'other' }), false)
    assert.equal(isStreamMessage(null), false)
  })

  it('accepts a warm-up request from the page only for a well-formed hash', () => {
    assert.equal(isWarmMessage(warmMessage('ab'.repeat(32))), true)
    assert.equal(isWarmMessage({ type: 'dcmx-stream-warm', hash: '../../etc' }), false)
    assert.equal(isWarmMessage({ type: 'dcmx-stream-warm' }), false)
  })

  it('bundles into one minified classic script under public/', async () => {
    const web = fileURLToPath(new URL('../../', import.meta.url))
    await promisify(execFile)(process.execPath, ['scripts/build-sw.ts'], { cwd: web })
    const out = `${web}public/stream-sw.js`
    const js = await readFile(out, 'utf8')
    assert.ok(!/^\s*(import|export)\s/m.test(js), 'no ESM syntax at the top level')
    assert.ok((await stat(out)).size < 700_000, 'under 700 kB minified')
    assert.match(js, /dcmx-stream/)
  })
})
