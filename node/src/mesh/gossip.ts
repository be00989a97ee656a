import { EventEmitter } from 'node:events'

import { MAX_GOSSIP_HASHES, MAX_GOSSIP_HAVE, MAX_GOSSIP_PEERS, MAX_GOSSIP_TRACKS, MAX_GOSSIP_WANT } from '../api.ts'
import type { DiscoverRequest, DiscoverResponse, GossipPeer, SignedPeer, Track } from '../api.ts'
import { tracksDigest } from '../core/announcement.ts'
import type { AnnouncementVerifier } from '../core/announcement.ts'
import { InvalidAnnouncementError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { NodeMetrics } from '../core/metrics.ts'
import type { TrackStore } from '../storage/track-store.ts'
import type { Announcer, CurrentRecord } from './announcer.ts'
import type { PeerEntry, PeerTable } from './peer-table.ts'
import type { PeerAddress, ProtocolClient } from './protocol-client.ts'
import { TrackMetadataVerifier } from './track-metadata.ts'

/** How `have` names a list: the first 64 bits of its digest. */
const digestPrefix = (digest: string): string => digest.slice(0, 16)

/** Times one hash's metadata is asked for (`want`) before giving up on it (its uploader may never have signed it). */
const MAX_WANT_ASKS = 3
/** Hashes remembered as lacking metadata, at most. */
const MAX_WANTED = 100_000

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
 *
 * Issue 10, steady state costs O(peers), not O(tracks): lists and metadata travel only when they changed. A request
 * names the callee's digest it holds (`known_digest`) and the digests of the lists it holds (`have`, 64-bit prefixes);
 * the answer leaves those lists out and says which of the caller's digests the callee holds (`known_digest`), so the
 * caller sends its own list only until the callee acknowledges it. Metadata goes with a list sent to someone who
 * held none of ours, with forwarded lists, with announcements, and on request (`want`: hashes the caller lacks).
 * What a peer claims to hold only changes what that peer is sent. A record newer than the list we hold (its list
 * left out for the budget) makes the peer stale: one stale peer per round is exchanged with directly, which
 * brings its list.
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
  /** Per peer we called: the digest of our list it said it holds (we then leave the list out). */
  #acked = new Map<string, string>()
  /** Hashes some peer holds whose metadata we lack -> times asked. */
  #wanted = new Map<string, number>()
  /** Peers that answered a list without `known_digest` (before issue 10): they get our list every time. */
  #legacy = new Set<string>()

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
    // One peer whose record is newer than its list (a forwarded record came without it) gets a direct exchange.
    const stale = due.filter((e) => !e.tracksSigned)
    if (stale.length > 0) {
      const e = stale[Math.floor(Math.random() * stale.length)]
      due.splice(due.indexOf(e), 1)
      targets.push({ addr: e.record, peerId: e.record.peer_id })
    }
    for (let i = targets.length > 0 && stale.length > 0 ? 1 : 0; i < this.#init.fanout && due.length > 0; i++) {
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
      const known = expectedId ? this.#c.peers.get(expectedId) : undefined
      // Our list goes to a bootstrap address (identity unknown), to a peer that runs an older protocol, and to a peer
      // that acknowledged another digest of ours (our list changed). A known peer we never heard from directly is
      // probed first: it may hold our list already (forwarded); the answer's `known_digest` says.
      const acked = expectedId ? this.#acked.get(expectedId) : undefined
      const legacy = expectedId !== undefined && this.#legacy.has(expectedId)
      const sendList = !expectedId || legacy || (acked !== undefined && acked !== self.record.tracks_digest)
      const signed = !expectedId || legacy
        ? this.#ownMetadata(tracks)
        : tracks?.flatMap((t) => this.#c.tracks.signed(t.content_hash) ?? []).slice(0, MAX_GOSSIP_TRACKS)
      const want = known ? this.#wantFrom(known) : []
      const body: DiscoverRequest = {
        peer: sendList ? { ...self.record, available_tracks: self.tracks } : self.record,
        ...(signed && signed.length > 0 ? { tracks: signed } : {}),
        ...(known?.tracksSigned ? { known_digest: known.record.tracks_digest } : {}),
        have: this.#have(expectedId),
        ...(want.length > 0 ? { want } : {}),
      }
      let res = await this.#c.client.discover(addr, body, this.#ac.signal)
      if (!sendList && res.known_digest !== self.record.tracks_digest) {
        // The callee lacks our list (never had it, lost it in a restart, or holds an older one): send it now, with
        // all our metadata when it holds no list of ours at all.
        const own = res.known_digest === undefined ? this.#ownMetadata(tracks) : (signed ?? [])
        res = await this.#c.client.discover(
          addr,
          { ...body, peer: { ...self.record, available_tracks: self.tracks }, ...(own.length > 0 ? { tracks: own } : {}) },
          this.#ac.signal,
        )
        // Sent the list and still no acknowledgement: a node from before issue 10; it gets our list every time.
        if (res.known_digest === undefined && expectedId) this.#legacy.add(expectedId)
      } else if (sendList && res.known_digest === undefined && expectedId) {
        this.#legacy.add(expectedId)
      }
      if (res.known_digest !== undefined && expectedId) this.#legacy.delete(expectedId)
      const rtt = performance.now() - t0
      this.#c.metrics.peerDiscoveryLatency.observe(rtt)
      const remote = await this.#c.verifier.verify(res.peer)
      if (expectedId && remote.peer_id !== expectedId) {
        throw new InvalidAnnouncementError('Peer at this address changed identity', { details: `${expectedId} -> ${remote.peer_id}` })
      }
      assertSignedList(remote, res.peer.available_tracks)
      if (res.known_digest) this.#acked.set(remote.peer_id, res.known_digest)
      else this.#acked.delete(remote.peer_id)
      if (this.#acked.size > 2 * this.#c.peers.init.maxPeers) this.#acked.clear()
      if (this.#legacy.size > 2 * this.#c.peers.init.maxPeers) this.#legacy.clear()
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
  async handleDiscover(req: {
    peer: SignedPeer & { available_tracks?: string[] }
    tracks?: Track[]
    known_digest?: string
    have?: string[]
    want?: string[]
  }): Promise<DiscoverResponse> {
    const caller = await this.#c.verifier.verify(req.peer)
    assertSignedList(caller, req.peer.available_tracks)
    let knownDigest: string | undefined
    if (caller.peer_id !== this.#c.announcer.peerId) {
      await this.#learnDirect(caller, req.peer.available_tracks, req.tracks ?? [], false)
      const e = this.#c.peers.get(caller.peer_id)
      if (e?.tracksSigned) knownDigest = e.record.tracks_digest
    }
    const self = await this.#self()
    // What the caller says it holds changes only what the caller is sent.
    const sendOwn = req.known_digest !== self.record.tracks_digest
    const have = new Set((req.have ?? []).slice(0, MAX_GOSSIP_HAVE))
    // Forwarded lists share one budget; a record whose list does not fit (or is not the signed one) goes without it.
    let budget = MAX_GOSSIP_HASHES - (sendOwn ? self.tracks.length : 0)
    const sent: string[][] = []
    const peers: GossipPeer[] = this.#c.peers.sample(Math.min(this.#init.peerSample, MAX_GOSSIP_PEERS), caller.peer_id).map((e) => {
      const fits = e.tracksSigned && e.tracks.size <= budget && !have.has(digestPrefix(e.record.tracks_digest))
      if (!fits) return { ...e.record, available_tracks: [] }
      budget -= e.tracks.size
      const list = [...e.tracks]
      sent.push(list)
      return { ...e.record, available_tracks: list }
    })
    // Metadata, as signed: what the caller asked for, ours when it held no list of ours (Appendix B's `tracks`),
    // and what the forwarded lists we send hold.
    const tracks: Track[] = []
    const seen = new Set<string>()
    const add = (t: Track | undefined): void => {
      if (!t || seen.has(t.content_hash) || tracks.length >= MAX_GOSSIP_TRACKS) return
      seen.add(t.content_hash)
      tracks.push(t)
    }
    for (const h of (req.want ?? []).slice(0, MAX_GOSSIP_WANT)) {
      if (!this.#c.tracks.isWithheld(h)) add(this.#c.tracks.signed(h))
    }
    if (sendOwn && req.known_digest === undefined) for (const t of this.#c.tracks.listLocalSigned(MAX_GOSSIP_TRACKS)) add(t)
    for (const list of sent) {
      for (const h of list) {
        if (tracks.length >= MAX_GOSSIP_TRACKS) break
        if (!seen.has(h)) add(this.#c.tracks.signed(h))
      }
    }
    return {
      peer: sendOwn ? { ...self.record, available_tracks: self.tracks } : self.record,
      tracks,
      peers,
      ...(knownDigest ? { known_digest: knownDigest } : {}),
    }
  }

  /** A list we hold (for any peer) that is exactly the one `digest` signs. */
  #listWithDigest(digest: string): string[] | undefined {
    for (const e of this.#c.peers.entries()) if (e.tracksSigned && e.record.tracks_digest === digest) return [...e.tracks]
    return undefined
  }

  /** Prefixes of the list digests we hold (bounded), so that forwarded records come without lists we have. */
  #have(exclude?: string): string[] {
    const out: string[] = []
    for (const e of this.#c.peers.entries()) {
      if (out.length >= MAX_GOSSIP_HAVE) break
      if (e.tracksSigned && e.record.peer_id !== exclude && e.tracks.size > 0) out.push(digestPrefix(e.record.tracks_digest))
    }
    return out
  }

  /** `tracks` (announced ones) first, then our other local signed metadata, as signed, within MAX_GOSSIP_TRACKS. */
  #ownMetadata(tracks: Track[] = []): Track[] {
    const out = tracks.flatMap((t) => this.#c.tracks.signed(t.content_hash) ?? [])
    const seen = new Set(out.map((t) => t.content_hash))
    for (const t of this.#c.tracks.listLocalSigned(MAX_GOSSIP_TRACKS)) if (!seen.has(t.content_hash)) out.push(t)
    return out.slice(0, MAX_GOSSIP_TRACKS)
  }

  /** Hashes `peer` holds (so it has their signed metadata, if any exists) that we lack; each asked MAX_WANT_ASKS times at most. */
  #wantFrom(peer: PeerEntry): string[] {
    const out: string[] = []
    for (const [h, asks] of this.#wanted) {
      if (out.length >= MAX_GOSSIP_WANT) break
      if (!peer.tracks.has(h)) continue
      if (this.#c.tracks.get(h)) {
        this.#wanted.delete(h)
        continue
      }
      out.push(h)
      if (asks + 1 >= MAX_WANT_ASKS) this.#wanted.delete(h)
      else this.#wanted.set(h, asks + 1)
    }
    return out
  }

  /** Remembers which newly learned hashes still lack metadata (asked for in later exchanges). */
  #noteMissing(hashes: readonly string[]): void {
    for (const h of hashes) {
      if (this.#wanted.size >= MAX_WANTED) return
      if (!this.#wanted.has(h) && !this.#c.tracks.get(h)) this.#wanted.set(h, 0)
    }
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
    // Metadata for what the peer holds: the list it sent, else the signed list we hold for it (answers to `want`).
    const entry = this.#c.peers.get(peer.peer_id)
    const held = hashes ? new Set(hashes) : entry?.tracksSigned ? entry.tracks : undefined
    if (held && tracks.length > 0) await this.#learnTracks(tracks, held)
    this.#noteMissing(newTracks)
    if (isNew) {
      this.#log.info({ peer: peer.peer_id, host: peer.host, port: peer.port, contacted }, 'new peer')
      this.emit('peer:new', peer.peer_id)
    }
    if (newTracks.length > 0) this.emit('tracks:learned', newTracks)
  }

  async #learnForwarded(peers: GossipPeer[], tracks: Track[]): Promise<void> {
    const held = new Set<string>()
    const news: Array<() => void> = []
    const learned: string[][] = []
    for (const p of peers.slice(0, MAX_GOSSIP_PEERS)) {
      if (p.peer_id.toLowerCase() === this.#c.announcer.peerId.toLowerCase()) continue
      let verified: SignedPeer
      try {
        verified = await this.#c.verifier.verify(p)
      } catch {
        continue // a stale or forged forwarded record is dropped, not fatal
      }
      // A list that is not the signed one (e.g. left out for the budget) teaches nothing about holdings, but one
      // left out because we said we hold that digest is the list we hold for another peer (same digest, same list).
      let list: string[] | undefined = tracksDigest(p.available_tracks) === verified.tracks_digest ? p.available_tracks : undefined
      if (!list && p.available_tracks.length === 0) list = this.#listWithDigest(verified.tracks_digest)
      const { isNew, newTracks } = this.#c.peers.upsert(verified, list, false)
      if (list) for (const h of list) held.add(h)
      if (isNew) news.push(() => this.emit('peer:new', verified.peer_id))
      if (newTracks.length > 0) news.push(() => this.emit('tracks:learned', newTracks))
      learned.push(newTracks)
    }
    await this.#learnTracks(tracks, held)
    for (const l of learned) this.#noteMissing(l)
    for (const emit of news) emit()
  }
}
