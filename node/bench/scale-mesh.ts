/**
 * 100 real `dcmx start` processes on 127.0.0.1 (issue 10): DHT provider lookups, a track's time to k holders,
 * repair after a holder is SIGKILLed, and per-process RSS. Run: `npm run bench:scale:mesh -w @dcmx/node`.
 * It builds node/dist first (`npm run build`) and runs the built node, off chain, with `--dht` (bootstrapped from
 * the first 3 nodes) and `--replicate 3`. Writes bench/results/scale-mesh.json and .md (repo root).
 * BENCH_QUICK=1: 12 nodes, nothing written. SCALE_N=<n> overrides the node count.
 * Every process it starts is killed on exit, failure, Ctrl-C or SIGTERM; the data dirs are removed.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { rankFor } from '../src/mesh/replication.ts'
import { binLaunch, saveResults } from './results.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const BUILT = join(HERE, '../dist/main.js')
const QUICK = process.env.BENCH_QUICK === '1'
const N = Number(process.env.SCALE_N ?? (QUICK ? 12 : 100))
const SEEDS = 3
const BATCH = 10
const K = 3
const TRACKS = QUICK ? 3 : 10
const LOOKUPS = QUICK ? 30 : 200
const REPAIRS = QUICK ? 1 : 2
const GOSSIP_MS = 2000
const REPLICATE_MS = 2000
const MAX_RETRIES = 1
const TRACK_BYTES = 256 * 1024
const K_TIMEOUT_MS = 120_000
const REPAIR_TIMEOUT_MS = 300_000
/** The bin's shebang flags (dist/main.js carries the same shebang as src/cli/main.ts, which exists before the build). */
const NODE = binLaunch(join(HERE, '../src/cli/main.ts'))

const log = (msg: string): void => void process.stderr.write(`[scale-mesh ${new Date().toISOString().slice(11, 19)}] ${msg}\n`)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number
}

interface Proc {
  i: number
  proc: ChildProcess
  dir: string
  url: string
  peerId: string
  token: string
  dht: { host: string; port: number }
  dead: boolean
}

const children = new Set<ChildProcess>()
let work = ''
/** Kills every node (SIGKILL: nothing to flush, the data dirs go too) and removes the work dir. */
function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
  if (work) rmSync(work, { recursive: true, force: true })
  work = ''
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    log(`${sig}: killing ${children.size} nodes`)
    cleanup()
    process.exit(130)
  })
}

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => execFile(cmd, args, { maxBuffer: 1 << 20 }, (err, out) => (err ? rej(err) : res(out))))
}

async function startOne(i: number, seeds: Proc[]): Promise<Proc> {
  const dir = join(work, `n${i}`)
  const args = [
    ...NODE.flags, BUILT, '--data-dir', dir, 'start', '--host', '127.0.0.1', '--port', '0', '--rate-limit', '0', '--log-level', 'warn', '--no-ipfs',
    '--interval', String(GOSSIP_MS), '--fanout', '3', '--max-retries', String(MAX_RETRIES),
    '--replicate', String(K), '--replicate-interval', String(REPLICATE_MS),
    '--dht', '--dht-port', '0',
    ...(seeds.length ? ['--dht-bootstrap', seeds.map((s) => `${s.dht.host}:${s.dht.port}`).join(','), '--peers', ...seeds.map((s) => new URL(s.url).host)] : []),
  ]
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...NODE.env, ...process.env } })
  children.add(proc)
  let err = ''
  proc.stderr?.setEncoding('utf8')
  const exited = once(proc, 'exit').then(([code]) => {
    throw new Error(`node ${i} exited (${String(code)}) before it listened: ${err.slice(-500)}`)
  })
  const ready = (async () => {
    while (true) {
      const [chunk] = (await once(proc.stderr as NodeJS.ReadableStream, 'data')) as [string]
      err += chunk
      const m = /dcmx node (0x[0-9a-fA-F]{40}) listening on (http:\/\/\S+)/.exec(err)
      const d = /dcmx dht [0-9a-f]{64} on udp (\S+):(\d+)/.exec(err)
      if (m && d) return { peerId: m[1] as string, url: m[2] as string, dht: { host: d[1] as string, port: Number(d[2]) } }
    }
  })()
  const r = await Promise.race([ready, exited])
  exited.catch(() => {}) // it may exit later (SIGKILL in the repair step)
  proc.stderr?.resume()
  const token = (await readFile(join(dir, 'api-token'), 'utf8')).trim()
  return { i, proc, dir, token, dead: false, ...r }
}

async function local<T>(n: Proc, command: string, body: unknown): Promise<T> {
  try {
    return await localOnce<T>(n, command, body)
  } catch (err) {
    // A keep-alive socket the node closed just as it was reused: ECONNRESET before any request reached it. Once more.
    if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw err
    return localOnce<T>(n, command, body)
  }
}

async function localOnce<T>(n: Proc, command: string, body: unknown): Promise<T> {
  const res = await fetch(`${n.url}/local/${command}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${n.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  if (!res.ok) throw new Error(`${command} on node ${n.i}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

const holds = async (n: Proc, hash: string): Promise<boolean> =>
  !n.dead && (await local<{ local: boolean }>(n, 'request_content_info', { content_hash: hash }).then((r) => r.local, () => false))

async function rssMiB(nodes: Proc[]): Promise<number[]> {
  const out: number[] = []
  for (const n of nodes) {
    if (n.dead) continue
    const s = await readFile(`/proc/${n.proc.pid}/status`, 'utf8').catch(() => '')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1])
    if (kb) out.push(kb / 1024)
  }
  return out
}

/** The nodes the rendezvous ranking puts first for `hash` (replication designates among these), live ones only. */
function rankedNodes(nodes: Proc[], hash: string, top: number): Proc[] {
  const byId = new Map(nodes.filter((n) => !n.dead).map((n) => [n.peerId, n]))
  return rankFor(hash, byId.keys()).slice(0, top).map((id) => byId.get(id) as Proc)
}

/** Polls until `k` live nodes hold `hash` (checking the uploader and the ranking's first 12); ms, or undefined at the timeout. */
async function timeToK(nodes: Proc[], hash: string, t0: number, timeoutMs: number, extra: Proc[] = []): Promise<{ ms: number | undefined; holders: Proc[] }> {
  const watch = [...new Set([...extra.filter((n) => !n.dead), ...rankedNodes(nodes, hash, 12)])]
  while (performance.now() - t0 < timeoutMs) {
    const h = (await Promise.all(watch.map(async (n) => ((await holds(n, hash)) ? n : undefined)))).filter((n): n is Proc => n !== undefined)
    if (h.length >= K) return { ms: performance.now() - t0, holders: h }
    await sleep(100)
  }
  return { ms: undefined, holders: [] }
}

async function main(): Promise<void> {
  const started = new Date()
  log('building node/dist (npm run build)')
  await sh(process.execPath, [join(HERE, '../scripts/build.ts')])
  work = await mkdtemp(join(tmpdir(), 'dcmx-scale-mesh-'))
  const nodes: Proc[] = []

  // Seeds first (node 0 starts the DHT, 1-2 join it), then batches of BATCH so the 2 cores cope.
  const tStart = performance.now()
  nodes.push(await startOne(0, []))
  for (let i = 1; i < SEEDS; i++) nodes.push(await startOne(i, nodes.slice(0, 1)))
  const seeds = nodes.slice(0, SEEDS)
  for (let i = SEEDS; i < N; i += BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => startOne(i + j, seeds)))
    nodes.push(...batch)
    log(`${nodes.length}/${N} nodes listening`)
  }
  const startSeconds = (performance.now() - tStart) / 1000
  log(`all ${N} nodes up in ${round(startSeconds)} s; letting gossip settle`)
  await sleep(QUICK ? 5000 : 20_000)
  const rssIdle = await rssMiB(nodes)
  const stats = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/stats`)).json() as Promise<{ peers_known: number }>))
  const peersKnown = stats.map((s) => s.peers_known)
  log(`idle RSS per process: median ${round(pct(rssIdle, 50))} MiB, max ${round(Math.max(...rssIdle))} MiB; peers known median ${pct(peersKnown, 50)}`)

  // Time to k holders: upload on a random non-seed node, poll the uploader and the ranking's first nodes.
  const tracks: Array<{ hash: string; uploader: Proc; ms: number | undefined; holders: Proc[] }> = []
  for (let t = 0; t < TRACKS; t++) {
    const uploader = nodes[SEEDS + Math.floor(Math.random() * (N - SEEDS))] as Proc
    const bytes = randomBytes(TRACK_BYTES)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const res = await fetch(`${uploader.url}/tracks?title=Scale%20${t}&artist=Bench`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader.token}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    })
    if (res.status !== 201) throw new Error(`upload ${res.status} ${await res.text()}`)
    const t0 = performance.now()
    const r = await timeToK(nodes, hash, t0, K_TIMEOUT_MS, [uploader])
    tracks.push({ hash, uploader, ...r })
    log(`track ${t}: ${r.ms === undefined ? `not on ${K} holders within ${K_TIMEOUT_MS / 1000} s` : `${K} holders in ${round(r.ms, 0)} ms`}`)
  }
  const kMs = tracks.map((t) => t.ms).filter((x): x is number => x !== undefined)

  // Provider lookups: a random node that does not hold the hash asks the DHT for the first provider.
  await sleep(2000) // the last holders' announces
  const lookups: Array<{ serverMs: number; wallMs: number; found: boolean }> = []
  const holderSets: Array<Set<number>> = []
  for (const t of tracks) holderSets.push(new Set((await Promise.all(nodes.map(async (n) => ((await holds(n, t.hash)) ? n.i : -1)))).filter((i) => i >= 0)))
  for (let l = 0; l < LOOKUPS; l++) {
    const ti = l % tracks.length
    const t = tracks[ti] as (typeof tracks)[number]
    const candidates = nodes.filter((n) => !(holderSets[ti] as Set<number>).has(n.i))
    const asker = candidates[Math.floor(Math.random() * candidates.length)] as Proc
    const w0 = performance.now()
    const r = await local<{ providers: unknown[]; elapsed_ms: number }>(asker, 'find_providers', { content_hash: t.hash, max: 1 }).catch((err: unknown) => {
      log(`lookup on node ${asker.i} failed: ${(err as Error).message}`)
      return undefined
    })
    lookups.push({ serverMs: r?.elapsed_ms ?? Number.NaN, wallMs: performance.now() - w0, found: (r?.providers.length ?? 0) > 0 })
  }
  const foundMs = lookups.filter((l) => l.found).map((l) => l.serverMs)
  const wallMs = lookups.filter((l) => l.found).map((l) => l.wallMs)
  log(`lookups: ${foundMs.length}/${LOOKUPS} found, p50 ${round(pct(foundMs, 50), 2)} ms, p99 ${round(pct(foundMs, 99), 2)} ms (HTTP wall p50 ${round(pct(wallMs, 50), 2)} ms)`)
  const holdersPerTrack = holderSets.map((s) => s.size)

  // Repair: SIGKILL a holder (not the uploader), time until K live nodes hold the track again.
  const repairs: Array<{ ms: number | undefined; killed: number }> = []
  for (let r = 0; r < Math.min(REPAIRS, tracks.length); r++) {
    const t = tracks[r] as (typeof tracks)[number]
    const live = nodes.filter((n) => !n.dead && (holderSets[r] as Set<number>).has(n.i))
    const victim = live.find((n) => n !== t.uploader && n.i >= SEEDS) ?? live[0]
    if (!victim || live.length < K) {
      log(`repair ${r}: skipped (${live.length} holders)`)
      continue
    }
    victim.dead = true
    victim.proc.kill('SIGKILL')
    const t0 = performance.now()
    await once(victim.proc, 'exit').catch(() => {})
    const res = await timeToK(nodes, t.hash, t0, REPAIR_TIMEOUT_MS, live)
    repairs.push({ ms: res.ms, killed: victim.i })
    log(`repair ${r}: ${res.ms === undefined ? `not repaired within ${REPAIR_TIMEOUT_MS / 1000} s` : `${K} live holders again ${round(res.ms / 1000, 1)} s after SIGKILL`}`)
  }
  const rssEnd = await rssMiB(nodes)
  const repairMs = repairs.map((r) => r.ms).filter((x): x is number => x !== undefined)

  const result = {
    command: 'npm run bench:scale:mesh -w @dcmx/node',
    date: started.toISOString(),
    machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: round(totalmem() / 2 ** 30), node: process.version, loadavg1AtEnd: round(loadavg()[0] as number, 2) },
    setup: {
      nodes: N, seeds: SEEDS, startBatch: BATCH, built: 'node/dist/main.js', nodeFlags: NODE.flags.join(' '), k: K, gossipIntervalMs: GOSSIP_MS, fanout: 3,
      maxRetries: MAX_RETRIES, replicateIntervalMs: REPLICATE_MS, trackBytes: TRACK_BYTES, tracks: TRACKS, lookups: LOOKUPS, ipfs: false,
    },
    startSeconds: round(startSeconds),
    lookup: {
      found: foundMs.length, total: LOOKUPS,
      p50Ms: round(pct(foundMs, 50), 2), p99Ms: round(pct(foundMs, 99), 2), maxMs: round(Math.max(...foundMs), 2),
      httpWallP50Ms: round(pct(wallMs, 50), 2), httpWallP99Ms: round(pct(wallMs, 99), 2),
    },
    timeToK: {
      reached: kMs.length, total: TRACKS,
      p50Ms: kMs.length ? round(pct(kMs, 50), 0) : null, maxMs: kMs.length ? round(Math.max(...kMs), 0) : null, samplesMs: tracks.map((t) => (t.ms === undefined ? null : round(t.ms, 0))),
      holdersPerTrackAfterwards: holdersPerTrack,
    },
    repair: { repaired: repairMs.length, total: repairs.length, samplesS: repairs.map((r) => (r.ms === undefined ? null : round(r.ms / 1000, 1))), timeoutS: REPAIR_TIMEOUT_MS / 1000 },
    rssMiB: {
      idleMedian: round(pct(rssIdle, 50)), idleP90: round(pct(rssIdle, 90)), idleMax: round(Math.max(...rssIdle)), idleTotalGiB: round(rssIdle.reduce((a, b) => a + b, 0) / 1024, 2),
      endMedian: round(pct(rssEnd, 50)), endMax: round(Math.max(...rssEnd)),
    },
    peersKnownMedian: pct(peersKnown, 50),
  }
  await saveResults('scale-mesh', result, markdown(result))
}

function markdown(r: {
  command: string
  date: string
  machine: { nproc: number; cpu: string; memGiB: number; node: string; loadavg1AtEnd: number }
  setup: Record<string, unknown> & { nodes: number; k: number; gossipIntervalMs: number; replicateIntervalMs: number; maxRetries: number; tracks: number; lookups: number; seeds: number; startBatch: number }
  startSeconds: number
  lookup: { found: number; total: number; p50Ms: number; p99Ms: number; maxMs: number; httpWallP50Ms: number; httpWallP99Ms: number }
  timeToK: { reached: number; total: number; p50Ms: number | null; maxMs: number | null; samplesMs: Array<number | null>; holdersPerTrackAfterwards: number[] }
  repair: { repaired: number; total: number; samplesS: Array<number | null>; timeoutS: number }
  rssMiB: { idleMedian: number; idleP90: number; idleMax: number; idleTotalGiB: number; endMedian: number; endMax: number }
  peersKnownMedian: number
}): string {
  const s = r.setup
  return `# ${s.nodes} dcmx nodes on loopback (issue 10)

- Command: \`${r.command}\` (harness: \`node/bench/scale-mesh.ts\`)
- Date: ${r.date}
- Machine: ${r.machine.nproc} CPUs (${r.machine.cpu}), ${r.machine.memGiB} GiB, Node ${r.machine.node}; shared with other jobs
  (1-min load average at the end: ${r.machine.loadavg1AtEnd})
- Method: ${s.nodes} \`dcmx start\` processes of the built node (\`node ${s.nodeFlags} dist/main.js\`, \`MALLOC_ARENA_MAX=2\`, the bin's shebang),
  off chain, \`--no-ipfs\`, on 127.0.0.1: \`--dht\` (the first ${s.seeds} nodes are the DHT bootstrap and gossip seeds of
  all others), \`--replicate ${s.k} --replicate-interval ${s.replicateIntervalMs}\`, gossip \`--interval ${s.gossipIntervalMs} --fanout 3
  --max-retries ${s.maxRetries}\`; started in batches of ${s.startBatch} (all up in ${r.startSeconds} s), then 20 s to settle.
  ${s.tracks} tracks of 256 KiB are uploaded one at a time to random nodes; time to k = from the upload's 201 until
  ${s.k} nodes answer \`local: true\` (polled every 100 ms among the uploader and the rendezvous ranking's first 12).
  Lookups: ${s.lookups} \`POST /local/find_providers {max: 1}\` from random nodes that do not hold the hash, timed inside the
  node (DHT query start to the first provider record with an HTTP address); the HTTP round trip is given beside it.
  Repair: a holder that is neither the uploader nor a seed is SIGKILLed; time until ${s.k} live nodes hold the track again.

| Figure | Measured | Target |
|---|---|---|
| provider lookup p50 / p99 / max (${r.lookup.found}/${r.lookup.total} found) | ${r.lookup.p50Ms} / ${r.lookup.p99Ms} / ${r.lookup.maxMs} ms | p50 <= 200 ms: ${r.lookup.p50Ms <= 200 ? 'met' : '**missed**'} |
| same, with the HTTP call to the asking node, p50 / p99 | ${r.lookup.httpWallP50Ms} / ${r.lookup.httpWallP99Ms} ms | |
| time to k = ${s.k} holders after upload, p50 / max (${r.timeToK.reached}/${r.timeToK.total} reached) | ${r.timeToK.p50Ms ?? '-'} / ${r.timeToK.maxMs ?? '-'} ms | |
| holders per track once settled (all nodes asked) | ${r.timeToK.holdersPerTrackAfterwards.join(', ')} | k = ${s.k} |
| repair after SIGKILL of a holder (${r.repair.repaired}/${r.repair.total} repaired) | ${r.repair.samplesS.map((x) => (x === null ? `> ${r.repair.timeoutS} s` : `${x} s`)).join(', ')} | |
| RSS per process, idle: median / p90 / max (sum) | ${r.rssMiB.idleMedian} / ${r.rssMiB.idleP90} / ${r.rssMiB.idleMax} MiB (${r.rssMiB.idleTotalGiB} GiB) | < 100 MiB |
| RSS per process at the end: median / max | ${r.rssMiB.endMedian} / ${r.rssMiB.endMax} MiB | |
| gossip peers known per node (median) | ${r.peersKnownMedian} | |

Time-to-k samples (ms): ${r.timeToK.samplesMs.map((x) => x ?? 'timeout').join(', ')}.

## Notes

- Repair is bound by failure detection, not by the fetch: a survivor only stops counting the dead holder once its own
  gossip exchanges with it failed \`--max-retries\` + 1 times (or its signed record ages out); with fanout 3 among
  ${s.nodes - 1} peers a node reaches a given peer about every ${Math.round((s.nodes - 1) / 3)} rounds, so the node designated next may take
  several gossip periods to notice. Time to k is bound by gossip spreading the announcement (push to fanout
  peers, then epidemic) plus one fetch.
- Lookups are hyperdht queries over UDP between separate processes on 2 shared cores; the p99 includes the
  event-loop delays of ${s.nodes} busy processes.
`
}

try {
  await main()
} finally {
  cleanup()
}
