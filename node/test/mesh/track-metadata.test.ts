import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import type { Track } from '../../src/api.ts'
import { signTrackMetadata, TrackMetadataVerifier } from '../../src/mesh/track-metadata.ts'
import { openDb } from '../../src/storage/db.ts'
import { TrackStore } from '../../src/storage/track-store.ts'
import type { RegisteredMetadata } from '../../src/storage/track-store.ts'
import { tempDir } from '../helpers.ts'

const base: Track = {
  title: 'Real',
  artist: 'Band',
  album: null,
  duration: 200,
  content_hash: 'a'.repeat(64),
  size: 1234,
  manifest_root: 'b'.repeat(64),
  created_at: '2026-01-01T00:00:00.000Z',
}

describe('track metadata provenance', () => {
  const alice = privateKeyToAccount(generatePrivateKey())
  const mallory = privateKeyToAccount(generatePrivateKey())

  it('verifies the uploader’s signature over every signed field, and nothing else', async () => {
    const v = new TrackMetadataVerifier()
    const signed = await signTrackMetadata(alice, base)
    assert.equal(await v.verify(signed), true)
    assert.equal(await v.verify(signed), true, 'cached')
    for (const change of [{ title: 'Evil' }, { artist: 'X' }, { album: 'Y' }, { duration: 1 }, { size: 1 }, { manifest_root: 'c'.repeat(64) }, { created_at: 'x' }]) {
      assert.equal(await v.verify({ ...signed, ...change }), false, JSON.stringify(change))
    }
    assert.equal(await v.verify({ ...signed, uploader: mallory.address }), false, 'claiming another uploader')
    assert.equal(await v.verify({ ...base }), false, 'unsigned')
    assert.equal(await v.verify({ ...signed, title: 'Real"\ntitle:"Evil' }), false)
  })

  it('keeps the first signed version, replaces an unsigned placeholder, and shows the chain’s metadata for a registered track', async () => {
    await using dir = await tempDir()
    const db = openDb(dir.path)
    const chain = new Map<string, RegisteredMetadata>()
    const store = new TrackStore({ db, registered: (h) => chain.get(h) })
    store.upsert({ ...base, title: 'Unknown', artist: 'Unknown' }, true) // what the fetcher stores without metadata
    const real = await signTrackMetadata(alice, base)
    assert.equal(store.learn(real), true, 'signed metadata replaces the unsigned placeholder')
    assert.equal(store.get(base.content_hash)?.title, 'Real')
    assert.equal(store.get(base.content_hash)?.local, true)
    assert.equal(store.learn(await signTrackMetadata(mallory, { ...base, title: 'Later' })), false, 'a later signed version does not replace it')
    assert.equal(store.learn({ ...base, title: 'Unsigned' }), false)
    assert.equal(store.hasSigned(base.content_hash, real.uploader_signature as string), true)

    chain.set(base.content_hash, { title: 'On chain', artist_name: 'Registered band', album: 'LP', duration: 201 })
    const shown = store.get(base.content_hash)
    assert.equal(shown?.title, 'On chain')
    assert.equal(shown?.artist, 'Registered band')
    assert.equal(shown?.album, 'LP')
    assert.equal(shown?.uploader_signature, undefined, 'the uploader did not sign the chain’s fields')
    assert.equal(store.listLocal()[0].title, 'On chain')
    assert.equal(store.signed(base.content_hash)?.title, 'Real', 'gossip forwards the uploader’s version as signed')
    assert.equal(await new TrackMetadataVerifier().verify(store.signed(base.content_hash) as Track), true)
    db.close()
  })
})

describe('TrackStore.listLocalSigned', () => {
  it('returns every signed local track up to the limit, else a different random subset each time', async () => {
    await using dir = await tempDir()
    const db = openDb(dir.path)
    const store = new TrackStore({ db })
    const alice = privateKeyToAccount(generatePrivateKey())
    for (let i = 0; i < 40; i++) {
      store.upsert(await signTrackMetadata(alice, { ...base, content_hash: i.toString(16).padStart(64, '0'), title: `T${i}` }), true)
    }
    store.upsert({ ...base, content_hash: 'f'.repeat(64) }, true) // unsigned: never gossiped
    assert.equal(store.listLocalSigned(100).length, 40)
    const seen = new Set<string>()
    for (let round = 0; round < 20; round++) for (const t of store.listLocalSigned(10)) seen.add(t.content_hash)
    assert.ok(seen.size > 30, `${seen.size} of 40 went out in 20 messages of 10`)
    assert.ok(!seen.has('f'.repeat(64)))
    db.close()
  })
})
