import { EventEmitter } from 'node:events'

import { MAX_GOSSIP_HASHES, MAX_GOSSIP_PEERS, MAX_GOSSIP_TRACKS } from '../api.ts'
import type { DiscoverRequest, DiscoverResponse, GossipPeer, SignedPeer, Track } from '../api.ts'
import { tracksDigest } from '../core/announcement.ts'
import type { AnnouncementVerifier } from '../core/announcement.ts'
import { InvalidAnnouncementError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { NodeMetrics } from '../core/metrics.ts'
import type { TrackStore } from '../storage/track-store.ts'
import type { Announcer, CurrentRecord } from './announcer.ts'
import type { PeerTable } from './peer-table.ts'
import type { PeerAddress, ProtocolClient } from './protocol-client.ts'
import { TrackMetadataVerifier } from './track-metadata.ts'

/** Throws unless `hashes` is exactly the list the record's signature covers. */
function assertSignedList(record: SignedPeer, hashes: readonly string[] | undefined): void {
  if (hashes !== undefined && tracksDigest(hashes) !== record.tracks_digest) {
    throw new InvalidAnnouncementError('Track list does not match the signed digest', { details: record.peer_id })
  }
}

export interface GossipComponents {
  peers: PeerTable
  tracks: TrackStore
  client: ProtocolClient
  announcer: Announcer
  verifier: AnnouncementVerifier
  /** Uploader signatures on track metadata; one per node unless shared. */
  metadata?: TrackMetadataVerifier
  metrics: NodeMetrics
  logger: Logger
}

export interface GossipInit {
  bootstrap: PeerAddress[]
  /** 0 disables the timer; rounds then run only through `round()`. */
  intervalMs: number
  /** Base of the bootstrap retry backoff. */
  retryBaseMs: number
  fanout: number
  peerSample: number
  maxRetries: number
  backoffMultiplier: number
}

export interface GossipEvents {
  /** A peer was heard of for the first time. */
  'peer:new': [peerId: string]
  /** Some peer is now known to hold these hashes. */
  'tracks:learned': [hashes: string[]]
  'round:done': [round: number]
}

/**
 * Push-pull gossip over POST /discover: every interval, exchange signed records and track lists
 * with `fanout` random due peers (plus bootstrap addresses not yet identified); learn
 * peers-of-peers and what they hold. New local tracks are announced to live peers at once.
 *
 * What is believed: a peer's track list only when it matches the digest its signed record covers (direct or
 * forwarded alike: a replayed record cannot carry another list), and track metadata only with a valid uploader
 * signature. Every message is bounded: MAX_GOSSIP_PEERS forwarded records, MAX_GOSSIP_HASHES hashes over all
 * lists (a forwarded peer whose list does not fit goes without it) and MAX_GOSSIP_TRACKS metadata entries.
 */
export class GossipService extends EventEmitter<GossipEvents> {
  #c: GossipComponents
  #init: GossipInit
  #log: Logger
  #timer: NodeJS.Timeout | undefined
  #ac = new AbortController()
  #rounds = 0
  #running: Promise<void> | undefined
  #bootstrap: Array<PeerAddress & { failures: number; nextAttemptAt: number }>
  #metadata: TrackMetadataVerifier

  constructor(components: GossipComponents, init: GossipInit) {
    super()
    this.#c = components
    this.#metadata = components.metadata ?? new TrackMetadataVerifier()
    this.#init = init
    this.#log = components.logger.child({ component: 'gossip' })
    this.#bootstrap = init.bootstrap.map((a) => ({ ...a, failures: 0, nextAttemptAt: 0 }))
  }

  get rounds(): number {
    return this.#rounds
  }

  start(): void {
    this.#ac = new AbortController()
    if (this.#init.intervalMs > 0) {
      const tick = (): void => {
        this.#running = this.round().finally(() => {
          if (!this.#ac.signal.aborted) this.#timer = setTimeout(tick, this.#init.intervalMs)
        })
      }
      this.#timer = setTimeout(tick, 0)
    }
  }

  async stop(): Promise<void> {
    this.#ac.abort()
    clearTimeout(this.#timer)
    await this.#running?.catch(() => {})
  }

  /** Adds an address to contact (CLI/local API `connect`, or --peers). */
  addBootstrap(addr: PeerAddress): void {
    if (!this.#bootstrap.some((b) => b.host === addr.host && b.port === addr.port)) {
      this.#bootstrap.push({ ...addr, failures: 0, nextAttemptAt: 0 })
    }
  }

  /** One gossip round: exchange with up to `fanout` due peers and any unidentified bootstrap address. */
  async round(): Promise<void> {
    const now = Date.now()
    const targets: Array<{ addr: PeerAddress; peerId?: string }> = []
    for (const b of this.#bootstrap) {
      if (b.nextAttemptAt > now) continue
      const known = this.#c.peers.findByAddress(b.host, b.port)
      if (!known) targets.push({ addr: b })
    }
    const due = this.#c.peers.due(now)
    for (let i = 0; i < this.#init.fanout && due.length > 0; i++) {
      const e = due.splice(Math.floor(Math.random() * due.length), 1)[0]
      targets.push({ addr: e.record, peerId: e.record.peer_id })
    }
    // One signed record and list per round, not one per target (the digest sorts every local hash).
    const self = targets.length > 0 ? await this.#self() : undefined
    await Promise.allSettled(targets.map((t) => this.exchange(t.addr, t.peerId, undefined, self)))
    this.#rounds += 1
    this.#c.metrics.gossipRounds.inc()
    this.emit('round:done', this.#rounds)
  }

  /** POST /discover to one address; on success learns the peer, its tracks and its peers. */
  async exchange(addr: PeerAddress, expectedId?: string, tracks?: Track[], current?: CurrentRecord): Promise<boolean> {
    const t0 = performance.now()
    try {
      const self = current ?? (await this.#self())
      const signed = tracks?.flatMap((t) => this.#c.tracks.signed(t.content_hash) ?? []).slice(0, MAX_GOSSIP_TRACKS)
      const body: DiscoverRequest = {
        peer: { ...self.record, available_tracks: self.tracks },
        ...(signed && signed.length > 0 ? { tracks: signed } : {}),
      }
      const res = await this.#c.client.discover(addr, body, this.#ac.signal)
      const rtt = performance.now() - t0
      this.#c.metrics.peerDiscoveryLatency.observe(rtt)
      const remote = await this.#c.verifier.verify(res.peer)
      if (expectedId && remote.peer_id !== expectedId) {
        throw new InvalidAnnouncementError('Peer at this address changed identity', { details: `${expectedId} -> ${remote.peer_id}` })
      }
      assertSignedList(remote, res.peer.available_tracks)
      await this.#learnDirect(remote, res.peer.available_tracks, res.tracks)
      this.#c.peers.markSuccess(remote.peer_id, rtt)
      const boot = this.#bootstrap.find((b) => b.host === addr.host && b.port === addr.port)
      if (boot) boot.failures = 0
      await this.#learnForwarded(res.peers, res.tracks)
      return true
    } catch (err) {
      if (this.#ac.signal.aborted) return false
      this.#log.debug({ peer: expectedId ?? `${addr.host}:${addr.port}`, err: (err as Error).message.split('\n')[0] }, 'exchange failed')
      if (expectedId) this.#c.peers.markFailure(expectedId)
      const boot = this.#bootstrap.find((b) => b.host === addr.host && b.port === addr.port)
      if (boot) {
        boot.failures += 1
        boot.nextAttemptAt = Date.now() + this.#init.retryBaseMs * Math.min(this.#init.backoffMultiplier ** boot.failures, 64)
      }
      return false
    }
  }

  /** Tells live peers about new local tracks right away (with their metadata). */
  async announce(tracks: Track[]): Promise<void> {
    const live = this.#c.peers.live()
    const self = await this.#self()
    await Promise.allSettled(live.map((e) => this.exchange(e.record, e.record.peer_id, tracks, self)))
  }

  /** Server side of POST /discover: verify the caller, learn from it, answer with what we know. */
  async handleDiscover(req: { peer: SignedPeer & { available_tracks?: string[] }; tracks?: Track[] }): Promise<DiscoverResponse> {
    const caller = await this.#c.verifier.verify(req.peer)
    assertSignedList(caller, req.peer.available_tracks)
    if (caller.peer_id !== this.#c.announcer.peerId) {
      await this.#learnDirect(caller, req.peer.available_tracks, req.tracks ?? [], false)
    }
    const self = await this.#self()
    // Forwarded lists share one budget; a record whose list does not fit (or is not the signed one) goes without it.
    let budget = MAX_GOSSIP_HASHES - self.tracks.length
    const peers: GossipPeer[] = this.#c.peers.sample(Math.min(this.#init.peerSample, MAX_GOSSIP_PEERS), caller.peer_id).map((e) => {
      const fits = e.tracksSigned && e.tracks.size <= budget
      if (fits) budget -= e.tracks.size
      return { ...e.record, available_tracks: fits ? [...e.tracks] : [] }
    })
    // Appendix B's `tracks` are our own; we add the metadata we know for what the forwarded peers hold, as signed.
    const tracks = this.#c.tracks.listLocalSigned(MAX_GOSSIP_TRACKS)
    const seen = new Set(tracks.map((t) => t.content_hash))
    for (const p of peers) {
      for (const h of p.available_tracks) {
        if (seen.size >= MAX_GOSSIP_TRACKS) break
        if (seen.has(h)) continue
        seen.add(h)
        const t = this.#c.tracks.signed(h)
        if (t) tracks.push(t)
      }
    }
    return { peer: { ...self.record, available_tracks: self.tracks }, tracks, peers }
  }

  #self(): Promise<CurrentRecord> {
    return this.#c.announcer.current(this.#c.tracks.localHashes())
  }

  /** Stores metadata for hashes in `held` that carries a valid uploader signature (at most MAX_GOSSIP_TRACKS). */
  async #learnTracks(tracks: readonly Track[], held: ReadonlySet<string>): Promise<void> {
    for (const t of tracks.slice(0, MAX_GOSSIP_TRACKS)) {
      if (!held.has(t.content_hash) || !t.uploader_signature) continue
      if (this.#c.tracks.hasSigned(t.content_hash, t.uploader_signature)) continue
      if (await this.#metadata.verify(t)) this.#c.tracks.learn(t)
      else this.#log.debug({ hash: t.content_hash, uploader: t.uploader }, 'dropped track metadata with a bad uploader signature')
    }
  }

  async #learnDirect(peer: SignedPeer, hashes: string[] | undefined, tracks: Track[], contacted = true): Promise<void> {
    const { isNew, newTracks } = this.#c.peers.upsert(peer, hashes, true)
    if (hashes) await this.#learnTracks(tracks, new Set(hashes))
    if (isNew) {
      this.#log.info({ peer: peer.peer_id, host: peer.host, port: peer.port, contacted }, 'new peer')
      this.emit('peer:new', peer.peer_id)
    }
    if (newTracks.length > 0) this.emit('tracks:learned', newTracks)
  }

  async #learnForwarded(peers: GossipPeer[], tracks: Track[]): Promise<void> {
    const held = new Set<string>()
    const news: Array<() => void> = []
    for (const p of peers.slice(0, MAX_GOSSIP_PEERS)) {
      if (p.peer_id.toLowerCase() === this.#c.announcer.peerId.toLowerCase()) continue
      let verified: SignedPeer
      try {
        verified = await this.#c.verifier.verify(p)
      } catch {
        continue // a stale or forged forwarded record is dropped, not fatal
      }
      // A list that is not the signed one (e.g. left out for the budget) teaches nothing about holdings.
      const signed = tracksDigest(p.available_tracks) === verified.tracks_digest
      const { isNew, newTracks } = this.#c.peers.upsert(verified, signed ? p.available_tracks : undefined, false)
      if (signed) for (const h of p.available_tracks) held.add(h)
      if (isNew) news.push(() => this.emit('peer:new', verified.peer_id))
      if (newTracks.length > 0) news.push(() => this.emit('tracks:learned', newTracks))
    }
    await this.#learnTracks(tracks, held)
    for (const emit of news) emit()
  }
}
