import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { AuditRecord } from '../../src/storage/audit-log.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, tempDir, TOKEN, upload } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }

async function local<T>(n: DcmxNode, command: string, body: unknown = {}): Promise<{ status: number; body: T }> {
  const r = await fetch(`${n.url}/local/${command}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  })
  return { status: r.status, body: (await r.json()) as T }
}

describe('local API (EchoChain commands over HTTP JSON)', () => {
  let a: TestNode
  let b: TestNode
  before(async () => {
    a = await startNode()
    b = await startNode()
  })
  after(async () => {
    await b.cleanup()
    await a.cleanup()
  })

  it('adds a file, connects, announces, answers content info, fetches into a path and lists content', async () => {
    await using dir = await tempDir()
    const bytes = randomBytesOf(70_000, 5)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const src = join(dir.path, 'song.mp3')
    await writeFile(src, bytes)

    const added = await local<{ track: { content_hash: string } }>(a, 'add_file', { path: src, title: 'Local', artist: 'Me' })
    assert.equal(added.status, 201)
    assert.equal(added.body.track.content_hash, hash)

    const conn = await local<{ connected: string }>(b, 'connect', { host: '127.0.0.1', port: Number(new URL(a.url).port) })
    assert.equal(conn.body.connected, a.peerId)
    const ann = await local<{ announced: string }>(a, 'announce_content', { content_hash: hash })
    assert.equal(ann.body.announced, hash)

    const info = await local<{ local: boolean; peers: Array<{ peer_id: string }> }>(b, 'request_content_info', { content_hash: hash })
    assert.equal(info.body.local, false)
    assert.deepEqual(info.body.peers.map((p) => p.peer_id), [a.peerId])

    const out = join(dir.path, 'out', 'copy.mp3')
    const got = await local<{ from: string; path: string }>(b, 'request_file', { content_hash: hash, path: out })
    assert.equal(got.status, 200)
    assert.equal(got.body.from, a.peerId)
    assert.ok((await readFile(out)).equals(bytes))

    // The node writes only outside its data dir (key, token, database, store), to an absolute normalized path,
    // also when a symlinked folder points into the data dir.
    for (const path of [join(b.config.dataDir, 'node.key'), join(b.config.dataDir, 'content', 'x.mp3'), 'rel/copy.mp3', `${dir.path}/../${basename(dir.path)}/x.mp3`, dir.path]) {
      const refused = await local<{ error: string }>(b, 'request_file', { content_hash: hash, path })
      assert.equal(refused.status, 400, path)
    }
    await symlink(b.config.dataDir, join(dir.path, 'link'))
    const viaLink = await local<{ error: string; message: string }>(b, 'request_file', { content_hash: hash, path: join(dir.path, 'link', 'node.key') })
    assert.equal(viaLink.status, 400)
    assert.match(viaLink.body.message, /outside the node data dir/)
    assert.notEqual((await readFile(join(b.config.dataDir, 'node.key'))).length, bytes.length)
    // Overwriting an existing file replaces it whole (temp file + rename), leaving no temp file behind.
    await writeFile(join(dir.path, 'old.mp3'), 'old')
    assert.equal((await local(b, 'request_file', { content_hash: hash, path: join(dir.path, 'old.mp3') })).status, 200)
    assert.ok((await readFile(join(dir.path, 'old.mp3'))).equals(bytes))
    assert.deepEqual((await readdir(dir.path)).filter((f) => f.includes('.part')), [])

    const list = await local<{ local: string[]; known: string[] }>(b, 'list_content')
    assert.deepEqual(list.body.local, [hash])
    const all = await local<{ content: string[] }>(b, 'request_content_info', {})
    assert.deepEqual(all.body.content, [hash])

    const unreachable = await local<{ error: string }>(b, 'connect', { host: '127.0.0.1', port: 1 })
    assert.equal(unreachable.status, 502)
    const missing = await local<{ error: string }>(b, 'request_file', { content_hash: 'e'.repeat(64) })
    assert.equal(missing.status, 404)
  })

  it('exports the audit trail as JSON or CSV by date range', async () => {
    assert.equal((await upload(a, randomBytesOf(100, 77))).status, 201)
    const auth = { authorization: `Bearer ${TOKEN}` }
    const all = (await (await fetch(`${a.url}/audit`, { headers: auth })).json()) as AuditRecord[]
    const actions = all.map((r) => r.action)
    assert.ok(actions.includes('ADD_TRACK') && actions.includes('UPLOAD'))
    assert.ok(all.every((r) => r.node_id === a.peerId && r.result === 'SUCCESS'))
    const future = (await (await fetch(`${a.url}/audit?from=2999-01-01`, { headers: auth })).json()) as AuditRecord[]
    assert.deepEqual(future, [])
    const today = new Date().toISOString().slice(0, 10)
    const csv = await fetch(`${a.url}/audit?from=${today}&format=csv`, { headers: auth })
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/)
    const lines = (await csv.text()).trim().split('\n')
    assert.equal(lines[0], 'timestamp,node_id,action,content_hash,result,details')
    assert.equal(lines.length, all.length + 1)
    assert.equal((await fetch(`${a.url}/audit`)).status, 401)
    assert.equal((await fetch(`${a.url}/audit?format=xml`, { headers: auth })).status, 400)
  })

  it('exposes the seed metrics in Prometheus format', async () => {
    const text = await (await fetch(`${b.url}/metrics`)).text()
    for (const name of [
      'node_uptime_seconds',
      'peers_connected_count 1',
      'tracks_available_total 1',
      'content_downloaded_bytes 70000',
      'content_uploaded_bytes',
      'peer_discovery_latency_ms_bucket{le="',
      'content_retrieval_latency_ms_count 1',
      'http_requests_total{method="POST",route="/local/connect",status="200"} 1',
    ]) {
      assert.ok(text.includes(name), name)
    }
    const stats = (await (await fetch(`${b.url}/stats`)).json()) as { tracks_local: number; peers_known: number }
    assert.deepEqual([stats.tracks_local, stats.peers_known], [1, 1])
  })
})
