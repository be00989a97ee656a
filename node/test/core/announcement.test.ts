import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { AnnouncementVerifier, signAnnouncement } from '../../src/core/announcement.ts'
import { InvalidAnnouncementError } from '../../src/core/errors.ts'

describe('signed peer announcements', () => {
  const alice = privateKeyToAccount(generatePrivateKey())
  const mallory = privateKeyToAccount(generatePrivateKey())
  const verifier = new AnnouncementVerifier({ maxAgeSec: 600 })

  it('verifies a record signed by its peer_id', async () => {
    const rec = await signAnnouncement(alice, { host: '127.0.0.1', port: 8080 })
    const v = await verifier.verify(rec)
    assert.equal(v.peer_id, alice.address)
    // a lowercase peer_id on the wire is accepted and normalised
    assert.equal((await verifier.verify({ ...rec, peer_id: rec.peer_id.toLowerCase() })).peer_id, alice.address)
  })

  it('rejects a record claiming another peer_id (impersonation)', async () => {
    const rec = await signAnnouncement(mallory, { host: '127.0.0.1', port: 8080 })
    await assert.rejects(verifier.verify({ ...rec, peer_id: alice.address }), InvalidAnnouncementError)
  })

  it('rejects a record whose host or port was changed after signing', async () => {
    const rec = await signAnnouncement(alice, { host: '127.0.0.1', port: 8080 })
    await assert.rejects(verifier.verify({ ...rec, port: 9999 }), InvalidAnnouncementError)
    await assert.rejects(verifier.verify({ ...rec, host: '10.0.0.1' }), InvalidAnnouncementError)
  })

  it('rejects stale and future timestamps (bounded replay)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const old = await signAnnouncement(alice, { host: '127.0.0.1', port: 8080 }, now - 601)
    await assert.rejects(verifier.verify(old), /stale/)
    const future = await signAnnouncement(alice, { host: '127.0.0.1', port: 8080 }, now + 3600)
    await assert.rejects(verifier.verify(future), /future/)
  })

  it('rejects garbage signatures', async () => {
    const rec = await signAnnouncement(alice, { host: '127.0.0.1', port: 8080 })
    await assert.rejects(verifier.verify({ ...rec, signature: `0x${'ab'.repeat(65)}` }), InvalidAnnouncementError)
  })
})
