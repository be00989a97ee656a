// TEMP profiling harness (not committed)
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../src/core/logger.ts'
import { createNode } from '../src/node.ts'
import { ContentFetcher } from '../src/mesh/fetcher.ts'
const TOKEN = 'bench-operator-token-0123456789abcdef'
const MIB = Number(process.env.MIB ?? 100)
const REPS = Number(process.env.REPS ?? 5)
const work = await mkdtemp(join(tmpdir(), 'perf8-prof-'))
const mk = async (d: string) => { const n = await createNode({ host: '127.0.0.1', port: 0, autoGossip: false, rateLimitMax: 0, apiToken: TOKEN, ipfs: false, maxUploadBytes: 1 << 30, dataDir: join(work, d) }, { logger: createLogger({ level: 'silent' }) }); await n.start(); return n }
const server = await mk('s')
const bytes = randomBytes(MIB << 20)
const hash = createHash('sha256').update(bytes).digest('hex')
await fetch(`${server.url}/tracks?title=B&artist=B`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${TOKEN}` }, body: bytes })
const root = server.tracks.getManifest(hash)!.root
for (let i = 0; i < REPS; i++) {
  const c = await mk(`c${i}`)
  const anyC = c as any
  anyC.fetcher = new ContentFetcher({ store: c.store, tracks: c.tracks, peers: c.peers, client: c.client, metrics: c.metrics, audit: c.audit, verifier: c.chunkVerifier, logger: c.logger, anchor: async () => process.env.UNANCHORED ? undefined : root }, { raceWidth: 3, maxContentBytes: 1 << 30 })
  await c.gossip.exchange(server.announcer.address)
  const t0 = performance.now(); const h0 = process.hrtime.bigint() / 1000n; const cu = process.cpuUsage()
  await c.getContent(hash)
  { const d = process.cpuUsage(cu); console.error(`cpu user ${Math.round(d.user/1000)} sys ${Math.round(d.system/1000)}`) }
  console.error(`fetch ${Math.round(performance.now() - t0)} ms WINDOW ${h0} ${process.hrtime.bigint() / 1000n}`)
  await c.stop()
}
await server.stop()
await rm(work, { recursive: true, force: true })
