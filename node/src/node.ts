import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

import type { FastifyInstance } from 'fastify'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { AddTrackQuery, CatalogHolder, StatsResponse, Track } from './api.ts'
import { RewardsService } from './chain/rewards.ts'
import { NodeStake } from './chain/stake.ts'
import { registerChainMetrics } from './chain/metrics.ts'
import { RegistrationService } from './chain/registration.ts'
import { RegisterThenAnnounce } from './chain/register-then-announce.ts'
import { Catalog } from './chain/catalog.ts'
import { ChainService } from './chain/service.ts'
import type { ProtocolContracts } from './chain/contracts.ts'
import { AnnouncementVerifier } from './core/announcement.ts'
import { nodeConfigSchema } from './core/config.ts'
import type { NodeConfig, NodeConfigInput } from './core/config.ts'
import { loadOrCreateApiToken, loadOrCreateIdentity } from './core/identity.ts'
import { createLogger } from './core/logger.ts'
import type { Logger } from './core/logger.ts'
import { NodeMetrics } from './core/metrics.ts'
import { buildServer } from './http/server.ts'
import { KuboPinner } from './ipfs/kubo-pinner.ts'
import { IpfsService } from './ipfs/service.ts'
import { Announcer } from './mesh/announcer.ts'
import { ChunkVerifier } from './mesh/chunk-verifier.ts'
import { ContentFetcher, mediaTypeOf } from './mesh/fetcher.ts'
import type { FetchResult } from './mesh/fetcher.ts'
import { GossipService } from './mesh/gossip.ts'
import { PeerTable } from './mesh/peer-table.ts'
import { ReplicationService } from './mesh/replication.ts'
import { DhtRouting } from './mesh/routing/dht-routing.ts'
import { signTrackMetadata } from './mesh/track-metadata.ts'
import { ProtocolClient } from './mesh/protocol-client.ts'
import type { DialFilter } from './mesh/protocol-client.ts'
import { AuditLog } from './storage/audit-log.ts'
import { ContentStore, copyStored, copyTarget } from './storage/content-store.ts'
import { openDb } from './storage/db.ts'
import type { Db } from './storage/db.ts'
import { TrackStore } from './storage/track-store.ts'

export interface DcmxNodeComponents {
  account: PrivateKeyAccount
  apiToken: string
  logger: Logger
  dialFilter?: DialFilter
  /** Verified-signature cache; several nodes in one process (tests, benches) may share one. */
  verifier?: AnnouncementVerifier
}

/**
 * A DCMX mesh node: content store + metadata DB + peer table + gossip + verified fetcher + HTTP
 * server. `createNode()` loads the identity and token from the data dir; `start()` binds.
 */
export class DcmxNode {
  readonly config: NodeConfig
  readonly logger: Logger
  readonly account: PrivateKeyAccount
  readonly apiToken: string
  readonly db: Db
  readonly store: ContentStore
  readonly tracks: TrackStore
  readonly peers: PeerTable
  readonly audit: AuditLog
  readonly metrics: NodeMetrics
  readonly client: ProtocolClient
  readonly announcer: Announcer
  readonly verifier: AnnouncementVerifier
  readonly gossip: GossipService
  readonly fetcher: ContentFetcher
  readonly chunkVerifier: ChunkVerifier
  readonly ipfs: IpfsService
  readonly server: FastifyInstance
  /** The node on chain; undefined when started without an RPC URL. */
  readonly chain: ChainService | undefined
  /** Bandwidth receipts, uptime and claims; undefined off chain. */
  readonly rewards: RewardsService | undefined
  /** Staking this node (single-key operator through the outbox, or a signature for a separate operator wallet). */
  readonly stake: NodeStake | undefined
  /** On-chain registration of tracks (commit-reveal through the outbox); with the chain only. */
  readonly registration: RegistrationService | undefined
  /** DHT content routing; undefined unless configured (`dht`). */
  readonly routing: DhtRouting | undefined
  /** k-replication with repair and a disk quota; undefined unless configured (`replication`). */
  readonly replication: ReplicationService | undefined
  #startedAt = Date.now()
  #catalog: Catalog | undefined
  #log: Logger
  #pending = new Set<Promise<unknown>>()
  /** Registration before announcement (operator uploads, wallet uploads reserved for their uploader); with a chain. */
  readonly registerFirst: RegisterThenAnnounce | undefined

  constructor(components: DcmxNodeComponents, init: NodeConfig) {
    this.config = init
    this.logger = components.logger
    this.#log = this.logger.child({ component: 'node' })
    this.account = components.account
    this.apiToken = components.apiToken
    this.db = openDb(init.dataDir)
    const logger = this.logger
    this.store = new ContentStore({ root: join(init.dataDir, 'content'), chunkSize: init.chunkSize })
    this.tracks = new TrackStore({ db: this.db, registered: (hash) => (this.chain ? this.catalog().registeredMetadata(hash) : undefined) })
    const kubo = init.kuboRpcUrl ? new KuboPinner({ logger }, { url: init.kuboRpcUrl }) : undefined
    this.ipfs = new IpfsService({ db: this.db, store: this.store, tracks: this.tracks, logger, kubo }, { maxBlobBytes: init.maxBlobBytes })
    this.peers = new PeerTable(
      { db: this.db, logger },
      {
        selfId: this.account.address,
        maxPeers: init.maxPeers,
        intervalMs: init.discoveryIntervalMs,
        maxRetries: init.maxRetries,
        backoffMultiplier: init.backoffMultiplier,
        disconnectedRetryMs: init.disconnectedRetryMs,
      },
    )
    this.audit = new AuditLog({ db: this.db }, { nodeId: this.account.address })
    this.metrics = new NodeMetrics({
      startedAt: () => this.#startedAt,
      peersConnected: () => this.peers.connectedCount(),
      tracksAvailable: () => this.tracks.countLocal(),
    })
    this.client = new ProtocolClient({ dialFilter: components.dialFilter }, { connectTimeoutMs: init.connectTimeoutMs })
    const advertiseHost = init.advertiseHost ?? (init.host === '0.0.0.0' || init.host === '::' ? '127.0.0.1' : init.host)
    this.announcer = new Announcer({ account: this.account }, { host: advertiseHost, port: init.port || 1, maxAgeSec: init.announcementMaxAgeSec })
    this.verifier = components.verifier ?? new AnnouncementVerifier({ maxAgeSec: init.announcementMaxAgeSec })
    const c = { peers: this.peers, tracks: this.tracks, client: this.client, metrics: this.metrics, logger }
    this.gossip = new GossipService(
      { ...c, announcer: this.announcer, verifier: this.verifier },
      {
        bootstrap: init.peers,
        intervalMs: init.autoGossip ? init.discoveryIntervalMs : 0,
        retryBaseMs: init.discoveryIntervalMs,
        fanout: init.fanout,
        peerSample: init.gossipPeerSample,
        maxRetries: init.maxRetries,
        backoffMultiplier: init.backoffMultiplier,
      },
    )
    this.chunkVerifier = new ChunkVerifier()
    const anchor = (hash: string) => this.registration?.anchoredRoot(hash) ?? Promise.resolve(undefined)
    this.fetcher = new ContentFetcher(
      { ...c, store: this.store, audit: this.audit, verifier: this.chunkVerifier, receipts: () => this.rewards?.receipts, anchor },
      { raceWidth: init.raceWidth, maxContentBytes: init.maxUploadBytes },
    )
    this.chain = init.chain
      ? new ChainService(
          { db: this.db, account: this.account, logger },
          { ...init.chain, contracts: init.chain.contracts as Partial<ProtocolContracts> | undefined },
        )
      : undefined
    this.rewards = this.chain ? new RewardsService({ db: this.db, account: this.account, logger, chain: this.chain, peers: this.peers }, { ...init.rewards, pollMs: init.chain?.pollMs ?? 2000 }) : undefined
    this.stake = this.chain ? new NodeStake({ account: this.account, chain: this.chain }) : undefined
    if (this.chain && this.rewards) registerChainMetrics(this.metrics.registry, { chain: this.chain, rewards: this.rewards, catalog: () => this.catalog(), node: this.account.address })
    this.registration = this.chain && new RegistrationService(
        { db: this.db, chain: this.chain, tracks: this.tracks, logger },
        { pollMs: init.chain?.pollMs ?? 2000, relayPerArtistPerDay: init.chain?.relayPerArtistPerDay, relayPerDay: init.chain?.relayPerDay },
      )
    this.routing = init.dht
      ? new DhtRouting(
          { logger, localHashes: () => this.tracks.localHashes(), contact: (addr) => this.gossip.exchange(addr) },
          { ...init.dht, dataDir: init.dataDir, http: () => this.announcer.address },
        )
      : undefined
    this.replication = init.replication
      ? new ReplicationService(
          {
            selfId: this.account.address,
            db: this.db,
            peers: this.peers,
            tracks: this.tracks,
            store: this.store,
            client: this.client,
            logger,
            knownHashes: () => this.knownHashes(),
            fetch: (hash, opts) => this.getContent(hash, opts),
            withdraw: () => this.gossip.announce([]),
            gossip: this.gossip,
          },
          { ...init.replication, maxRecordAgeSec: init.announcementMaxAgeSec },
        )
      : undefined
    if (this.registration) {
      this.registerFirst = new RegisterThenAnnounce({
        registration: this.registration,
        tracks: this.tracks,
        announce: (tracks) => this.publish(tracks),
        // Bytes first: an upload of the same bytes racing the sweep can leave a file without rows, never rows without a file.
        discard: async (hash) => {
          await rm(this.store.pathOf(hash), { force: true })
          this.ipfs.index.forgetTrack(hash)
          this.tracks.forget(hash)
          this.registration?.forgetFailed(hash)
        },
        db: this.db,
        logger,
      })
    }
    this.server = buildServer({ node: this, logger }, init)
  }

  /**
   * The on-chain catalog this node indexed (SQL over `chain_events`). Built on first use: the indexer creates its
   * tables when the chain service starts. Throws off chain.
   */
  catalog(): Catalog {
    const chain = this.chain
    if (!chain) throw new Error('the node runs without a chain')
    this.#catalog ??= new Catalog({ db: this.db, holders: (hash) => this.#holdersOf(hash) }, { chainId: chain.chainId, contracts: chain.contracts })
    return this.#catalog
  }

  get peerId(): string {
    return this.account.address
  }

  /** Base URL the node is reachable at (after start). */
  get url(): string {
    const a = this.announcer.address
    return `http://${a.host}:${a.port}`
  }

  get uptimeSeconds(): number {
    return (Date.now() - this.#startedAt) / 1000
  }

  async start(): Promise<void> {
    this.#startedAt = Date.now()
    await this.store.start()
    await this.chain?.start()
    await this.rewards?.start()
    this.registration?.start()
    this.registerFirst?.resume()
    this.peers.start()
    if (this.config.ipfs) this.ipfs.start()
    await this.server.listen({ host: this.config.host, port: this.config.port })
    const addr = this.server.server.address()
    const port = typeof addr === 'object' && addr ? addr.port : this.config.port
    this.announcer.setAddress({ host: this.announcer.address.host, port })
    await this.routing?.start()
    if (this.routing) this.#background(this.routing.provide())
    this.gossip.start()
    this.replication?.start()
    this.#log.info({ peer_id: this.peerId, url: this.url, dataDir: this.config.dataDir }, 'node started')
  }

  async stop(): Promise<void> {
    await this.replication?.stop()
    await this.gossip.stop()
    await this.registerFirst?.stop()
    await this.routing?.stop()
    await this.rewards?.stop()
    await this.registration?.stop()
    await this.chain?.stop()
    await Promise.allSettled([...this.#pending])
    await this.server.close()
    await this.client.stop()
    await this.chunkVerifier.stop()
    await this.ipfs.stop()
    this.peers.stop()
    await this.store.stop()
    this.audit.flush()
    this.db.close()
    this.#log.info('node stopped')
  }

  /** Stores uploaded bytes (streamed, hashed, deduplicated), records the track and announces it. */
  /** Stores an upload. `wallet`: it came from a wallet's signed authorization (not the operator). */
  async addTrack(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    meta: AddTrackQuery,
    opts: { signal?: AbortSignal; wallet?: string } = {},
  ): Promise<{ track: Track; created: boolean }> {
    let manifest
    try {
      ;({ manifest } = await this.store.ingest(source, { maxBytes: this.config.maxUploadBytes, signal: opts.signal }))
    } catch (err) {
      this.audit.record('ADD_TRACK', '', 'FAILED', { reason: (err as Error).message.split('\n')[0], title: meta.title })
      throw err
    }
    const existing = this.tracks.get(manifest.contentHash)
    // Withheld until registered (a wallet's upload, or the operator's with --register-as-operator): not pinned to
    // Kubo yet either, which would announce it to the public IPFS network.
    const withhold = !existing?.local && this.registerFirst !== undefined && (opts.wallet !== undefined || this.config.chain?.registerAsOperator === true)
    this.tracks.putManifest(manifest)
    // The CID comes from the manifest's chunk hashes: no second pass over the audio.
    if (this.config.ipfs) await this.ipfs.indexTrack(manifest, { pin: !withhold })
    this.tracks.upsert(
      await signTrackMetadata(this.account, {
        title: meta.title,
        artist: meta.artist,
        album: meta.album ?? null,
        duration: meta.duration ?? 0,
        content_hash: manifest.contentHash,
        size: manifest.size,
        manifest_root: manifest.root,
        created_at: new Date().toISOString(),
        media_type: await mediaTypeOf(this.store, manifest.contentHash),
      }),
      true,
    )
    // The first metadata stored for a hash wins (dedup); answer with what is stored.
    const { local: _local, ...track } = this.tracks.get(manifest.contentHash) as Track & { local: boolean }
    const created = !existing?.local
    this.audit.record('ADD_TRACK', track.content_hash, 'SUCCESS', { title: track.title, artist: track.artist, size: track.size, created })
    this.#log.info({ hash: track.content_hash, size: track.size, created }, 'track added')
    // With a chain, the mesh hears of an upload only once it is registered: a wallet's upload waits for that
    // wallet's own registration, an operator's for the one the node makes when asked to (--register-as-operator).
    // The operator uploading bytes a wallet reserved takes them over: the reservation ends, they go the operator's way.
    const takenOver = !created && !opts.wallet && this.registerFirst?.unreserve(track.content_hash) === true
    if (created && opts.wallet && this.registerFirst) this.registerFirst.reserve(track, opts.wallet)
    else if ((created || takenOver) && this.registerFirst && this.config.chain?.registerAsOperator) this.#background(this.registerFirst.upload(track))
    else if (takenOver) this.#background(this.publish([track]))
    else if (created) this.#background(this.#announce([track]))
    return { track, created }
  }

  /** Adds a file from the operator's disk (local API). */
  async addFile(path: string, meta: AddTrackQuery): Promise<{ track: Track; created: boolean }> {
    return this.addTrack(createReadStream(path, { highWaterMark: 1 << 20 }), meta)
  }

  /** Local first, else fetched from peers and verified; new content is announced. */
  async getContent(hash: string, opts: { signal?: AbortSignal; copyTo?: string } = {}): Promise<FetchResult> {
    // No known holder: ask the DHT, whose holders become candidates through a signed exchange.
    if (this.routing && !this.tracks.get(hash)?.local && this.peers.candidatesFor(hash).length === 0) await this.routing.resolve(hash, opts)
    // A copy asked for is checked first (a bad path fails before any download) and written while the bytes arrive.
    const copyTo = opts.copyTo === undefined ? undefined : { tmp: await copyTarget(opts.copyTo, this.config.dataDir), dest: opts.copyTo }
    const r = await this.fetcher.fetch(hash, { signal: opts.signal, copyTo })
    if (r.from) {
      const cid = this.config.ipfs ? await this.ipfs.indexTrack(r.manifest) : undefined
      if (cid) r.track.cid = cid
      this.#background(this.#announce([r.track]))
    }
    if (copyTo && !r.copied) await copyStored(this.store.pathOf(hash), copyTo)
    return r
  }

  /** Every hash this node knows about: its own and its peers'. */
  knownHashes(): Set<string> {
    const s = this.peers.knownHashes()
    for (const h of this.tracks.localHashes()) s.add(h)
    return s
  }

  async stats(): Promise<StatsResponse> {
    const a = this.announcer.address
    return {
      peer_id: this.peerId,
      host: a.host,
      port: a.port,
      uptime_seconds: Math.round(this.uptimeSeconds),
      peers_known: this.peers.size,
      peers_connected: this.peers.connectedCount(),
      tracks_local: this.tracks.countLocal(),
      tracks_known: this.knownHashes().size,
      content_uploaded_bytes: (await this.metrics.uploadedBytes.get()).values[0]?.value ?? 0,
      content_downloaded_bytes: (await this.metrics.downloadedBytes.get()).values[0]?.value ?? 0,
      gossip_rounds: this.gossip.rounds,
      ...(this.routing?.address && this.routing.publicKey
        ? { dht: { ...this.routing.address, public_key: this.routing.publicKey, server: this.config.dht?.server ?? true } }
        : {}),
      ...(this.chain ? { chain: await this.chain.wallet().catch((err: unknown) => ({ chain_error: (err as Error).message.split('\n')[0] })) } : {}),
    }
  }

  /** Who holds a track: this node when it stores the bytes, then the peers that announced it. */
  #holdersOf(hash: string): CatalogHolder[] {
    const out: CatalogHolder[] = []
    if (this.tracks.get(hash)?.local) {
      const a = this.announcer.address
      out.push({ peer_id: this.peerId, host: a.host, port: a.port, self: true })
    }
    for (const e of this.peers.candidatesFor(hash)) out.push({ peer_id: e.record.peer_id, host: e.record.host, port: e.record.port, self: false })
    return out
  }

  /** Tells the mesh this node holds `tracks`: gossip, and provider records in the DHT when it runs one. */
  /**
   * Makes local tracks public (their registration landed, or the operator says so): no longer withheld nor reserved,
   * pinned to Kubo if they were held back from it, and announced.
   */
  async publish(tracks: Track[]): Promise<void> {
    for (const { content_hash: hash } of tracks) {
      if (this.tracks.isWithheld(hash) && this.config.ipfs) this.ipfs.pinTrack(hash)
      this.tracks.release(hash)
      this.registerFirst?.unreserve(hash)
    }
    await this.#announce(tracks)
  }

  async #announce(tracks: Track[]): Promise<void> {
    await Promise.all([this.gossip.announce(tracks), this.routing?.provide(tracks.map((t) => t.content_hash))])
  }

  #background(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 'background task failed'))
    this.#pending.add(q)
    void q.finally(() => this.#pending.delete(q))
  }
}

/** Loads (or creates) the identity and operator token in the data dir and builds a node. */
export async function createNode(
  input: NodeConfigInput,
  components: { logger?: Logger; dialFilter?: DialFilter; verifier?: AnnouncementVerifier } = {},
): Promise<DcmxNode> {
  const config = nodeConfigSchema.parse(input)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const account = await loadOrCreateIdentity(config.dataDir)
  const apiToken = config.apiToken ?? (await loadOrCreateApiToken(config.dataDir))
  const logger = components.logger ?? createLogger({ level: config.logLevel })
  return new DcmxNode({ account, apiToken, logger, dialFilter: components.dialFilter, verifier: components.verifier }, config)
}
