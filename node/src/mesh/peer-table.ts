import type { PeerInfo, PeerState, SignedPeer } from '../api.ts'
import { tracksDigest } from '../core/announcement.ts'
import { PeerTableFullError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Db } from '../storage/db.ts'

/** Hashes remembered per peer: bounds what one (possibly hostile) peer can make us store and re-gossip. */
export const MAX_TRACKS_PER_PEER = 20_000

export interface PeerEntry {
  record: SignedPeer
  state: PeerState
  failures: number
  score: number
  /** ms epoch of the last successful direct exchange (0 = never). */
  lastSeen: number
  nextAttemptAt: number
  tracks: Set<string>
  /** `tracks` is exactly the list `record.tracks_digest` signs (so it may be forwarded with the record). */
  tracksSigned: boolean
  rttMs: number
}

export interface PeerTableInit {
  selfId: string
  maxPeers: number
  intervalMs: number
  maxRetries: number
  backoffMultiplier: number
  disconnectedRetryMs: number
  /** Peers at or below this score are never asked for content. */
  banScore?: number
}

export const LIAR_PENALTY = 50

interface PeerRow {
  peer_id: string
  host: string
  port: number
  state: PeerState
  failures: number
  score: number
  last_seen: number
  timestamp: number
  tracks_digest: string | null
  signature: string
  tracks: string
}

/**
 * Known peers and the content they hold, with the seed's state machine:
 * UNKNOWN (learned, never contacted) -> CONNECTED (first exchange ok) -> ACTIVE (exchanges keep
 * succeeding); a failure moves a peer to RETRY with exponential backoff, and past maxRetries to
 * DISCONNECTED (probed again every disconnectedRetryMs so partitions heal). Bounded by maxPeers.
 */
export class PeerTable {
  readonly init: Required<PeerTableInit>
  #db: Db
  #log: Logger
  #peers = new Map<string, PeerEntry>()
  #holders = new Map<string, Set<string>>()
  #upsert: ReturnType<Db['prepare']>

  constructor(components: { db: Db; logger: Logger }, init: PeerTableInit) {
    this.#db = components.db
    this.#log = components.logger.child({ component: 'peer-table' })
    this.init = { banScore: -100, ...init }
    const cols = this.#db.prepare('PRAGMA table_info(peers)').all() as Array<{ name: string }>
    if (!cols.some((c) => c.name === 'tracks_digest')) this.#db.exec('ALTER TABLE peers ADD COLUMN tracks_digest TEXT')
    this.#upsert = this.#db.prepare(
      `INSERT INTO peers (peer_id, host, port, state, failures, score, last_seen, timestamp, tracks_digest, signature, tracks)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(peer_id) DO UPDATE SET host = excluded.host, port = excluded.port, state = excluded.state,
         failures = excluded.failures, score = excluded.score, last_seen = excluded.last_seen,
         timestamp = excluded.timestamp, tracks_digest = excluded.tracks_digest, signature = excluded.signature, tracks = excluded.tracks`,
    )
  }

  start(): void {
    const rows = this.#db.prepare('SELECT * FROM peers').all() as unknown as PeerRow[]
    for (const r of rows) {
      if (!r.tracks_digest) continue // a record from before lists were signed: re-learned on contact
      const tracks = new Set(JSON.parse(r.tracks) as string[])
      const e: PeerEntry = {
        record: { peer_id: r.peer_id, host: r.host, port: r.port, timestamp: r.timestamp, tracks_digest: r.tracks_digest, signature: r.signature },
        state: r.state,
        failures: r.failures,
        score: r.score,
        lastSeen: r.last_seen,
        nextAttemptAt: 0,
        tracks,
        tracksSigned: tracksDigest(tracks) === r.tracks_digest,
        rttMs: Number.POSITIVE_INFINITY,
      }
      this.#peers.set(r.peer_id, e)
      for (const h of e.tracks) this.#addHolder(h, r.peer_id)
    }
  }

  stop(): void {}

  get size(): number {
    return this.#peers.size
  }

  get(peerId: string): PeerEntry | undefined {
    return this.#peers.get(peerId)
  }

  findByAddress(host: string, port: number): PeerEntry | undefined {
    for (const e of this.#peers.values()) if (e.record.host === host && e.record.port === port) return e
    return undefined
  }

  /**
   * Adds or refreshes a verified record. `tracks` is given only when it matches the record's signed digest
   * (the caller checks, see GossipService): then it is the peer's whole list and replaces ours, unless the record
   * is older than the one we hold (a replay). Same timestamp, same signature, same list. `direct` = the record
   * comes from the peer itself (a full table then refuses it instead of dropping it quietly).
   * Returns the hashes this peer was not known to hold before.
   */
  upsert(record: SignedPeer, tracks: readonly string[] | undefined, direct: boolean): { isNew: boolean; newTracks: string[] } {
    if (record.peer_id === this.init.selfId) return { isNew: false, newTracks: [] }
    let e = this.#peers.get(record.peer_id)
    const isNew = e === undefined
    if (!e) {
      if (this.#peers.size >= this.init.maxPeers && !this.#evictOne()) {
        if (direct) throw new PeerTableFullError(this.init.maxPeers)
        return { isNew: false, newTracks: [] }
      }
      e = { record, state: 'unknown', failures: 0, score: 0, lastSeen: 0, nextAttemptAt: 0, tracks: new Set(), tracksSigned: false, rttMs: Number.POSITIVE_INFINITY }
      this.#peers.set(record.peer_id, e)
    }
    const newer = record.timestamp > e.record.timestamp
    const same = record.timestamp === e.record.timestamp && record.tracks_digest === e.record.tracks_digest
    if (newer) {
      // A re-signed record over the same digest keeps the list we hold (issue 10: lists travel only when they change).
      const sameList = e.tracksSigned && record.tracks_digest === e.record.tracks_digest
      e.record = record
      e.tracksSigned = sameList // else: until its list arrives
    }
    const newTracks: string[] = []
    if (tracks && (newer || isNew || (same && !e.tracksSigned))) {
      const next = new Set(tracks.slice(0, MAX_TRACKS_PER_PEER))
      for (const h of e.tracks) if (!next.has(h)) this.#removeHolder(h, record.peer_id)
      e.tracks = next
      e.tracksSigned = tracks.length <= MAX_TRACKS_PER_PEER
      for (const h of next) if (this.#addHolder(h, record.peer_id)) newTracks.push(h)
    }
    if (isNew || newer || newTracks.length > 0 || direct) this.#persist(e)
    return { isNew, newTracks }
  }

  markSuccess(peerId: string, rttMs: number): void {
    const e = this.#peers.get(peerId)
    if (!e) return
    const before = e.state
    e.state = before === 'connected' || before === 'active' ? 'active' : 'connected'
    e.failures = 0
    e.lastSeen = Date.now()
    e.rttMs = rttMs
    e.nextAttemptAt = 0
    if (before !== e.state) this.#log.debug({ peer: peerId, from: before, to: e.state }, 'peer state')
    this.#persist(e)
  }

  markFailure(peerId: string): void {
    const e = this.#peers.get(peerId)
    if (!e) return
    e.failures += 1
    const before = e.state
    if (e.failures > this.init.maxRetries) {
      e.state = 'disconnected'
      e.nextAttemptAt = Date.now() + this.init.disconnectedRetryMs
    } else {
      e.state = 'retry'
      e.nextAttemptAt = Date.now() + this.init.intervalMs * this.init.backoffMultiplier ** e.failures
    }
    if (before !== e.state) this.#log.debug({ peer: peerId, from: before, to: e.state }, 'peer state')
    this.#persist(e)
  }

  penalize(peerId: string, amount: number = LIAR_PENALTY): void {
    const e = this.#peers.get(peerId)
    if (!e) return
    e.score -= amount
    this.#log.warn({ peer: peerId, score: e.score }, 'peer penalized')
    this.#persist(e)
  }

  /** Peers whose next gossip attempt is due, excluding banned ones. */
  due(now = Date.now()): PeerEntry[] {
    const out: PeerEntry[] = []
    for (const e of this.#peers.values()) if (e.nextAttemptAt <= now && e.score > this.init.banScore) out.push(e)
    return out
  }

  /** Peers believed to hold `hash`, best first (score, then liveness, then round-trip time). */
  candidatesFor(hash: string): PeerEntry[] {
    const ids = this.#holders.get(hash)
    if (!ids) return []
    const rank = (s: PeerState): number => (s === 'active' ? 0 : s === 'connected' ? 1 : s === 'unknown' ? 2 : s === 'retry' ? 3 : 4)
    return [...ids]
      .map((id) => this.#peers.get(id) as PeerEntry)
      .filter((e) => e.score > this.init.banScore)
      .sort((a, b) => b.score - a.score || rank(a.state) - rank(b.state) || a.rttMs - b.rttMs)
  }

  /** Random sample of records to forward to other peers (live ones only). */
  sample(n: number, exclude?: string): PeerEntry[] {
    const pool = [...this.#peers.values()].filter((e) => e.record.peer_id !== exclude && e.state !== 'disconnected' && e.score > this.init.banScore)
    for (let i = pool.length - 1; i > 0 && pool.length - i <= n; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[pool[i], pool[j]] = [pool[j], pool[i]]
    }
    return pool.length <= n ? pool : pool.slice(pool.length - n)
  }

  /** Peers worth pushing news to (not disconnected, not banned). */
  live(): PeerEntry[] {
    return [...this.#peers.values()].filter((e) => e.state !== 'disconnected' && e.state !== 'retry' && e.score > this.init.banScore)
  }

  connectedCount(): number {
    let n = 0
    for (const e of this.#peers.values()) if (e.state === 'connected' || e.state === 'active') n++
    return n
  }

  /** Every entry (read-only use: gossip's digest set). */
  entries(): IterableIterator<PeerEntry> {
    return this.#peers.values()
  }

  /** Peers whose signed record is newer than the list we hold for them (their list must be fetched). */
  stale(): PeerEntry[] {
    return [...this.#peers.values()].filter((e) => !e.tracksSigned)
  }

  /** Every hash some known peer holds. */
  knownHashes(): Set<string> {
    return new Set(this.#holders.keys())
  }

  list(): PeerInfo[] {
    return [...this.#peers.values()].map((e) => ({
      peer_id: e.record.peer_id,
      host: e.record.host,
      port: e.record.port,
      state: e.state,
      failures: e.failures,
      score: e.score,
      last_seen: e.lastSeen ? new Date(e.lastSeen).toISOString() : null,
      available_tracks: [...e.tracks],
    }))
  }

  #addHolder(hash: string, peerId: string): boolean {
    let s = this.#holders.get(hash)
    if (!s) this.#holders.set(hash, (s = new Set()))
    if (s.has(peerId)) return false
    s.add(peerId)
    return true
  }

  #removeHolder(hash: string, peerId: string): void {
    const s = this.#holders.get(hash)
    if (!s) return
    s.delete(peerId)
    if (s.size === 0) this.#holders.delete(hash)
  }

  /** Makes room by dropping the worst disconnected or never-contacted peer. */
  #evictOne(): boolean {
    let victim: PeerEntry | undefined
    for (const e of this.#peers.values()) {
      if (e.state !== 'disconnected' && e.state !== 'unknown') continue
      if (!victim || e.score < victim.score || (e.score === victim.score && e.lastSeen < victim.lastSeen)) victim = e
    }
    if (!victim) return false
    const id = victim.record.peer_id
    for (const h of victim.tracks) this.#removeHolder(h, id)
    this.#peers.delete(id)
    this.#db.prepare('DELETE FROM peers WHERE peer_id = ?').run(id)
    return true
  }

  #persist(e: PeerEntry): void {
    const r = e.record
    this.#upsert.run(r.peer_id, r.host, r.port, e.state, e.failures, e.score, e.lastSeen, r.timestamp, r.tracks_digest, r.signature, JSON.stringify([...e.tracks]))
  }
}
