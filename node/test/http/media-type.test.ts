import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { DatabaseSync } from 'node:sqlite'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import { openDb } from '../../src/storage/db.ts'
import { randomBytesOf, startNode, upload } from '../helpers.ts'

function wav(size: number): Buffer {
  const b = randomBytesOf(size, 7)
  b.write('RIFF', 0, 'ascii')
  b.writeUInt32LE(size - 8, 4)
  b.write('WAVEfmt ', 8, 'ascii')
  return b
}

function mp3(size: number): Buffer {
  const b = randomBytesOf(size, 8)
  b.write('ID3', 0, 'ascii')
  b[3] = 4
  return b
}

describe('media type of served audio', () => {
  it('answers /content with the type detected at upload, and a fetching node with the type of the fetched bytes', async () => {
    const a = await startNode()
    const b = await startNode()
    try {
      const cases = [
        { bytes: wav(200_000), type: 'audio/wav' },
        { bytes: mp3(150_000), type: 'audio/mpeg' },
        { bytes: Buffer.from(randomBytesOf(50_000, 9).fill(0, 0, 16)), type: 'application/octet-stream' },
      ]
      assert.ok(await b.gossip.exchange(a.announcer.address))
      for (const c of cases) {
        const res = await upload(a, c.bytes)
        const { track } = (await res.json()) as { track: { content_hash: string; media_type?: string } }
        assert.equal(track.media_type, c.type)
        const got = await fetch(`${a.url}/content/${track.content_hash}`, { method: 'HEAD' })
        assert.equal(got.headers.get('content-type'), c.type)
        assert.equal(got.headers.get('x-content-type-options'), 'nosniff')
        await b.gossip.exchange(a.announcer.address)
        await b.getContent(track.content_hash)
        const fetched = await fetch(`${b.url}/content/${track.content_hash}`, { headers: { range: 'bytes=0-9' } })
        assert.equal(fetched.status, 206)
        assert.equal(fetched.headers.get('content-type'), c.type)
        await fetched.arrayBuffer()
      }
    } finally {
      await Promise.all([a.cleanup(), b.cleanup()])
    }
  })

  it('adds the media type column to a database created before it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dcmx-mig-'))
    try {
      const old = new DatabaseSync(join(dir, 'node.db'))
      old.exec(`CREATE TABLE tracks (content_hash TEXT PRIMARY KEY, title TEXT NOT NULL, artist TEXT NOT NULL, album TEXT,
        duration INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL, manifest_root TEXT, created_at TEXT NOT NULL, local INTEGER NOT NULL DEFAULT 0)`)
      old.prepare(`INSERT INTO tracks VALUES ('${'a'.repeat(64)}', 'Old', 'Artist', NULL, 0, 5, NULL, 'x', 1)`).run()
      old.close()
      const db = openDb(dir)
      const cols = (db.prepare('PRAGMA table_info(tracks)').all() as Array<{ name: string }>).map((c) => c.name)
      assert.ok(cols.includes('media_type'))
      assert.equal((db.prepare('SELECT title, media_type FROM tracks').get() as { title: string; media_type: null }).title, 'Old')
      db.close()
      openDb(dir).close() // idempotent
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
