import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { signAnnouncement } from './src/core/announcement.ts'
import { signTrackMetadata } from './src/mesh/track-metadata.ts'
const out: string[] = []
for (let i = 0; i < 1000; i++) {
  const acct = privateKeyToAccount(generatePrivateKey())
  const tracks = await Promise.all(Array.from({ length: 10 }, (_, j) => signTrackMetadata(acct, { title: `Track ${i}-${j}`, artist: `Artist ${i}`, album: null, duration: 200, content_hash: createHash('sha256').update(`${i}/${j}`).digest('hex'), size: 5_000_000, manifest_root: createHash('sha256').update(`root ${i}/${j}`).digest('hex'), created_at: new Date().toISOString() })))
  const rec = await signAnnouncement(acct, { host: '127.0.0.1', port: 10000 + i }, undefined, tracks.map((t) => t.content_hash))
  out.push(JSON.stringify({ peer: { ...rec, available_tracks: tracks.map((t) => t.content_hash) }, tracks }))
}
writeFileSync('/tmp/l10/payloads.json', JSON.stringify(out))
