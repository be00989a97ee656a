import assert from 'node:assert/strict'
import { request as rawRequest } from 'node:http'
import { after, before, describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { signAnnouncement } from '../../src/core/announcement.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, TOKEN, upload } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }

/** Sends a path byte-for-byte (fetch would normalise `..`). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = rawRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('bad input gets a clear 4xx and the node keeps serving', () => {
  let n: TestNode
  let port: number
  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> =>
    fetch(`${n.url}${path}`, { method: 'POST', headers, body })

  before(async () => {
    n = await startNode({ bodyLimitBytes: 8192, maxUploadBytes: 100_000 })
    port = Number(new URL(n.url).port)
  })
  after(async () => {
    // still alive after everything below
    assert.equal((await fetch(`${n.url}/ping`)).status, 200)
    await n.cleanup()
  })

  it('rejects malformed JSON and wrong types on /discover', async () => {
    const bad = await post('/discover', '{"peer": {')
    assert.equal(bad.status, 400)
    const wrong = await post('/discover', JSON.stringify({ peer: { peer_id: 42, host: [], port: 'x' } }))
    assert.equal(wrong.status, 400)
    const body = (await wrong.json()) as { error: string; message: string; details: string }
    assert.equal(body.error, 'ValidationError')
    assert.match(body.details, /peer\.peer_id/)
  })

  it('rejects unsigned, forged and stale announcements', async () => {
    const alice = privateKeyToAccount(generatePrivateKey())
    const mallory = privateKeyToAccount(generatePrivateKey())
    const unsigned = await post('/discover', JSON.stringify({ peer: { peer_id: alice.address, host: '127.0.0.1', port: 9 } }))
    assert.equal(unsigned.status, 400)
    const forged = await signAnnouncement(mallory, { host: '127.0.0.1', port: 9 })
    const r1 = await post('/discover', JSON.stringify({ peer: { ...forged, peer_id: alice.address } }))
    assert.equal(r1.status, 401)
    assert.equal(((await r1.json()) as { error: string }).error, 'InvalidAnnouncementError')
    const stale = await signAnnouncement(alice, { host: '127.0.0.1', port: 9 }, Math.floor(Date.now() / 1000) - 3600)
    assert.equal((await post('/discover', JSON.stringify({ peer: stale }))).status, 401)
    assert.equal(n.peers.size, 0, 'nothing was learned from rejected announcements')
  })

  it('rejects oversized JSON bodies and uploads (413)', async () => {
    const big = await post('/discover', JSON.stringify({ pad: 'x'.repeat(20_000) }))
    assert.equal(big.status, 413)
    const declared = await upload(n, randomBytesOf(150_000))
    assert.equal(declared.status, 413)
    // no Content-Length (chunked): the limit is enforced while streaming
    const chunked = await fetch(`${n.url}/tracks?title=t&artist=a`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${TOKEN}` },
      body: new Blob([randomBytesOf(150_000)]).stream(),
      duplex: 'half',
    } as RequestInit)
    assert.equal(chunked.status, 413)
    assert.equal(n.tracks.listLocal().length, 0)
  })

  it('refuses uploads without a valid operator token or metadata', async () => {
    assert.equal((await upload(n, randomBytesOf(10), { title: 't', artist: 'a' }, 'wrong-token-wrong-token')).status, 401)
    const noAuth = await fetch(`${n.url}/tracks?title=t&artist=a`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' })
    assert.equal(noAuth.status, 401)
    const noTitle = await upload(n, randomBytesOf(10), { artist: 'a' })
    assert.equal(noTitle.status, 400)
    const json = await fetch(`${n.url}/tracks?title=t&artist=a`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: '{}' })
    assert.equal(json.status, 400)
  })

  it('rejects bad hashes and traversal attempts', async () => {
    for (const p of ['/content/abc', `/content/${'A'.repeat(64)}`, `/content/${'g'.repeat(64)}`, '/content/..%2F..%2Fetc%2Fpasswd', '/manifest/zz']) {
      const r = await rawGet(port, p)
      assert.equal(r.status, 400, p)
    }
    for (const p of ['/content/../../../../etc/passwd', '/content/%2e%2e/%2e%2e/etc/passwd', '/../node.key', '/content/../node.key']) {
      const r = await rawGet(port, p)
      assert.ok(r.status === 400 || r.status === 404, `${p} -> ${r.status}`)
      assert.ok(!r.body.includes('root:') && !r.body.includes('0x'), p)
    }
  })

  it('rejects oversized headers (431)', async () => {
    const r = await rawGet(port, '/ping', { 'x-pad': 'x'.repeat(20_000) })
    assert.equal(r.status, 431)
  })

  it('keeps the local API to loopback clients holding the token', async () => {
    const r = await post('/local/list_content', '{}')
    assert.equal(r.status, 401)
    const ok = await post('/local/list_content', '{}', { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` })
    assert.equal(ok.status, 200)
    const badCmd = await post('/local/request_file', JSON.stringify({ content_hash: '../x' }), { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` })
    assert.equal(badCmd.status, 400)
  })
})

describe('rate limiting', () => {
  it('answers 429 past the per-IP limit', async () => {
    const n = await startNode({ rateLimitMax: 5, rateLimitWindowMs: 60_000 })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) statuses.push((await fetch(`${n.url}/ping`)).status)
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429])
    } finally {
      await n.cleanup()
    }
  })
})
