import { createHash } from 'node:crypto'

import { designate } from '../../src/mesh/replication.ts'
import { VirtualClock } from './clock.ts'
import { type NetworkOptions, SimNetwork, ipOf, prng } from './net.ts'


export interface ScenarioOptions {
  /** Nodes at the start of the lookup phase (churn keeps the count constant). */
  n: number
  /** Tracks (content hashes); each is announced by its k designated holders. */
  tracks: number
  /** Lookups, spread evenly over the lookup phase, each from a random live node that does not hold the track. */
  lookups: number
  seed: number
  net: Partial<NetworkOptions>
  /** Nodes that join the network at once during the bootstrap phase. */
  joinBatch: number
  /** Idle time after the last join (the idle message rate is measured over its second half). */
  settleMs: number
  /** Duration of the lookup phase (simulated). */
  lookupPhaseMs: number
  /** Churn during the lookup phase: this fraction of the network leaves per minute (crash) and as many join. */
  churnPerMin: number
  /** Replication: holders per track, pass interval, and the delay before a silent node stops counting as live. */
  k: number
  passMs: number
  deadAfterMs: number
  /** Holders re-announce each hash this often (DCMX: 10 min; hyperdht records live 20 min). */
  reannounceMs: number
  /** Time after churn stops for repair to finish (the final replication figure is taken after it). */
  tailMs: number
  /** A lookup that has not found a live holder by then counts as failed. */
  lookupTimeoutMs: number
  log?: (msg: string) => void
}

export const DEFAULTS: Omit<ScenarioOptions, 'n'> = {
  tracks: 500,
  lookups: 1000,
  seed: 1,
  net: {},
  joinBatch: 20,
  settleMs: 60_000,
  lookupPhaseMs: 5 * 60_000,
  churnPerMin: 0.01,
  k: 3,
  passMs: 30_000,
  deadAfterMs: 5 * 60_000,
  reannounceMs: 10 * 60_000,
  tailMs: 6 * 60_000,
  lookupTimeoutMs: 30_000,
}

interface SimNode {
  i: number
  ip: string
  dht: any
  keyPair: { publicKey: Buffer; secretKey: Buffer }
  /** Peer id as replication ranks it (the node's public key, hex). */
  id: string
  alive: boolean
  leftAt: number
  holds: Set<string>
  busy: boolean
  /** Per-lookup hop tracker while a lookup runs on this node. */
  hops: HopTracker | undefined
}

/** Depth of each contacted address in a lookup: the querier's own table is hop 1, a node learned from hop k is k+1. */
export class HopTracker {
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

export interface LookupResult {
  found: boolean
  /** The first record named only departed holders (before any live one was seen). */
  staleFirst: boolean
  hops: number
  latencyMs: number
  messages: number
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

function gc(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

function mem(): { rss: number; heap: number } {
  gc()
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers }
}

/**
 * A network of real hyperdht nodes (unmodified, from node_modules) on the simulated UDX of `net.ts`, run on the
 * virtual clock of `clock.ts`. The harness that the bench and the test share: start nodes, kill them, announce,
 * look up with hop counting.
 */
export class SimHarness {
  readonly clock: VirtualClock
  readonly net: SimNetwork
  readonly nodes: SimNode[] = []
  /** Every node ever started, by peer id (public key hex). */
  readonly byId = new Map<string, SimNode>()
  readonly rand: () => number
  DHT: any
  #bootstrap: Array<{ host: string; port: number }> = []
  #savedRandom = Math.random

  constructor(opts: { seed: number; net?: Partial<NetworkOptions> }) {
    this.clock = new VirtualClock()
    this.net = new SimNetwork(this.clock, { ...opts.net, seed: opts.seed })
    this.rand = prng(opts.seed)
  }

  /** Installs the virtual clock and a seeded Math.random (dht-rpc draws transaction ids and tick offsets from it). */
  async open(): Promise<this> {
    this.clock.install()
    const r = prng(this.rand() * 2 ** 32)
    this.#savedRandom = Math.random
    Math.random = r
    this.DHT = (await import('hyperdht')).default
    return this
  }

  async close(): Promise<void> {
    for (const n of this.nodes) if (n.alive) this.kill(n)
    await this.clock.runUntil(this.clock.now + 1000)
    this.clock.uninstall()
    Math.random = this.#savedRandom
  }

  get live(): SimNode[] {
    return this.nodes.filter((n) => n.alive)
  }

  /** Starts one node on the next virtual address; the first three become the bootstrap list. */
  async add(): Promise<SimNode> {
    const i = this.nodes.length + 1
    const ip = ipOf(i)
    const seed = createHash('sha256').update(`scale-sim:${i}`).digest()
    const keyPair = this.DHT.keyPair(seed)
    const dht = new this.DHT({ udx: this.net.host(ip), bootstrap: this.#bootstrap, ephemeral: false, firewalled: false, keyPair })
    const node: SimNode = { i, ip, dht, keyPair, id: keyPair.publicKey.toString('hex'), alive: true, leftAt: Number.POSITIVE_INFINITY, holds: new Set(), busy: false, hops: undefined }
    const request = dht._request
    dht._request = (to: { host: string; port: number }, force: unknown, internal: unknown, command: unknown, target: unknown, value: unknown, session: unknown, onresponse: (m: any, req: any) => void, onerror: unknown) => {
      const t = node.hops
      if (!t) return request.call(dht, to, force, internal, command, target, value, session, onresponse, onerror)
      t.sent(`${to.host}:${to.port}`)
      return request.call(dht, to, force, internal, command, target, value, session, (m: any, req: any) => {
        if (m.closerNodes) t.learned(`${to.host}:${to.port}`, m.closerNodes.map((c: { host: string; port: number }) => `${c.host}:${c.port}`))
        onresponse(m, req)
      }, onerror)
    }
    this.nodes.push(node)
    this.byId.set(node.id, node)
    await this.clock.until(dht.fullyBootstrapped())
    if (this.#bootstrap.length < 3) this.#bootstrap.push({ host: ip, port: dht.address().port })
    return node
  }

  /** Starts `count` nodes that join at once (their bootstraps overlap in simulated time). */
  async addMany(count: number): Promise<SimNode[]> {
    return this.clock.until(Promise.all(Array.from({ length: count }, () => this.add())))
  }

  /** A crash: the host stops sending and receiving at once; its peers learn it only by timeouts. */
  kill(n: SimNode): void {
    if (!n.alive) return
    n.alive = false
    n.leftAt = this.clock.now
    this.net.kill(n.ip)
    n.dht.destroy({ force: true }).catch(() => {})
  }

  /** `n` announces itself as a holder of `hash` (its record carries its HTTP address, as DhtRouting does). */
  announce(n: SimNode, hash: string): Promise<void> {
    return n.dht.announce(Buffer.from(hash, 'hex'), n.keyPair, [{ host: n.ip, port: 8080 }]).finished()
  }

  /**
   * Looks `hash` up from `from` until a record names a holder that `isLive` accepts. Hops: depth of the node whose
   * reply carried that record in the lookup's introduction tree (nodes from the querier's own table = 1).
   * Latency: simulated time from the start of the query to that reply.
   */
  async lookup(from: SimNode, hash: string, isLive: (publicKeyHex: string) => boolean, timeoutMs = 30_000): Promise<LookupResult> {
    const t = new HopTracker()
    from.hops = t
    from.busy = true
    const start = this.clock.now
    const q = from.dht.lookup(Buffer.from(hash, 'hex'))
    const timer = setTimeout(() => q.destroy(), timeoutMs)
    let staleFirst = false
    let sawAny = false
    try {
      for await (const data of q) {
        if (data.peers.length === 0) continue
        const live = data.peers.some((p: { publicKey: Buffer }) => isLive(p.publicKey.toString('hex')))
        if (!live) {
          if (!sawAny) staleFirst = true
          sawAny = true
          continue
        }
        return { found: true, staleFirst, hops: t.hopsOf(`${data.from.host}:${data.from.port}`), latencyMs: this.clock.now - start, messages: t.messages }
      }
    } catch {
      // destroyed by the timeout or the node went away: not found
    } finally {
      clearTimeout(timer)
      q.destroy()
      from.hops = undefined
      from.busy = false
    }
    return { found: false, staleFirst, hops: Number.NaN, latencyMs: this.clock.now - start, messages: t.messages }
  }

  pick<T>(xs: T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]
  }
}

export interface ScenarioResult {
  n: number
  options: Omit<ScenarioOptions, 'log'>
  network: NetworkOptions
  wallSeconds: number
  simulatedMinutes: number
  bootstrap: { simulatedSeconds: number; meanTableSize: number }
  memory: { rssPerNodeKiB: number; heapPerNodeKiB: number; rssTotalMiB: number }
  lookups: {
    count: number
    successRate: number
    staleFirstRate: number
    hops: { p50: number; p90: number; p99: number; max: number; mean: number; histogram: Record<string, number> }
    latencyMs: { p50: number; p90: number; p99: number }
    messagesPerLookup: { p50: number; p99: number }
    log2N: number
  }
  messagesPerNodePerMin: { idle: number; lookupPhase: number }
  churn: { left: number; joined: number; perMin: number }
  replication: {
    tracks: number
    k: number
    repairs: number
    lost: number
    /** Share of tracks with k live holders, sampled before every pass of the churn phase (mean and minimum). */
    duringChurnMean: number
    duringChurnMin: number
    /** Share of tracks whose k designated holders (designate over the live set) are all live holders, after the tail. */
    afterRepair: number
  }
  network_packets: { sent: number; delivered: number; lost: number; unreachable: number }
}

/** The whole scenario: bootstrap N, settle, announce, then lookups under churn with replication repair. */
export async function runScenario(partial: Partial<ScenarioOptions> & { n: number }): Promise<ScenarioResult> {
  const o: ScenarioOptions = { ...DEFAULTS, ...partial }
  const log = o.log ?? (() => {})
  const wall0 = process.hrtime.bigint() // real time: performance.now is simulated once the clock is installed
  const h = await new SimHarness({ seed: o.seed, net: o.net }).open()
  const clock = h.clock
  try {
    const m0 = mem()
    // Bootstrap: the first node alone, then batches that join at once.
    await h.add()
    while (h.nodes.length < o.n) {
      await h.addMany(Math.min(o.joinBatch, o.n - h.nodes.length))
      if (h.nodes.length % Math.max(o.joinBatch, Math.floor(o.n / 10)) < o.joinBatch) log(`joined ${h.nodes.length}/${o.n} at ${(clock.now / 1000).toFixed(0)} s simulated`)
    }
    const bootSec = clock.now / 1000
    await clock.runUntil(clock.now + o.settleMs / 2)
    const idleSent0 = h.net.sent
    const idleT0 = clock.now
    await clock.runUntil(clock.now + o.settleMs / 2)
    const idleRate = (h.net.sent - idleSent0) / o.n / ((clock.now - idleT0) / 60_000)
    const m1 = mem()
    const meanTable = h.nodes.reduce((s, n) => s + n.dht.toArray().length, 0) / o.n
    log(`bootstrapped ${o.n} in ${bootSec.toFixed(0)} s simulated, table ${meanTable.toFixed(1)}, rss/node ${((m1.rss - m0.rss) / o.n / 1024).toFixed(0)} KiB`)

    // Tracks and their first k designated holders (designate over the live set, no holder yet), who announce.
    const hashes = Array.from({ length: o.tracks }, (_, j) => createHash('sha256').update(`scale-sim-track:${o.seed}:${j}`).digest('hex'))
    const byId = h.byId
    const holders = new Map<string, Set<string>>()
    const announces: Array<() => Promise<void>> = []
    const liveIds = (): string[] => h.nodes.filter((n) => n.alive).map((n) => n.id)
    for (const hash of hashes) {
      const set = designate(hash, liveIds(), new Set(), o.k)
      holders.set(hash, set)
      for (const id of set) {
        const n = byId.get(id) as SimNode
        n.holds.add(hash)
        announces.push(() => h.announce(n, hash).catch(() => {}))
      }
    }
    const runLimited = async (jobs: Array<() => Promise<void>>, limit: number): Promise<void> => {
      let next = 0
      await Promise.all(Array.from({ length: limit }, async () => {
        while (next < jobs.length) await jobs[next++]()
      }))
    }
    await clock.until(runLimited(announces, 64))
    log(`announced ${o.tracks} tracks x ${o.k} holders at ${(clock.now / 1000).toFixed(0)} s simulated`)

    // Re-announce: every holder re-announces its hashes every reannounceMs (staggered per node).
    const reannounce = (n: SimNode): void => {
      const timer = setTimeout(() => {
        if (!n.alive) return
        for (const hash of n.holds) void h.announce(n, hash).catch(() => {})
        reannounce(n)
      }, o.reannounceMs)
      timer.unref()
    }
    for (const n of h.nodes) if (n.holds.size > 0) setTimeout(() => reannounce(n), h.rand() * o.reannounceMs)

    // Lookup phase: churn, lookups and replication passes, all on the virtual clock.
    const t0 = clock.now
    const sent0 = h.net.sent
    const isLive = (id: string): boolean => byId.get(id)?.alive === true
    const results: LookupResult[] = []
    const pending: Array<Promise<void>> = []
    let liveSamples = 0
    let liveSum = 0
    let left = 0
    let joined = 0
    let repairs = 0
    const lost = new Set<string>()
    const okShares: number[] = []

    // The replication view: a departed node counts as live until deadAfterMs after it left (nobody heard yet).
    const viewLive = (n: SimNode): boolean => n.alive || clock.now - n.leftAt < o.deadAfterMs
    const pass = (): void => {
      const view = h.nodes.filter(viewLive).map((n) => n.id)
      let ok = 0
      for (const hash of hashes) {
        const cur = holders.get(hash) as Set<string>
        const liveHolders = new Set([...cur].filter((id) => isLive(id)))
        if (liveHolders.size >= o.k) ok++
        if (liveHolders.size === 0) {
          lost.add(hash)
          continue
        }
        const seen = new Set([...cur].filter((id) => viewLive(byId.get(id) as SimNode)))
        if (seen.size >= o.k) continue // designate is sticky: k holders in view means no change
        for (const id of designate(hash, view, seen, o.k)) {
          if (seen.has(id)) continue
          const n = byId.get(id) as SimNode
          if (!n.alive) continue // designated but gone: the next pass after deadAfterMs moves on
          cur.add(id)
          n.holds.add(hash)
          repairs++
          void h.announce(n, hash).catch(() => {})
        }
        for (const id of [...cur]) if (!viewLive(byId.get(id) as SimNode)) cur.delete(id)
      }
      okShares.push(ok / hashes.length)
    }
    const passTimer = setInterval(() => {
      if (clock.now - t0 <= o.lookupPhaseMs) pass()
    }, o.passMs)

    const churnEvents = Math.round(o.churnPerMin * o.n * (o.lookupPhaseMs / 60_000))
    for (let e = 0; e < churnEvents; e++) {
      setTimeout(() => {
        const candidates = h.nodes.filter((n) => n.alive && n.i > 3) // the three bootstrap nodes stay
        h.kill(h.pick(candidates))
        left++
        pending.push(h.add().then(() => {
          joined++
        }))
      }, ((e + h.rand()) / churnEvents) * o.lookupPhaseMs)
    }
    for (let l = 0; l < o.lookups; l++) {
      setTimeout(() => {
        const hash = h.pick(hashes)
        const from = h.pick(h.nodes.filter((n) => n.alive && !n.busy && !n.holds.has(hash)))
        liveSum += h.nodes.filter((n) => n.alive).length
        liveSamples++
        pending.push(h.lookup(from, hash, isLive, o.lookupTimeoutMs).then((r) => {
          results.push(r)
        }))
      }, ((l + h.rand()) / o.lookups) * o.lookupPhaseMs)
    }
    let lastLog = 0
    // On the absolute end time: with fractional times, `now - t0 < phase` can hold while `now >= t0 + phase`, and the
    // loop then spun on runUntil calls that had nothing left to do (the stall seen in ~1 run of 5).
    const phaseEnd = t0 + o.lookupPhaseMs
    while (clock.now < phaseEnd) {
      await clock.runUntil(Math.min(phaseEnd, clock.now + 60_000))
      if (clock.now - lastLog >= 5 * 60_000) {
        lastLog = clock.now
        log(`lookup phase ${((clock.now - t0) / 60_000).toFixed(0)} min: ${results.length} lookups, ${left} left, ${repairs} repairs`)
      }
    }
    await clock.until(Promise.all(pending))
    const phaseMin = (clock.now - t0) / 60_000
    const lookupRate = (h.net.sent - sent0) / (liveSamples > 0 ? liveSum / liveSamples : o.n) / phaseMin
    clearInterval(passTimer)
    // Tail: no churn; passes go on until every departed node is out of view and repairs have run.
    const during = [...okShares]
    const tailEnd = clock.now + o.tailMs
    while (clock.now < tailEnd) {
      await clock.runUntil(Math.min(tailEnd, clock.now + o.passMs))
      pass()
    }
    const view = h.nodes.filter((n) => n.alive).map((n) => n.id)
    let after = 0
    for (const hash of hashes) {
      const cur = holders.get(hash) as Set<string>
      const live = new Set([...cur].filter((id) => isLive(id)))
      const want = designate(hash, view, live, o.k)
      if ([...want].every((id) => live.has(id)) && want.size === o.k) after++
    }

    const found = results.filter((r) => r.found)
    const hops = found.map((r) => r.hops)
    const histogram: Record<string, number> = {}
    for (const x of hops) histogram[x] = (histogram[x] ?? 0) + 1
    const endMem = process.memoryUsage()
    const { log: _log, ...options } = o
    return {
      n: o.n,
      options,
      network: h.net.opts,
      wallSeconds: Math.round(Number(process.hrtime.bigint() - wall0) / 1e8) / 10,
      simulatedMinutes: Math.round(clock.now / 6000) / 10,
      bootstrap: { simulatedSeconds: Math.round(bootSec), meanTableSize: Math.round(meanTable * 10) / 10 },
      memory: { rssPerNodeKiB: Math.round((m1.rss - m0.rss) / o.n / 1024), heapPerNodeKiB: Math.round((m1.heap - m0.heap) / o.n / 1024), rssTotalMiB: Math.round(endMem.rss / 2 ** 20) },
      lookups: {
        count: results.length,
        successRate: found.length / Math.max(1, results.length),
        staleFirstRate: results.filter((r) => r.staleFirst).length / Math.max(1, results.length),
        hops: { p50: quantile(hops, 0.5), p90: quantile(hops, 0.9), p99: quantile(hops, 0.99), max: Math.max(...hops), mean: Math.round((hops.reduce((s, x) => s + x, 0) / Math.max(1, hops.length)) * 100) / 100, histogram },
        latencyMs: { p50: Math.round(quantile(found.map((r) => r.latencyMs), 0.5)), p90: Math.round(quantile(found.map((r) => r.latencyMs), 0.9)), p99: Math.round(quantile(found.map((r) => r.latencyMs), 0.99)) },
        messagesPerLookup: { p50: quantile(found.map((r) => r.messages), 0.5), p99: quantile(found.map((r) => r.messages), 0.99) },
        log2N: Math.round(Math.log2(o.n) * 100) / 100,
      },
      messagesPerNodePerMin: { idle: Math.round(idleRate), lookupPhase: Math.round(lookupRate) },
      churn: { left, joined, perMin: o.churnPerMin },
      replication: {
        tracks: o.tracks,
        k: o.k,
        repairs,
        lost: lost.size,
        duringChurnMean: during.reduce((s, x) => s + x, 0) / Math.max(1, during.length),
        duringChurnMin: Math.min(...during),
        afterRepair: after / hashes.length,
      },
      network_packets: { sent: h.net.sent, delivered: h.net.delivered, lost: h.net.lost, unreachable: h.net.unreachable },
    }
  } finally {
    await h.close()
  }
}
