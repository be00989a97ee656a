import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'

import { CarReader } from '@ipld/car/reader'
import * as dagPb from '@ipld/dag-pb'
import { importBytes } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

import type { AddTrackResponse, Track } from '../../src/api.ts'
import { computeManifest } from '../../src/core/manifest.ts'
import { leafCid, UNIXFS_PROFILE } from '../../src/ipfs/dag.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, tempDir, TOKEN, upload } from '../helpers.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const MiB = 1 << 20
const RAW = 'application/vnd.ipld.raw'
const CAR = 'application/vnd.ipld.car'
const discard = { put: (cid: unknown) => cid } as never

async function referenceCid(bytes: Uint8Array): Promise<string> {
  return (await importBytes(bytes, discard, { profile: UNIXFS_PROFILE })).cid.toString()
}

/** Parses a CAR response and checks every block against its CID; returns the blocks in order. */
async function verifiedCar(res: Response): Promise<{ roots: CID[]; blocks: Array<{ cid: CID; bytes: Uint8Array }> }> {
  assert.equal(res.status, 200)
  const reader = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()))
  const blocks: Array<{ cid: CID; bytes: Uint8Array }> = []
  for await (const b of reader.blocks()) {
    const digest = await sha256.digest(b.bytes)
    assert.deepEqual(digest.bytes, b.cid.multihash.bytes, `block ${b.cid} matches its CID`)
    blocks.push(b)
  }
  return { roots: await reader.getRoots(), blocks }
}

/** fetch() always sends an Accept header; node:http sends none unless told. */
function statusWithoutAccept(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      .on('error', reject)
  })
}

describe('IPFS trustless gateway', () => {
  let node: TestNode
  const bytes = randomBytesOf(2.5 * MiB, 21)
  let track: Track
  let cid: string
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> =>
    fetch(`${node.url}${path}`, { method, headers })

  before(async () => {
    node = await startNode({ maxBlobBytes: 64 * 1024 })
    const res = await upload(node, bytes)
    assert.equal(res.status, 201)
    ;({ track } = (await res.json()) as AddTrackResponse)
    cid = track.cid as string
  })
  after(() => node.cleanup())

  it('gives each uploaded track the CID any unixfs-v1-2025 importer derives from its bytes', async () => {
    assert.equal(cid, await referenceCid(bytes))
    const listed = (await (await get('/tracks')).json()) as Track[]
    assert.equal(listed[0].cid, cid)
  })

  it('serves a leaf as a raw block straight from the chunk store, with the spec headers', async () => {
    const m = await computeManifest(bytes)
    const leaf = leafCid(m.chunks[1]).toString()
    const res = await get(`/ipfs/${leaf}?format=raw`)
    assert.equal(res.status, 200)
    const body = Buffer.from(await res.arrayBuffer())
    assert.ok(body.equals(bytes.subarray(MiB, 2 * MiB)))
    assert.equal(createHash('sha256').update(body).digest('hex'), m.chunks[1])
    assert.equal(res.headers.get('content-type'), RAW)
    assert.equal(res.headers.get('etag'), `"${leaf}.raw"`)
    assert.equal(res.headers.get('cache-control'), 'public, max-age=29030400, immutable')
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="${leaf}.bin"`)
    assert.equal(res.headers.get('content-length'), String(MiB))
  })

  it('serves the root dag-pb block for Accept: application/vnd.ipld.raw, also under its CIDv0', async () => {
    const res = await get(`/ipfs/${cid}`, { accept: RAW })
    assert.equal(res.status, 200)
    const block = new Uint8Array(await res.arrayBuffer())
    assert.equal(dagPb.decode(block).Links.length, 3)
    const v0 = CID.parse(cid).toV0().toString()
    const res0 = await get(`/ipfs/${v0}`, { accept: RAW })
    assert.deepEqual(new Uint8Array(await res0.arrayBuffer()), block)
  })

  it('exports the whole DAG as a CARv1 in depth-first order whose blocks all verify', async () => {
    const res = await get(`/ipfs/${cid}`, { accept: CAR })
    assert.equal(res.headers.get('content-type'), `${CAR}; version=1; order=dfs; dups=n`)
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="${cid}.car"`)
    assert.equal(res.headers.get('x-ipfs-roots'), cid)
    const { roots, blocks } = await verifiedCar(res)
    assert.deepEqual(roots.map(String), [cid])
    assert.equal(blocks.length, 4)
    assert.equal(blocks[0].cid.toString(), cid)
    assert.ok(Buffer.concat(blocks.slice(1).map((b) => b.bytes)).equals(bytes))
  })

  it('takes ?format=car and dag-scope=block (root only), entity and all', async () => {
    assert.equal((await verifiedCar(await get(`/ipfs/${cid}?format=car&dag-scope=block`))).blocks.length, 1)
    assert.equal((await verifiedCar(await get(`/ipfs/${cid}?format=car&dag-scope=entity`))).blocks.length, 4)
    assert.equal((await verifiedCar(await get(`/ipfs/${cid}?format=car&dag-scope=all`))).blocks.length, 4)
  })

  it('returns only the blocks an entity-bytes range needs', async () => {
    const first = await verifiedCar(await get(`/ipfs/${cid}?format=car&entity-bytes=0:10`))
    assert.equal(first.blocks.length, 2)
    assert.ok(Buffer.from(first.blocks[1].bytes).equals(bytes.subarray(0, MiB)))
    const last = await verifiedCar(await get(`/ipfs/${cid}?format=car&entity-bytes=-5:*`))
    assert.equal(last.blocks.length, 2)
    assert.ok(Buffer.from(last.blocks[1].bytes).equals(bytes.subarray(2 * MiB)))
    const span = await verifiedCar(await get(`/ipfs/${cid}?format=car&entity-bytes=${MiB - 1}:${MiB}`))
    assert.equal(span.blocks.length, 3)
    assert.equal((await get(`/ipfs/${cid}?format=car&entity-bytes=${3 * MiB}:*`)).status, 400)
  })

  it('answers the spec status codes: 400 bad CID, 404 unknown, 406 unacceptable, 400 no Accept, 412 only-if-cached', async () => {
    const unknown = CID.createV1(0x55, await sha256.digest(new Uint8Array([1, 2, 3]))).toString()
    assert.equal((await get('/ipfs/not-a-cid?format=raw')).status, 400)
    assert.equal((await get(`/ipfs/${unknown}?format=raw`)).status, 404)
    assert.equal((await get(`/ipfs/${unknown}?format=car`)).status, 404)
    assert.equal((await get(`/ipfs/${cid}`, { accept: 'text/html' })).status, 406)
    assert.equal((await get(`/ipfs/${cid}`, { accept: `${CAR}; version=2` })).status, 406)
    assert.equal((await get(`/ipfs/${cid}`, { accept: '*/*' })).status, 406)
    assert.equal(await statusWithoutAccept(`${node.url}/ipfs/${cid}`), 400)
    assert.equal((await get(`/ipfs/${cid}?format=tar`)).status, 400)
    assert.equal((await get(`/ipfs/${cid}?format=car&dag-scope=everything`)).status, 400)
    assert.equal((await get(`/ipfs/${cid}/some/path?format=raw`)).status, 400)
    assert.equal((await get(`/ipfs/${cid}/some/path?format=car`)).status, 404)
    assert.equal((await get(`/ipfs/${unknown}?format=raw`, { 'cache-control': 'only-if-cached' })).status, 412)
    const bad = (await (await get('/ipfs/not-a-cid?format=raw')).json()) as { error: string }
    assert.equal(bad.error, 'InvalidCidError')
  })

  it('lets ?format= win over Accept', async () => {
    const res = await get(`/ipfs/${cid}?format=raw`, { accept: CAR })
    assert.equal(res.headers.get('content-type'), RAW)
  })

  it('answers HEAD with headers only and If-None-Match with 304', async () => {
    const head = await get(`/ipfs/${cid}?format=raw`, {}, 'HEAD')
    assert.equal(head.status, 200)
    assert.ok(Number(head.headers.get('content-length')) > 0)
    assert.equal((await head.arrayBuffer()).byteLength, 0)
    const etag = head.headers.get('etag') as string
    assert.equal((await get(`/ipfs/${cid}?format=raw`, { 'if-none-match': etag })).status, 304)
    const carEtag = (await get(`/ipfs/${cid}?format=car`, {}, 'HEAD')).headers.get('etag') as string
    assert.notEqual(carEtag, (await get(`/ipfs/${cid}?format=car&dag-scope=block`, {}, 'HEAD')).headers.get('etag'))
    assert.equal((await get(`/ipfs/${cid}?format=car`, { 'if-none-match': carEtag })).status, 304)
  })

  it('serves the identity-CID probe (bafkqaaa)', async () => {
    const res = await get('/ipfs/bafkqaaa?format=raw')
    assert.equal(res.status, 200)
    assert.equal((await res.arrayBuffer()).byteLength, 0)
  })

  it('skips repeated chunks with dups=n and repeats them with car-dups=y', async () => {
    const chunk = randomBytesOf(MiB, 77)
    const twice = Buffer.concat([chunk, chunk, randomBytesOf(100, 78)])
    const { track: t } = (await (await upload(node, twice, { title: 'Loop', artist: 'A' })).json()) as AddTrackResponse
    assert.equal((await verifiedCar(await get(`/ipfs/${t.cid}?format=car`))).blocks.length, 3)
    const withDups = await get(`/ipfs/${t.cid}?format=car&car-dups=y`)
    assert.equal(withDups.headers.get('content-type'), `${CAR}; version=1; order=dfs; dups=y`)
    assert.equal((await verifiedCar(withDups)).blocks.length, 4)
  })

  it('content-addresses a blob (cover art, metadata JSON) for the operator and serves it', async () => {
    const json = Buffer.from(JSON.stringify({ name: 'First Light', animation_url: `ipfs://${cid}` }))
    const post = (body: Uint8Array, token = TOKEN): Promise<Response> =>
      fetch(`${node.url}/ipfs`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` }, body })
    assert.equal((await post(json, 'wrong-token-wrong-token-wrong-tok')).status, 401)
    const res = await post(json)
    assert.equal(res.status, 201)
    const { cid: blobCid, size, url } = (await res.json()) as { cid: string; size: number; url: string }
    assert.equal(blobCid, await referenceCid(json))
    assert.equal(size, json.byteLength)
    assert.equal(url, `ipfs://${blobCid}`)
    const back = Buffer.from(await (await get(`/ipfs/${blobCid}?format=raw`)).arrayBuffer())
    assert.ok(back.equals(json))
    assert.equal((await post(randomBytesOf(64 * 1024 + 1))).status, 413)
  })
})

describe('tracks stored before IPFS support', () => {
  it('get their CID computed at the next start', async () => {
    await using dir = await tempDir()
    const first = await startNode({ dataDir: dir.path })
    const bytes = randomBytesOf(MiB + 10, 5)
    const { track } = (await (await upload(first, bytes)).json()) as AddTrackResponse
    // What a database from before this feature looks like: tracks and manifests, no IPFS rows.
    first.db.exec('DELETE FROM ipfs_roots; DELETE FROM ipfs_blocks; DELETE FROM ipfs_leaves;')
    await first.cleanup()
    const again = await startNode({ dataDir: dir.path })
    try {
      await again.ipfs.backfilled()
      assert.equal(again.tracks.get(track.content_hash)?.cid, track.cid)
      const res = await fetch(`${again.url}/ipfs/${track.cid}?format=car`)
      assert.equal((await verifiedCar(res)).blocks.length, 3)
    } finally {
      await again.cleanup()
    }
  })
})
