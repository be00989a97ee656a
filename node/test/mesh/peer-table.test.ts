import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { signAnnouncement } from '../../src/core/announcement.ts'
import { PeerTableFullError } from '../../src/core/errors.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { MAX_TRACKS_PER_PEER, PeerTable } from '../../src/mesh/peer-table.ts'
import { openDb } from '../../src/storage/db.ts'
import { tempDir } from '../helpers.ts'

const record = (port = 9000) => signAnnouncement(privateKeyToAccount(generatePrivateKey()), { host: '127.0.0.1', port })
const H = (c: string): string => c.repeat(64)

function table(dir: string, maxPeers = 10) {
  const db = openDb(dir)
  const t = new PeerTable(
    { db, logger: silentLogger() },
    { selfId: '0x0000000000000000000000000000000000000001', maxPeers, intervalMs: 1000, maxRetries: 3, backoffMultiplier: 2, disconnectedRetryMs: 60_000 },
  )
  t.start()
  return { db, t }
}

describe('PeerTable', () => {
  it('walks UNKNOWN -> CONNECTED -> ACTIVE, then RETRY with x2 backoff and DISCONNECTED after 3 retries', async () => {
    await using dir = await tempDir()
    const { db, t } = table(dir.path)
    const r = await record()
    t.upsert(r, [H('a')], false)
    const e = t.get(r.peer_id)
    assert.equal(e?.state, 'unknown')
    t.markSuccess(r.peer_id, 5)
    assert.equal(e?.state, 'connected')
    t.markSuccess(r.peer_id, 5)
    assert.equal(e?.state, 'active')

    const delays: number[] = []
    for (let i = 1; i <= 3; i++) {
      const before = Date.now()
      t.markFailure(r.peer_id)
      assert.equal(e?.state, 'retry')
      delays.push(Math.round(((e?.nextAttemptAt ?? 0) - before) / 1000))
    }
    assert.deepEqual(delays, [2, 4, 8])
    assert.equal(t.due().length, 0, 'not due while backing off')
    t.markFailure(r.peer_id)
    assert.equal(e?.state, 'disconnected')
    assert.equal(t.connectedCount(), 0)
    t.markSuccess(r.peer_id, 5)
    assert.equal(e?.state, 'connected', 'a disconnected peer that answers again reconnects')
    db.close()
  })

  it('ranks candidates by score, then state, and drops banned liars', async () => {
    await using dir = await tempDir()
    const { db, t } = table(dir.path)
    const [a, b, c] = await Promise.all([record(1), record(2), record(3)])
    for (const r of [a, b, c]) t.upsert(r, [H('b')], true)
    t.markSuccess(b.peer_id, 1)
    t.markSuccess(b.peer_id, 1)
    t.markSuccess(c.peer_id, 1)
    assert.deepEqual(t.candidatesFor(H('b')).map((e) => e.record.peer_id), [b.peer_id, c.peer_id, a.peer_id])
    t.penalize(b.peer_id)
    assert.equal(t.candidatesFor(H('b'))[2].record.peer_id, b.peer_id)
    t.penalize(b.peer_id)
    assert.ok(!t.candidatesFor(H('b')).some((e) => e.record.peer_id === b.peer_id), 'banned at -100')
    db.close()
  })

  it('stays bounded: evicts never-contacted peers, refuses a new direct peer when nothing can go', async () => {
    await using dir = await tempDir()
    const { db, t } = table(dir.path, 2)
    const [a, b, c, d] = await Promise.all([record(1), record(2), record(3), record(4)])
    t.upsert(a, [H('c')], true)
    t.upsert(b, [], true)
    t.markSuccess(a.peer_id, 1)
    t.upsert(c, [], true) // evicts b (unknown)
    assert.equal(t.size, 2)
    assert.equal(t.get(b.peer_id), undefined)
    t.markSuccess(c.peer_id, 1)
    assert.throws(() => t.upsert(d, [], true), PeerTableFullError)
    assert.deepEqual(t.upsert(d, [], false), { isNew: false, newTracks: [] }, 'forwarded records are just dropped')
    assert.equal(t.size, 2)
    db.close()
  })

  it('caps the hashes remembered per peer and ignores a replayed older announcement', async () => {
    await using dir = await tempDir()
    const { db, t } = table(dir.path)
    const account = privateKeyToAccount(generatePrivateKey())
    const at = { host: '127.0.0.1', port: 1 }
    const ts = Math.floor(Date.now() / 1000)
    const many = Array.from({ length: MAX_TRACKS_PER_PEER + 50 }, (_, i) => i.toString(16).padStart(64, '0'))
    const first = await signAnnouncement(account, at, ts, many)
    const { newTracks } = t.upsert(first, many, false)
    assert.equal(newTracks.length, MAX_TRACKS_PER_PEER, 'a signed list is remembered up to the cap')
    assert.equal(t.get(first.peer_id)?.tracksSigned, false, 'a capped list is not forwarded as the signed one')
    const newer = await signAnnouncement(account, at, ts + 1, [H('a')])
    t.upsert(newer, [H('a')], true)
    assert.equal(t.get(first.peer_id)?.tracksSigned, true)
    t.upsert(first, many.slice(0, 3), true) // an older record replayed: must not replace the list
    assert.deepEqual(t.candidatesFor(H('a')).map((e) => e.record.peer_id), [first.peer_id])
    assert.deepEqual(t.candidatesFor(many[0]), [])
    db.close()
  })

  it('persists peers, states, scores and track lists', async () => {
    await using dir = await tempDir()
    const first = table(dir.path)
    const r = await record()
    first.t.upsert(r, [H('d'), H('e')], true)
    first.t.markSuccess(r.peer_id, 3)
    first.t.penalize(r.peer_id, 7)
    first.db.close()
    const second = table(dir.path)
    const e = second.t.get(r.peer_id)
    assert.equal(e?.state, 'connected')
    assert.equal(e?.score, -7)
    assert.deepEqual([...(e?.tracks ?? [])].sort(), [H('d'), H('e')])
    assert.equal(second.t.candidatesFor(H('e')).length, 1)
    second.db.close()
  })
})
