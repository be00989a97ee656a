import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { AnnouncementVerifier, tracksDigest } from '../../src/core/announcement.ts'
import { Announcer } from '../../src/mesh/announcer.ts'

const H = (c: string): string => c.repeat(64)

describe('Announcer', () => {
  const announcer = (): Announcer =>
    new Announcer({ account: privateKeyToAccount(generatePrivateKey()) }, { host: '127.0.0.1', port: 9000, maxAgeSec: 600 })

  it('re-signs with a strictly newer timestamp when the track list changes, and signs the list’s digest', async () => {
    const an = announcer()
    const t = 1_800_000_000
    const one = await an.current([H('a')], t)
    assert.equal(one.record.tracks_digest, tracksDigest([H('a')]))
    assert.equal(await an.current([H('a')], t), one, 'same list, same record')
    const two = await an.current([H('b'), H('a')], t)
    assert.equal(two.record.timestamp, t + 1, 'a second list in the same second gets the next timestamp')
    assert.deepEqual(two.tracks, [H('b'), H('a')])
    assert.equal(two.record.tracks_digest, tracksDigest([H('a'), H('b')]), 'order does not matter')
    await new AnnouncementVerifier({ maxAgeSec: 600 }).verify(two.record, t)
  })

  it('runs at most 30 s ahead of the clock, then keeps serving the last record with its own list', async () => {
    const an = announcer()
    const t = 1_800_000_000
    let last = await an.current([], t)
    for (let i = 0; i < 40; i++) last = await an.current([H((i % 16).toString(16)), String(i).padStart(64, '0')], t)
    assert.equal(last.record.timestamp, t + 30)
    assert.equal(last.record.tracks_digest, tracksDigest(last.tracks), 'the record always travels with the list it signs')
  })
})
