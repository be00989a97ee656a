/**
 * The measured DHT choice (issue #10): N in-process nodes of each candidate on 127.0.0.1, every node bootstrapped
 * from the first (no public bootstrap node is ever configured), P nodes announce one content hash each, then L
 * lookups from random other nodes. Per candidate: marginal memory per node (RSS and heap after GC, in its own
 * child process so candidates do not share a heap), announce latency, time to the first provider p50/p99, hops
 * (depth of the answering node in the lookup's introduction tree: the querier's own table = 1) and messages per
 * lookup. Writes bench/results/dht-compare.json.
 *
 *   npm run bench:dht -w @dcmx/node            (DHT_N=64 DHT_LOOKUPS=200; BENCH_QUICK=1 for a smoke run)
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { saveResults } from './results.ts'

const QUICK = process.env.BENCH_QUICK === '1'
const N = Number(process.env.DHT_N ?? (QUICK ? 16 : 64))
const LOOKUPS = Number(process.env.DHT_LOOKUPS ?? (QUICK ? 20 : 200))
/** A second, larger run for the candidates light enough for it (under 5 MiB per node at N): hops grow with N. */
const SCALE_N = Number(process.env.DHT_SCALE_N ?? (QUICK ? 0 : 512))
const PROVIDERS = Math.min(N - 1, 32)
const LOOKUP_TIMEOUT_MS = 10_000

/** What a run measures for one candidate (same code path for all three). */
interface Driver {
  /** Starts node `i`; node 0 is everyone's bootstrap. */
  start(i: number): Promise<void>
  /** After all started: lets routing tables fill; returns the mean table size. */
  settle(): Promise<number>
  announce(i: number, key: Buffer): Promise<void>
  /** Time to the first provider of `key` seen from node `i`. */
  lookup(i: number, key: Buffer, signal: AbortSignal): Promise<{ found: boolean; hops: number; messages: number }>
  stop(): Promise<void>
}

/** The installed version of `pkg` (its package.json is not always exported). */
async function versionOf(pkg: string): Promise<string> {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    try {
      return (JSON.parse(await readFile(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version
    } catch {
      if (dir === dirname(dir)) return 'unknown'
    }
  }
}

/** Depth of each contacted address in a lookup: the querier's own table is hop 1, a node learned from hop k is k+1. */
class HopTracker {
  #depth = new Map<string, number>()
  messages = 0
  sent(addr: string): void {
    this.messages++
    if (!this.#depth.has(addr)) this.#depth.set(addr, 1)
  }
  learned(from: string, addrs: Iterable<string>): void {
    const d = (this.#depth.get(from) ?? 1) + 1
    for (const a of addrs) if (!this.#depth.has(a) || (this.#depth.get(a) as number) > d) this.#depth.set(a, d)
  }
  hopsOf(addr: string): number {
    return this.#depth.get(addr) ?? 1
  }
}

async function kadDht(): Promise<{ version: string; driver: Driver }> {
  const [{ createLibp2p }, { tcp }, { noise }, { yamux }, { identify }, { ping }, { kadDHT }, { privateKeyFromRaw }, { CID }, { sha256 }] = await Promise.all([
    import('libp2p'),
    import('@libp2p/tcp'),
    import('@chainsafe/libp2p-noise'),
    import('@chainsafe/libp2p-yamux'),
    import('@libp2p/identify'),
    import('@libp2p/ping'),
    import('@libp2p/kad-dht'),
    import('@libp2p/crypto/keys'),
    import('multiformats/cid'),
    import('multiformats/hashes/sha2'),
  ])
  type Node = Awaited<ReturnType<typeof make>>
  const make = (key: Uint8Array) =>
    createLibp2p({
      // A secp256k1 peer id from 32 raw bytes: the same kind of key as a DCMX node's wallet (node.key).
      privateKey: privateKeyFromRaw(key),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      // Every node shares 127.0.0.1: lift the per-host inbound rate limit and allow loopback dials.
      connectionManager: { inboundConnectionThreshold: Number.POSITIVE_INFINITY, maxIncomingPendingConnections: 1000, maxConnections: 1000 },
      connectionGater: { denyDialMultiaddr: () => false },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT({ protocol: '/dcmx/kad/1.0.0', clientMode: false, peerInfoMapper: (p) => p, allowQueryWithZeroPeers: true }),
      },
    })
  const nodes: Node[] = []
  const cid = (key: Buffer) => CID.createV1(0x55, sha256.digest(key) as never)
  const cids = new Map<string, ReturnType<typeof cid>>()
  const cidOf = (key: Buffer) => {
    const k = key.toString('hex')
    if (!cids.has(k)) cids.set(k, cid(key))
    return cids.get(k) as ReturnType<typeof cid>
  }
  return {
    version: await versionOf('@libp2p/kad-dht'),
    driver: {
      async start(i) {
        const n = await make(randomBytes(32))
        nodes.push(n)
        // A handshake can time out on a loaded machine: retry before giving up on the run.
        for (let attempt = 1; i > 0; attempt++) {
          try {
            await n.dial(nodes[0].getMultiaddrs()[0])
            break
          } catch (err) {
            if (attempt >= 5) throw err
          }
        }
      },
      async settle() {
        // One self-lookup per node (what its query-self timer does after start), then a refresh.
        for (const n of nodes) for await (const _ of n.services.dht.getClosestPeers(n.peerId.toMultihash().bytes)) void _
        await new Promise((r) => setTimeout(r, 1000))
        return nodes.reduce((s, n) => s + (n.services.dht as unknown as { routingTable: { size: number } }).routingTable.size, 0) / nodes.length
      },
      async announce(i, key) {
        for await (const _ of nodes[i].services.dht.provide(cidOf(key))) void _
      },
      async lookup(i, key, signal) {
        const t = new HopTracker()
        for await (const ev of nodes[i].services.dht.findProviders(cidOf(key), { signal })) {
          if (ev.name === 'SEND_QUERY') t.sent(ev.to.toString())
          else if (ev.name === 'PEER_RESPONSE') t.learned(ev.from.toString(), ev.closer.map((p) => p.id.toString()))
          else if (ev.name === 'PROVIDER' && ev.providers.length > 0) {
            const self = ev.from.equals(nodes[i].peerId)
            return { found: true, hops: self ? 0 : t.hopsOf(ev.from.toString()), messages: t.messages }
          }
        }
        return { found: false, hops: Number.NaN, messages: t.messages }
      },
      async stop() {
        await Promise.all(nodes.map((n) => n.stop()))
      },
    },
  }
}

async function bittorrentDht(): Promise<{ version: string; driver: Driver }> {
  const DHT = (await import('bittorrent-dht')).default
  const nodes: any[] = []
  const addr = (p: { host?: string; address?: string; port: number }) => `${p.host ?? p.address}:${p.port}`
  return {
    version: await versionOf('bittorrent-dht'),
    driver: {
      async start(i) {
        const n = new DHT({ bootstrap: i === 0 ? false : [addr(nodes[0].address())], host: '127.0.0.1' })
        nodes.push(n)
        await new Promise<void>((r) => n.listen(0, '127.0.0.1', () => r()))
        if (i > 0) await new Promise<void>((r) => (n.ready ? r() : n.once('ready', () => r())))
      },
      async settle() {
        // What a node's periodic bucket refresh does: a lookup of its own id.
        for (const n of nodes) await new Promise<void>((r) => n._rpc.populate(n._rpc.id, { q: 'find_node', a: { id: n._rpc.id, target: n._rpc.id } }, () => r()))
        return nodes.reduce((s, n) => s + n.toJSON().nodes.length, 0) / nodes.length
      },
      async announce(i, key) {
        // BEP 5 info hashes are 20 bytes: the first 20 of the content hash.
        await new Promise<void>((r, j) => nodes[i].announce(key.subarray(0, 20), 4000 + i, (err: Error | null) => (err ? j(err) : r())))
      },
      async lookup(i, key, signal) {
        const n = nodes[i]
        const t = new HopTracker()
        const sock = n._rpc.socket
        const query = sock.query.bind(sock)
        const target = key.subarray(0, 20)
        return new Promise((resolve) => {
          let done = false
          const finish = (r: { found: boolean; hops: number; messages: number }) => {
            if (done) return
            done = true
            sock.query = query
            n.off('peer', onPeer)
            resolve(r)
          }
          let lastFrom = ''
          sock.query = (peer: { host: string; port: number }, message: any, cb: (err: Error | null, res: any, peer: any) => void) => {
            t.sent(addr(peer))
            return query(peer, message, (err: Error | null, res: any, from: any) => {
              if (!err && res?.r) {
                const nodesBuf: Buffer | undefined = res.r.nodes
                const learned: string[] = []
                if (nodesBuf) for (let o = 0; o + 26 <= nodesBuf.length; o += 26) learned.push(`${nodesBuf[o + 20]}.${nodesBuf[o + 21]}.${nodesBuf[o + 22]}.${nodesBuf[o + 23]}:${nodesBuf.readUInt16BE(o + 24)}`)
                t.learned(addr(peer), learned)
                if (res.r.values) lastFrom = addr(peer)
              }
              cb(err, res, from)
            })
          }
          const onPeer = (_peer: unknown, infoHash: Buffer, from: { host: string; port: number } | null) => {
            if (!infoHash.equals(target)) return
            finish({ found: true, hops: from ? t.hopsOf(addr(from)) : lastFrom ? t.hopsOf(lastFrom) : 0, messages: t.messages })
          }
          n.on('peer', onPeer)
          signal.addEventListener('abort', () => finish({ found: false, hops: Number.NaN, messages: t.messages }))
          n.lookup(target, () => setImmediate(() => finish({ found: false, hops: Number.NaN, messages: t.messages })))
        })
      },
      async stop() {
        await Promise.all(nodes.map((n) => new Promise<void>((r) => n.destroy(() => r()))))
      },
    },
  }
}

async function hyperDht(): Promise<{ version: string; driver: Driver }> {
  const DHT = (await import('hyperdht')).default as any // the bench reaches into internals (_request) to count hops
  const nodes: any[] = []
  let bootstrap: Array<{ host: string; port: number }> = []
  return {
    version: await versionOf('hyperdht'),
    driver: {
      async start(i) {
        // As hyperdht's own testnet: persistent, unfirewalled nodes on loopback, bootstrapped from the first.
        const n = new DHT({ ephemeral: false, firewalled: false, bootstrap, host: '127.0.0.1', ...(i === 0 ? { port: 0 } : {}) })
        await n.fullyBootstrapped()
        if (i === 0) bootstrap = [{ host: '127.0.0.1', port: n.address().port }]
        nodes.push(n)
      },
      async settle() {
        for (const n of nodes) await n.refresh?.()
        await new Promise((r) => setTimeout(r, 500))
        return nodes.reduce((s, n) => s + n.toArray().length, 0) / nodes.length
      },
      async announce(i, key) {
        await nodes[i].announce(key, DHT.keyPair()).finished()
      },
      async lookup(i, key, signal) {
        const n = nodes[i]
        const t = new HopTracker()
        const request = n._request
        n._request = (to: { host: string; port: number }, force: unknown, internal: unknown, command: unknown, target: unknown, value: unknown, session: unknown, onresponse: (m: any, req: any) => void, onerror: unknown) => {
          t.sent(`${to.host}:${to.port}`)
          return request.call(n, to, force, internal, command, target, value, session, (m: any, req: any) => {
            if (m.closerNodes) t.learned(`${to.host}:${to.port}`, m.closerNodes.map((c: { host: string; port: number }) => `${c.host}:${c.port}`))
            onresponse(m, req)
          }, onerror)
        }
        const q = n.lookup(key)
        const abort = () => q.destroy()
        signal.addEventListener('abort', abort)
        try {
          for await (const data of q) {
            if (data.peers.length > 0) {
              q.destroy()
              return { found: true, hops: t.hopsOf(`${data.from.host}:${data.from.port}`), messages: t.messages }
            }
          }
          return { found: false, hops: Number.NaN, messages: t.messages }
        } catch {
          return { found: false, hops: Number.NaN, messages: t.messages }
        } finally {
          signal.removeEventListener('abort', abort)
          n._request = request
        }
      },
      async stop() {
        for (const n of nodes.reverse()) await n.destroy()
      },
    },
  }
}

/** What the numbers cannot show: how each fits DCMX (wallet identities, HTTP transfer, browsers). */
const FIT: Record<string, { package: string; identity: string; records: string; transport: string; browser: string }> = {
  'kad-dht': {
    package: '@libp2p/kad-dht',
    identity: 'secp256k1 peer ids: the node key (node.key, the wallet) is the libp2p identity as is, so a provider record names the same key that signs peer records and receipts',
    records: 'provider records by CID/multihash with expiry (48 h) and a reprovider; the same records the IPFS issue needs (Amino DHT protocol when the protocol name is /ipfs/kad/1.0.0)',
    transport: 'TCP + Noise + yamux streams for DHT RPCs; content stays on our HTTP API (a provider record carries the multiaddrs, an HTTP multiaddr or the signed peer record gives the URL)',
    browser: 'js-libp2p runs in browsers: a browser can query the DHT through WebSockets/WebTransport/WebRTC listeners on nodes (client mode); HTTP delegated routing (/routing/v1) is the light path',
  },
  'bittorrent-dht': {
    package: 'bittorrent-dht',
    identity: 'random 160-bit node ids, unsigned; BEP 44 mutable items sign with ed25519, not secp256k1: a wallet identity would be a separate signed layer',
    records: 'announce_peer stores ip:port per 20-byte info hash (a truncated SHA-256), tokens bind the announcer to its IP; no expiry control beyond the implementation (~15-30 min)',
    transport: 'UDP (KRPC/bencode); the announced port can be the HTTP port, so a hit is directly an HTTP URL',
    browser: 'no: browsers cannot send UDP; needs a node-side HTTP proxy for lookups',
  },
  hyperdht: {
    package: 'hyperdht',
    identity: 'ed25519 key pairs (noise keys); announce records are signed by that key, not secp256k1: a second identity bound to the wallet by a signature',
    records: 'announce/lookup by 32-byte topic (our content hash as is), records expire and must be re-announced; holepunching for NATed nodes',
    transport: 'UDP (UDX) and encrypted Noise streams between peers; HTTP content would still go over our TCP listener',
    browser: 'no UDP in browsers; only through a WebSocket relay (dht-relay) run by a node',
  },
}

const CANDIDATES: Record<string, () => Promise<{ version: string; driver: Driver }>> = {
  'kad-dht': kadDht,
  'bittorrent-dht': bittorrentDht,
  hyperdht: hyperDht,
}

const pct = (xs: number[], p: number): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const r1 = (x: number): number => Math.round(x * 10) / 10
const mib = (b: number): number => Math.round((b / 2 ** 20) * 100) / 100

function memory(): { rss: number; heap: number } {
  ;(globalThis as { gc?: () => void }).gc?.()
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers }
}

const phase = (what: string): void => {
  if (process.env.DHT_DEBUG) process.stderr.write(`  ${what} at ${Math.round(performance.now())} ms\n`)
}

/** One candidate in this process (the child). */
async function runOne(name: string): Promise<Record<string, unknown>> {
  const before = memory()
  const { version, driver } = await CANDIDATES[name]()
  phase(`loaded ${name} ${version}`)
  const loaded = memory()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) await driver.start(i)
  phase('started')
  const table = await driver.settle()
  phase('settled')
  const setupS = (performance.now() - t0) / 1000
  const started = memory()
  const keys = Array.from({ length: PROVIDERS }, (_, i) => createHash('sha256').update(`dcmx-dht-bench/${i}`).digest())
  const announceMs: number[] = []
  for (let i = 0; i < PROVIDERS; i++) {
    const a = performance.now()
    await driver.announce(i + 1, keys[i])
    announceMs.push(performance.now() - a)
  }
  phase('announced')
  const ms: number[] = []
  const hops: number[] = []
  const messages: number[] = []
  let found = 0
  for (let l = 0; l < LOOKUPS; l++) {
    const k = l % PROVIDERS
    let from = Math.floor(Math.random() * N)
    if (from === k + 1) from = (from + 1) % N
    const a = performance.now()
    const r = await driver.lookup(from, keys[k], AbortSignal.timeout(LOOKUP_TIMEOUT_MS))
    if (r.found) {
      found++
      ms.push(performance.now() - a)
      hops.push(r.hops)
    }
    messages.push(r.messages)
  }
  const idle = memory()
  phase('looked up')
  await driver.stop()
  return {
    name,
    package: FIT[name].package,
    version,
    nodes: N,
    providers: PROVIDERS,
    lookups: LOOKUPS,
    setup_s: r1(setupS),
    routing_table_mean: r1(table),
    library_rss_mib: mib(loaded.rss - before.rss),
    rss_per_node_mib: mib((started.rss - loaded.rss) / N),
    heap_per_node_mib: mib((started.heap - loaded.heap) / N),
    rss_per_node_after_lookups_mib: mib((idle.rss - loaded.rss) / N),
    announce_ms_p50: r1(pct(announceMs, 50)),
    lookup_ms_p50: r1(pct(ms, 50)),
    lookup_ms_p99: r1(pct(ms, 99)),
    hops_p50: pct(hops, 50),
    hops_p99: pct(hops, 99),
    hops_log2_n: r1(Math.log2(N)),
    messages_p50: pct(messages, 50),
    messages_p99: pct(messages, 99),
    success: r1((found / LOOKUPS) * 100),
    fit: FIT[name],
  }
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--run')
  if (i >= 0) {
    const r = await runOne(process.argv[i + 1])
    process.stdout.write(`\nRESULT ${JSON.stringify(r)}\n`)
    process.exit(0) // some libraries keep timers after stop()
  }
  const only = process.env.DHT_CANDIDATES?.split(',') ?? Object.keys(CANDIDATES)
  const results: Array<Record<string, unknown>> = []
  const runs = only.map((name) => ({ name, n: N }))
  for (let r = 0; r < runs.length; r++) {
    const { name, n } = runs[r]
    process.stderr.write(`dht-compare: ${name}, ${n} nodes on 127.0.0.1 ...\n`)
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--run', name], {
        timeout: 1_200_000,
        maxBuffer: 64 << 20,
        env: { ...process.env, DEBUG: '', DHT_N: String(n) },
      })
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
      if (!line) throw new Error('no result line')
      const r = JSON.parse(line.slice(7)) as Record<string, unknown>
      process.stderr.write(`  ${JSON.stringify({ ...r, fit: undefined })}\n`)
      results.push(r)
      if (n === N && SCALE_N > N && (r.rss_per_node_mib as number) < 5) runs.push({ name, n: SCALE_N })
    } catch (err) {
      // A candidate that is not installed (or fails) is reported, not fatal.
      const reason = (err as Error).message.split('\n').find((l) => /Cannot find|ERR_|Error/.test(l)) ?? (err as Error).message.split('\n')[0]
      process.stderr.write(`  ${name} skipped: ${reason}\n`)
      results.push({ name, package: FIT[name]?.package, skipped: reason, fit: FIT[name] })
    }
  }
  // DHT_CANDIDATES=a,b re-runs some candidates and keeps the others' last committed results.
  if (process.env.DHT_CANDIDATES) {
    try {
      const prev = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', 'bench', 'results', 'dht-compare.json'), 'utf8')) as { candidates: Array<Record<string, unknown>> }
      const fresh = new Set(only)
      results.unshift(...prev.candidates.filter((c) => !fresh.has(c.name as string)))
    } catch {
      // no previous results
    }
  }
  await saveResults('dht-compare', {
    bench: 'dht-compare',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    method: `${N} nodes per candidate (and ${SCALE_N} for those under 5 MiB per node) in one child process on 127.0.0.1, bootstrapped from the first node only; ${PROVIDERS} nodes announce one key each; ${LOOKUPS} sequential lookups from random other nodes; latency to the first provider; hops = depth of the answering node (own routing table = 1, own store = 0)`,
    candidates: results,
  })
}

await main()
