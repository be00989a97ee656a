import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { CarReader } from '@ipld/car/reader'
import { sha256 } from 'multiformats/hashes/sha2'

import type { AddTrackResponse } from '../../src/api.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, TOKEN, upload } from '../helpers.ts'
import { startRecorder, type Recorded } from './kubo-recorder.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }
const MiB = 1 << 20

/** The single file part of a multipart/form-data body. */
function multipartFile(r: Recorded): Buffer {
  const boundary = /boundary=("?)([^";]+)\1/.exec(r.contentType)?.[2]
  assert.ok(boundary, `multipart boundary in ${r.contentType}`)
  const start = r.body.indexOf('\r\n\r\n') + 4
  const end = r.body.lastIndexOf(`\r\n--${boundary}--`)
  return r.body.subarray(start, end)
}

describe('pinning to the operator\'s Kubo (--kubo-rpc-url)', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>
  let node: TestNode

  before(async () => {
    recorder = await startRecorder()
    node = await startNode({ kuboRpcUrl: recorder.url })
  })
  after(async () => {
    await node.cleanup()
    await recorder.app.close()
  })

  it('streams each new track as a CAR into dag/import with pin-roots=true', async () => {
    const bytes = randomBytesOf(2 * MiB + 99, 41)
    const { track } = (await (await upload(node, bytes)).json()) as AddTrackResponse
    await node.ipfs.pinsSettled()
    assert.equal(recorder.requests.length, 1)
    const [r] = recorder.requests
    assert.equal(r.method, 'POST')
    const url = new URL(r.url, recorder.url)
    assert.equal(url.pathname, '/api/v0/dag/import')
    assert.equal(url.searchParams.get('pin-roots'), 'true')
    assert.match(r.contentType, /^multipart\/form-data/)
    const car = await CarReader.fromBytes(multipartFile(r))
    assert.deepEqual((await car.getRoots()).map(String), [track.cid])
    const leaves: Uint8Array[] = []
    for await (const b of car.blocks()) {
      assert.deepEqual((await sha256.digest(b.bytes)).bytes, b.cid.multihash.bytes)
      if (b.cid.code === 0x55) leaves.push(b.bytes)
    }
    assert.ok(Buffer.concat(leaves).equals(bytes))
  })

  it('pins blobs (edition metadata JSON) the same way', async () => {
    const before = recorder.requests.length
    const json = Buffer.from('{"name":"First Light"}')
    const res = await fetch(`${node.url}/ipfs`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${TOKEN}` },
      body: json,
    })
    const { cid } = (await res.json()) as { cid: string }
    await node.ipfs.pinsSettled()
    const r = recorder.requests[before]
    assert.ok(r.url.startsWith('/api/v0/dag/import?'))
    const car = await CarReader.fromBytes(multipartFile(r))
    assert.deepEqual((await car.getRoots()).map(String), [cid])
    assert.ok(Buffer.from((await car.get((await car.getRoots())[0]))?.bytes ?? []).equals(json))
  })
})
