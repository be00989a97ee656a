import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { rm } from 'node:fs/promises'

import type { Logger } from '../core/logger.ts'
import { assertManifestConsistent } from '../core/manifest.ts'
import type { ContentStore } from '../storage/content-store.ts'
import type { Db } from '../storage/db.ts'
import type { TrackStore } from '../storage/track-store.ts'
import type { GossipService } from './gossip.ts'
import type { PeerEntry, PeerTable } from './peer-table.ts'
import type { ProtocolClient } from './protocol-client.ts'

export interface ReplicationComponents {
  /** This node's peer id (wallet address). */
  selfId: string
  db: Db
  peers: PeerTable
  tracks: TrackStore
  store: ContentStore
  /** Reads a holder's manifest before fetching: the quota counts its size, not the size gossip claims. */
  client: Pick<ProtocolClient, 'manifest'>
  logger: Logger
  /** Every content hash this node knows of (its own and its peers'). */
  knownHashes: () => Set<string>
  /** Fetches and verifies a track (node.getContent: receipts are paid there when the chain is configured). */
  fetch: (hash: string, opts: { signal: AbortSignal }) => Promise<unknown>
  /** Tells the mesh the local list changed after an eviction (a signed record with the new list). */
  withdraw: () => Promise<void>
  /** Gossip: a new track or peer ('tracks:learned', 'peer:new') triggers a pass before the timer does. */
  gossip?: Pick<GossipService, 'on' | 'off'>
}

export interface ReplicationInit {
  /** Holders a track should reach, this node included when it is one of them. */
  k: number
  /** Bytes of stored content this node never exceeds by replicating (0 = unlimited). */
  quotaBytes: number
  /** Period of the decision pass (a pass also runs soon after gossip brings a new track or peer). */
  intervalMs: number
  /** A peer not heard from (direct exchange) for this long no longer counts as live. */
  deadAfterMs: number
  /** When a track stays under k live holders this long, one more candidate down the ranking volunteers. */
  escalateAfterMs: number
  /** Signed peer records older than this are not live (the mesh's announcement max age). */
  maxRecordAgeSec: number
}

export interface ReplicationEvents {
  replicated: [hash: string]
  evicted: [hash: string]
  skipped: [hash: string, reason: string]
  'pass:done': []
}

/** Rendezvous score of `peerId` for `hash`: SHA-256(hash || lowercase peer id) as hex (higher ranks first). */
export function rendezvousScore(hash: string, peerId: string): string {
  return createHash('sha256').update(hash.toLowerCase()).update(peerId.toLowerCase()).digest('hex')
}

/** `ids` ordered best first for `hash` (highest rendezvous score first); every node computes the same order. */
export function rankFor(hash: string, ids: Iterable<string>): string[] {
  const h = hash.toLowerCase()
  const scored = [...ids].map((id) => {
    const d = createHash('sha256').update(h).update(id.toLowerCase()).digest()
    // The first 48 bits order almost always; the full digest breaks the (2^-48) ties.
    return { id, n: d.readUIntBE(0, 6), d }
  })
  return scored.sort((a, b) => b.n - a.n || Buffer.compare(b.d, a.d)).map((x) => x.id)
}

/**
 * Who should hold `hash`, given the live nodes (self included) and the live holders among them: the holders
 * keep their place (best ranked first, up to k: no copy moves while it is enough), and the best ranked
 * non-holders fill the remaining slots, plus `extra` volunteers when the track stayed under k too long (a
 * designated node may be full or dead without anyone knowing yet).
 */
export function designate(hash: string, live: Iterable<string>, holders: ReadonlySet<string>, k: number, extra = 0): Set<string> {
  const ranked = rankFor(hash, live)
  const keep = ranked.filter((id) => holders.has(id)).slice(0, k)
  const fill = ranked.filter((id) => !holders.has(id)).slice(0, Math.max(0, k - keep.length) + (keep.length < k ? extra : 0))
  return new Set([...keep, ...fill])
}

/**
 * k-replication without coordination. Every pass, for each track this node knows, the node computes the
 * designated holders (see `designate`: rendezvous hashing over the live peers, sticky to the current holders) and,
 * when it is one of them and lacks the track, fetches it through `fetch` (verified byte by byte) within its disk
 * quota. A holder that goes away (peer DISCONNECTED, record expired or not heard for deadAfterMs) drops out of
 * the live set, so the next node in the ranking becomes designated and fetches it (repair).
 *
 * Quota: replication never stores beyond quotaBytes (counting every local track). To make room it evicts only
 * tracks it replicated itself (never an upload or a listener's copy), that it is not designated for, and that at
 * least k OTHER holders known to be up (CONNECTED/ACTIVE) hold. Before a fetch it reads a holder's manifest (checked
 * against the hash and the signed root) and reserves the larger of its size and the gossiped one; a track that does not fit is skipped, and one that turns out larger anyway is dropped again at once.
 *
 * Surplus: nodes whose views differed (a young mesh, a late gossip) can both fetch, one copy too many. A replica
 * that the same rule would evict (not designated, k other holders up) and that stays so for a whole interval is
 * dropped without quota pressure too, so a track settles back at k copies plus any uploads or listeners' copies.
 */
export class ReplicationService extends EventEmitter<ReplicationEvents> {
  readonly init: ReplicationInit
  #c: ReplicationComponents
  #log: Logger
  #ac = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #soon: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  /** hash -> [live holder count, since when]: drives escalation. */
  #under = new Map<string, { count: number; since: number }>()
  #failed = new Map<string, number>()
  /** hash -> since when this node's replica has been surplus (see `pass`). */
  #surplus = new Map<string, number>()
  #trigger = (): void => this.schedule()
  #peak = 0

  constructor(components: ReplicationComponents, init: ReplicationInit) {
    super()
    this.#c = components
    this.init = init
    this.#log = components.logger.child({ component: 'replication' })
    this.#c.db.exec('CREATE TABLE IF NOT EXISTS replicas (content_hash TEXT PRIMARY KEY, size INTEGER NOT NULL, fetched_at INTEGER NOT NULL)')
  }

  get signal(): AbortSignal {
    return this.#ac.signal
  }

  /** Highest stored total this service observed after one of its own fetches (bytes). */
  get peakBytes(): number {
    return this.#peak
  }

  start(): void {
    this.#ac = new AbortController()
    this.#c.gossip?.on('tracks:learned', this.#trigger).on('peer:new', this.#trigger)
    const tick = (): void => {
      this.#timer = setTimeout(() => {
        this.schedule()
        tick()
      }, this.init.intervalMs)
    }
    tick()
    this.schedule()
  }

  async stop(): Promise<void> {
    this.#ac.abort()
    clearTimeout(this.#timer)
    clearTimeout(this.#soon)
    this.#c.gossip?.off('tracks:learned', this.#trigger).off('peer:new', this.#trigger)
    await this.#running?.catch(() => {})
  }

  /** Runs a pass soon (coalesced; a pass requested while one runs runs again after it). */
  schedule(): void {
    if (this.#ac.signal.aborted) return
    if (this.#running) {
      this.#again = true
      return
    }
    if (this.#soon) return
    this.#soon = setTimeout(() => {
      this.#soon = undefined
      this.#running = this.pass()
        .catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'replication pass failed'))
        .finally(() => {
          this.#running = undefined
          if (this.#again) {
            this.#again = false
            this.schedule()
          }
        })
    }, 10)
  }

  /** Stored bytes: every local track, sized by its locally verified manifest (the signed metadata may lie). */
  usedBytes(): number {
    return (
      this.#c.db
        .prepare(
          `SELECT coalesce(sum(coalesce(m.size, t.size)), 0) AS n
           FROM tracks t LEFT JOIN manifests m ON m.content_hash = t.content_hash WHERE t.local = 1`,
        )
        .get() as { n: number }
    ).n
  }

  /** The live node ids (self included) and, per peer, whether it is confirmed up (a recent direct exchange). */
  live(now = Date.now()): { ids: Set<string>; up: Set<string> } {
    const ids = new Set<string>([this.#c.selfId])
    const up = new Set<string>()
    for (const e of this.#c.peers.due(Number.POSITIVE_INFINITY)) {
      if (!this.#isLive(e, now)) continue
      ids.add(e.record.peer_id)
      if (e.state === 'connected' || e.state === 'active') up.add(e.record.peer_id)
    }
    return { ids, up }
  }

  #isLive(e: PeerEntry, now: number): boolean {
    if (e.state === 'disconnected') return false
    if (now / 1000 - e.record.timestamp > this.init.maxRecordAgeSec) return false
    if (e.lastSeen > 0 && now - e.lastSeen > this.init.deadAfterMs) return false
    return true
  }

  /** One decision pass over every known track: fetch what this node is designated for, evict what is safe. */
  async pass(): Promise<void> {
    const signal = this.#ac.signal
    const now = Date.now()
    const { ids, up } = this.live(now)
    const self = this.#c.selfId
    const wanted: Array<{ hash: string; size: number }> = []
    const evictable: string[] = []
    const surplus: string[] = []
    const surplusSince = new Map<string, number>()
    const replicas = new Set((this.#c.db.prepare('SELECT content_hash FROM replicas').all() as Array<{ content_hash: string }>).map((r) => r.content_hash))
    for (const hash of this.#c.knownHashes()) {
      const local = this.#c.tracks.get(hash)
      const mine = local?.local === true
      const holders = new Set<string>()
      const upHolders = new Set<string>()
      for (const e of this.#c.peers.candidatesFor(hash)) {
        const id = e.record.peer_id
        if (!ids.has(id)) continue
        holders.add(id)
        if (up.has(id)) upHolders.add(id)
      }
      if (mine) holders.add(self)
      const extra = this.#escalation(hash, holders.size, now)
      // Steady state needs no ranking: k others hold it (sticky: no slot for us), or our copy is not a replica.
      if (mine ? !replicas.has(hash) : holders.size >= this.init.k) continue
      const designated = designate(hash, ids, holders, this.init.k, extra)
      if (!mine && designated.has(self)) {
        if ((this.#failed.get(hash) ?? 0) > now) continue
        wanted.push({ hash, size: local?.size ?? 0 })
      } else if (mine && replicas.has(hash) && !designated.has(self) && upHolders.size >= this.init.k) {
        evictable.push(hash)
        // Surplus (nodes with stale views both fetched): dropped once the same view held for a whole interval.
        const since = this.#surplus.get(hash) ?? now
        surplusSince.set(hash, since)
        if (now - since >= this.init.intervalMs) surplus.push(hash)
      }
    }
    this.#surplus = surplusSince
    const quota = this.init.quotaBytes
    let used = this.usedBytes()
    if (quota > 0 && used > quota) used -= await this.#evict(evictable, used - quota)
    const stillSurplus = surplus.filter((h) => evictable.includes(h))
    if (stillSurplus.length > 0) used -= await this.#evict(stillSurplus, Number.POSITIVE_INFINITY)
    for (const w of wanted) {
      if (signal.aborted) return
      const m = await this.#manifestSize(w.hash, signal)
      if (m === undefined) {
        this.#failed.set(w.hash, Date.now() + this.init.intervalMs * 4)
        this.emit('skipped', w.hash, 'no manifest')
        continue
      }
      w.size = Math.max(w.size, m)
      if (quota > 0 && used + w.size > quota) {
        used -= await this.#evict(evictable, used + w.size - quota)
        if (used + w.size > quota) {
          this.#log.debug({ hash: w.hash, size: w.size, used, quota }, 'no room to replicate')
          this.emit('skipped', w.hash, 'quota')
          continue
        }
      }
      if (this.#c.tracks.get(w.hash)?.local) continue // a listener fetched it meanwhile: not a replica
      try {
        await this.#c.fetch(w.hash, { signal })
      } catch (err) {
        if (signal.aborted) return
        this.#failed.set(w.hash, Date.now() + this.init.intervalMs * 4)
        this.#log.debug({ hash: w.hash, err: (err as Error).message.split('\n')[0] }, 'replication fetch failed')
        this.emit('skipped', w.hash, 'fetch failed')
        continue
      }
      const size = (await this.#c.store.sizeOf(w.hash)) ?? w.size
      this.#c.db.prepare('INSERT OR REPLACE INTO replicas (content_hash, size, fetched_at) VALUES (?, ?, ?)').run(w.hash, size, Date.now())
      used = this.usedBytes()
      this.#peak = Math.max(this.#peak, used)
      if (quota > 0 && used > quota) {
        // Larger than the manifest read before (another holder's): verified bytes that do not fit; drop them again.
        this.#log.warn({ hash: w.hash, announced: w.size, size }, 'replicated track larger than announced; dropped')
        used -= await this.#drop(w.hash)
        this.#failed.set(w.hash, Number.POSITIVE_INFINITY)
        await this.#c.withdraw().catch(() => {})
        continue
      }
      this.#log.info({ hash: w.hash, size }, 'track replicated')
      this.emit('replicated', w.hash)
    }
    this.emit('pass:done')
  }

  /**
   * The size of `hash` from the first holder whose manifest matches the hash and the known (signed) manifest root
   * (the chunk hashes fix every byte); undefined when no holder serves a consistent one.
   */
  async #manifestSize(hash: string, signal: AbortSignal): Promise<number | undefined> {
    const root = this.#c.tracks.get(hash)?.manifest_root ?? undefined
    for (const e of this.#c.peers.candidatesFor(hash).slice(0, 3)) {
      try {
        const m = await this.#c.client.manifest(e.record, hash, signal)
        assertManifestConsistent(m, hash, root)
        return m.size
      } catch {
        if (signal.aborted) return undefined
      }
    }
    return undefined
  }

  /** Extra volunteers for a track that stayed under k live holders for escalateAfterMs (or more) per step. */
  #escalation(hash: string, count: number, now: number): number {
    if (count >= this.init.k) {
      this.#under.delete(hash)
      return 0
    }
    const u = this.#under.get(hash)
    if (!u || u.count !== count) {
      this.#under.set(hash, { count, since: now })
      return 0
    }
    return Math.floor((now - u.since) / this.init.escalateAfterMs)
  }

  /** Evicts from `candidates` (in order) until `need` bytes are freed; returns the bytes freed. */
  async #evict(candidates: string[], need: number): Promise<number> {
    let freed = 0
    while (freed < need && candidates.length > 0) {
      const hash = candidates.shift() as string
      freed += await this.#drop(hash)
      this.#log.info({ hash }, 'replica evicted')
      this.emit('evicted', hash)
    }
    if (freed > 0) await this.#c.withdraw().catch(() => {})
    return freed
  }

  /** Forgets a local copy: the track stays known (metadata), no longer local; the file is removed. */
  async #drop(hash: string): Promise<number> {
    const size = (await this.#c.store.sizeOf(hash)) ?? 0
    this.#c.db.prepare('UPDATE tracks SET local = 0 WHERE content_hash = ?').run(hash)
    this.#c.db.prepare('DELETE FROM replicas WHERE content_hash = ?').run(hash)
    await rm(this.#c.store.pathOf(hash), { force: true })
    return size
  }
}
