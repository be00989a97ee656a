import { getAddress, zeroAddress } from 'viem'
import type { Address } from 'viem'

import type {
  CatalogArtistSalesResponse,
  CatalogEdition,
  CatalogEditionResponse,
  CatalogEditionsQuery,
  CatalogEditionsResponse,
  CatalogHolder,
  CatalogListing,
  CatalogListingsQuery,
  CatalogListingsResponse,
  CatalogOwnerResponse,
  CatalogRewardsResponse,
  CatalogTrack,
  CatalogTrackResponse,
  CatalogTracksQuery,
  CatalogTracksResponse,
  ChainRef,
  ListingStatus,
} from '../api/catalog.ts'
import type { Db } from '../storage/db.ts'

/**
 * The catalog: read-only projections over the indexer's `chain_events` rows (one row per decoded log, its
 * arguments as JSON). Nothing is materialised, so a reorg rewind (the indexer's `DELETE` above the common ancestor)
 * is all the catalog ever needs, and a fresh index gives the same answers. Lookups go through expression indexes on
 * the JSON fields the queries join on (content hash, edition id, token id, transfer recipient); every list is paged
 * and bounded.
 *
 * Values as the indexer stored them: viem decodes uints of 48 bits or fewer as numbers and wider ones as bigints
 * (stored as decimal strings), addresses checksummed, bytes32 as `0x` lowercase hex. Token ids are
 * `editionId << 32 | serial` (Editions' layout), so SQLite's 64-bit integers hold them for edition ids below 2^31.
 */

export interface CatalogComponents {
  db: Db
  /** Mesh nodes believed to hold a content hash (this node and peers that announced it). */
  holders?: (contentHash: string) => CatalogHolder[]
  /** Unix seconds (listing expiry); the wall clock by default. */
  now?: () => number
}

export interface CatalogInit {
  chainId: number
  contracts: { TrackRegistry: Address; Editions: Address; Marketplace: Address; BandwidthRewards: Address }
}

const INDEXES = `
CREATE INDEX IF NOT EXISTS catalog_by_hash ON chain_events(chain_id, name, json_extract(args, '$.contentHash'), block_number, log_index);
CREATE INDEX IF NOT EXISTS catalog_by_edition ON chain_events(chain_id, name, json_extract(args, '$.editionId'), block_number, log_index);
CREATE INDEX IF NOT EXISTS catalog_by_token ON chain_events(chain_id, name, json_extract(args, '$.tokenId'), block_number, log_index);
CREATE INDEX IF NOT EXISTS catalog_by_to ON chain_events(chain_id, name, json_extract(args, '$.to'), block_number, log_index);
`

interface EventRow {
  block_number: number
  tx_hash: string
  log_index: number
  address: string
  name: string
  args: string
}

type Args = Record<string, unknown>

const SERIAL_BITS = 32n
/** Newest first, then the cursor's position (exclusive). */
const AFTER_CURSOR = `(:cb IS NULL OR x.block_number < :cb OR (x.block_number = :cb AND x.log_index < :cl))`
const LATER_THAN = (a: string, b: string) => `(${a}.block_number > ${b}.block_number OR (${a}.block_number = ${b}.block_number AND ${a}.log_index > ${b}.log_index))`

export class Catalog {
  readonly #db: Db
  readonly #holders: (contentHash: string) => CatalogHolder[]
  readonly #now: () => number
  readonly #chainId: number
  readonly #c: { registry: string; editions: string; market: string; rewards: string }

  constructor(components: CatalogComponents, init: CatalogInit) {
    this.#db = components.db
    this.#holders = components.holders ?? (() => [])
    this.#now = components.now ?? (() => Math.floor(Date.now() / 1000))
    this.#chainId = init.chainId
    const lower = (a: Address) => a.toLowerCase()
    this.#c = {
      registry: lower(init.contracts.TrackRegistry),
      editions: lower(init.contracts.Editions),
      market: lower(init.contracts.Marketplace),
      rewards: lower(init.contracts.BandwidthRewards),
    }
    this.#db.exec(INDEXES)
  }

  /** Registered tracks, newest first, by current artist and/or a case-insensitive text match. */
  tracks(query: Omit<CatalogTracksQuery, 'limit'> & { limit?: number }): CatalogTracksResponse {
    const limit = query.limit ?? 50
    const rows = this.#db
      .prepare(
        `WITH x AS (
           SELECT t.*, ${this.#currentArtistSql('t')} AS current_artist FROM chain_events t
           WHERE t.chain_id = :chain AND t.name = 'TrackRegistered' AND lower(t.address) = :registry
         )
         SELECT * FROM x
         WHERE (:artist IS NULL OR x.current_artist = :artist)
           AND (:q IS NULL OR json_extract(x.args, '$.title') LIKE :q ESCAPE '\\' OR json_extract(x.args, '$.artistName') LIKE :q ESCAPE '\\')
           AND ${AFTER_CURSOR}
         ORDER BY x.block_number DESC, x.log_index DESC LIMIT :limit`,
      )
      .all({
        chain: this.#chainId,
        registry: this.#c.registry,
        artist: query.artist ? getAddress(query.artist) : null,
        q: query.q ? `%${query.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null,
        ...cursorParams(query.cursor),
        limit: limit + 1,
      }) as unknown as (EventRow & { current_artist: string })[]
    return { tracks: rows.slice(0, limit).map((r) => this.#track(r)), next_cursor: nextCursor(rows, limit) }
  }

  /** One track and its editions; undefined when the hash is not registered. */
  track(contentHash: string): CatalogTrackResponse | undefined {
    const row = this.#db
      .prepare(
        `SELECT t.*, ${this.#currentArtistSql('t')} AS current_artist FROM chain_events t
         WHERE t.chain_id = :chain AND t.name = 'TrackRegistered' AND json_extract(t.args, '$.contentHash') = :hash AND lower(t.address) = :registry
         ORDER BY t.block_number DESC, t.log_index DESC LIMIT 1`,
      )
      .get({ chain: this.#chainId, registry: this.#c.registry, hash: `0x${contentHash}` }) as (EventRow & { current_artist: string }) | undefined
    if (!row) return undefined
    return { track: this.#track(row), editions: this.editions({ contentHash, limit: 200 }).editions }
  }

  /** A registered track's metadata as registered (the mesh shows it over gossiped metadata); no holders or editions. */
  registeredMetadata(contentHash: string): { title: string; artist_name: string; album: string; duration: number } | undefined {
    const row = this.#db
      .prepare(
        `SELECT args FROM chain_events WHERE chain_id = :chain AND name = 'TrackRegistered' AND json_extract(args, '$.contentHash') = :hash AND lower(address) = :registry
         ORDER BY block_number DESC, log_index DESC LIMIT 1`,
      )
      .get({ chain: this.#chainId, registry: this.#c.registry, hash: `0x${contentHash}` }) as { args: string } | undefined
    if (!row) return undefined
    const a = JSON.parse(row.args) as Args
    return { title: String(a.title), artist_name: String(a.artistName), album: String(a.album), duration: Number(a.duration) }
  }

  /** Editions, newest first, by current artist and/or track. */
  editions(query: Omit<CatalogEditionsQuery, 'limit'> & { limit?: number }): CatalogEditionsResponse {
    const limit = query.limit ?? 50
    const rows = this.#db
      .prepare(
        `WITH x AS (
           SELECT e.*, ${this.#editionArtistSql('e')} AS current_artist FROM chain_events e
           WHERE e.chain_id = :chain AND e.name = 'EditionCreated' AND lower(e.address) = :editions
             AND (:hash IS NULL OR json_extract(e.args, '$.contentHash') = :hash)
         )
         SELECT * FROM x WHERE (:artist IS NULL OR x.current_artist = :artist) AND ${AFTER_CURSOR}
         ORDER BY x.block_number DESC, x.log_index DESC LIMIT :limit`,
      )
      .all({
        chain: this.#chainId,
        editions: this.#c.editions,
        hash: query.contentHash ? `0x${query.contentHash}` : null,
        artist: query.artist ? getAddress(query.artist) : null,
        ...cursorParams(query.cursor),
        limit: limit + 1,
      }) as unknown as (EventRow & { current_artist: string })[]
    return { editions: rows.slice(0, limit).map((r) => this.#edition(r)), next_cursor: nextCursor(rows, limit) }
  }

  /** One edition with its collectors by serial (a page of them) and its purchase comments. */
  edition(editionId: number, page: { limit?: number; cursor?: string } = {}): CatalogEditionResponse | undefined {
    const row = this.#db
      .prepare(
        `SELECT e.*, ${this.#editionArtistSql('e')} AS current_artist FROM chain_events e
         WHERE e.chain_id = :chain AND e.name = 'EditionCreated' AND json_extract(e.args, '$.editionId') = :id AND lower(e.address) = :editions
         LIMIT 1`,
      )
      .get({ chain: this.#chainId, editions: this.#c.editions, id: String(editionId) }) as (EventRow & { current_artist: string }) | undefined
    if (!row) return undefined
    const edition = this.#edition(row)
    const limit = page.limit ?? 50
    const from = Number(page.cursor ?? 0) + 1
    const to = Math.min(edition.minted, from + limit - 1)
    // Mints by range: EditionPurchased(firstTokenId, quantity) covers a batch; later transfers override.
    const batches = this.#byEdition('EditionPurchased', editionId).map((p) => ({
      first: BigInt(p.args.firstTokenId as string) & ((1n << SERIAL_BITS) - 1n),
      quantity: BigInt(p.args.quantity as string),
      buyer: p.args.buyer as string,
    }))
    const lastTransfer = this.#db.prepare(
      `SELECT json_extract(args, '$.to') AS owner FROM chain_events
       WHERE chain_id = ? AND name = 'Transfer' AND json_extract(args, '$.tokenId') = ? AND lower(address) = ?
       ORDER BY block_number DESC, log_index DESC LIMIT 1`,
    )
    const collectors: CatalogEditionResponse['collectors'] = []
    for (let serial = from; serial <= to; serial++) {
      const tokenId = (BigInt(editionId) << SERIAL_BITS) | BigInt(serial)
      const moved = lastTransfer.get(this.#chainId, String(tokenId), this.#c.editions) as { owner: string } | undefined
      const minted = batches.find((b) => BigInt(serial) >= b.first && BigInt(serial) < b.first + b.quantity)
      const owner = moved?.owner ?? minted?.buyer
      if (owner && owner !== zeroAddress) collectors.push({ serial, token_id: String(tokenId), owner })
    }
    const comments = this.#byEdition('EditionCommented', editionId, 200).map((c) => ({
      buyer: c.args.buyer as string,
      first_token_id: String(c.args.firstTokenId),
      quantity: Number(c.args.quantity),
      comment: String(c.args.comment),
      at: ref(c),
    }))
    return { edition, collectors, next_cursor: to < edition.minted ? String(to) : null, comments }
  }

  /** The Editions tokens `owner` holds now (the last transfer of each token went to it). */
  owner(ownerAddress: string, limit = 1000): CatalogOwnerResponse {
    const owner = getAddress(ownerAddress)
    const rows = this.#db
      .prepare(
        `WITH cand AS (
           SELECT DISTINCT json_extract(args, '$.tokenId') AS token_id FROM chain_events
           WHERE chain_id = :chain AND name = 'Transfer' AND json_extract(args, '$.to') = :owner AND lower(address) = :editions
         )
         SELECT token_id FROM cand
         WHERE (SELECT json_extract(t.args, '$.to') FROM chain_events t
                WHERE t.chain_id = :chain AND t.name = 'Transfer' AND json_extract(t.args, '$.tokenId') = cand.token_id AND lower(t.address) = :editions
                ORDER BY t.block_number DESC, t.log_index DESC LIMIT 1) = :owner
         ORDER BY CAST(token_id AS INTEGER) LIMIT :limit`,
      )
      .all({ chain: this.#chainId, owner, editions: this.#c.editions, limit }) as { token_id: string }[]
    const info = new Map<number, { content_hash: string; name: string }>()
    const created = this.#db.prepare(
      `SELECT args FROM chain_events WHERE chain_id = ? AND name = 'EditionCreated' AND json_extract(args, '$.editionId') = ? AND lower(address) = ? LIMIT 1`,
    )
    const tokens = rows.map(({ token_id }) => {
      const id = BigInt(token_id)
      const editionId = Number(id >> SERIAL_BITS)
      if (!info.has(editionId)) {
        const r = created.get(this.#chainId, String(editionId), this.#c.editions) as { args: string } | undefined
        const a = r ? (JSON.parse(r.args) as Args) : {}
        info.set(editionId, { content_hash: strip0x(String(a.contentHash ?? `0x${'0'.repeat(64)}`)), name: String(a.name ?? '') })
      }
      return { token_id, edition_id: editionId, serial: Number(id & ((1n << SERIAL_BITS) - 1n)), ...(info.get(editionId) as { content_hash: string; name: string }) }
    })
    return { owner, tokens }
  }

  /**
   * Marketplace listings, newest first. A listing is inactive once relisted (`replaced`), sold, cancelled, its
   * token transferred in any later log (the seller no longer holds it), its seller's counter moved past its
   * counter, or expired (now > expiresAt); the first that applies is its `status`.
   */
  listings(query: Omit<CatalogListingsQuery, 'limit'> & { limit?: number }): CatalogListingsResponse {
    const limit = query.limit ?? 50
    const sameToken = (e: string) =>
      `${e}.chain_id = l.chain_id AND json_extract(${e}.args, '$.tokenId') = json_extract(l.args, '$.tokenId') AND ${LATER_THAN(e, 'l')}`
    const rows = this.#db
      .prepare(
        `WITH x AS (
           SELECT l.*, CASE
             WHEN EXISTS (SELECT 1 FROM chain_events r WHERE r.name = 'Listed' AND ${sameToken('r')} AND lower(r.address) = :market
                          AND json_extract(r.args, '$.nft') = json_extract(l.args, '$.nft')) THEN 'replaced'
             WHEN EXISTS (SELECT 1 FROM chain_events s WHERE s.name = 'Sold' AND ${sameToken('s')} AND lower(s.address) = :market
                          AND json_extract(s.args, '$.nft') = json_extract(l.args, '$.nft')) THEN 'sold'
             WHEN EXISTS (SELECT 1 FROM chain_events c WHERE c.name = 'ListingCancelled' AND ${sameToken('c')} AND lower(c.address) = :market
                          AND json_extract(c.args, '$.nft') = json_extract(l.args, '$.nft')) THEN 'cancelled'
             WHEN EXISTS (SELECT 1 FROM chain_events t WHERE t.name = 'Transfer' AND ${sameToken('t')}
                          AND lower(t.address) = lower(json_extract(l.args, '$.nft'))) THEN 'transferred'
             WHEN EXISTS (SELECT 1 FROM chain_events k WHERE k.chain_id = l.chain_id AND k.name = 'CounterIncremented' AND lower(k.address) = :market
                          AND json_extract(k.args, '$.seller') = json_extract(l.args, '$.seller')
                          AND CAST(json_extract(k.args, '$.newCounter') AS INTEGER) > CAST(json_extract(l.args, '$.counter') AS INTEGER)) THEN 'counter_moved'
             WHEN CAST(json_extract(l.args, '$.expiresAt') AS INTEGER) < :now THEN 'expired'
             ELSE 'active' END AS status
           FROM chain_events l
           WHERE l.chain_id = :chain AND l.name = 'Listed' AND lower(l.address) = :market
             AND (:nft IS NULL OR json_extract(l.args, '$.nft') = :nft)
             AND (:seller IS NULL OR json_extract(l.args, '$.seller') = :seller)
         )
         SELECT * FROM x WHERE (:active IS NULL OR (x.status = 'active') = :active) AND ${AFTER_CURSOR}
         ORDER BY x.block_number DESC, x.log_index DESC LIMIT :limit`,
      )
      .all({
        chain: this.#chainId,
        market: this.#c.market,
        nft: query.nft ? getAddress(query.nft) : null,
        seller: query.seller ? getAddress(query.seller) : null,
        active: query.active === undefined ? null : query.active ? 1 : 0,
        now: this.#now(),
        ...cursorParams(query.cursor),
        limit: limit + 1,
      }) as unknown as (EventRow & { status: ListingStatus })[]
    const listings = rows.slice(0, limit).map((r): CatalogListing => {
      const a = JSON.parse(r.args) as Args
      return {
        nft: a.nft as string,
        token_id: String(a.tokenId),
        seller: a.seller as string,
        price_wei: String(a.price),
        min_proceeds_wei: String(a.minProceeds),
        expires_at: Number(a.expiresAt),
        counter: Number(a.counter),
        active: r.status === 'active',
        status: r.status,
        listed: ref(r),
      }
    })
    return { listings, next_cursor: nextCursor(rows, limit) }
  }

  /**
   * An artist's income: primary sales of the editions they created (EditionPurchased `paid`), resale royalties
   * paid to them (Sold with `royaltyReceiver` = artist) and the proceeds they withdrew. Totals over all time; the
   * lists hold the newest `limit` of each.
   */
  artistSales(artistAddress: string, limit = 50): CatalogArtistSalesResponse {
    const artist = getAddress(artistAddress)
    const primary = this.#db
      .prepare(
        `SELECT p.* FROM chain_events e JOIN chain_events p
           ON p.chain_id = e.chain_id AND p.name = 'EditionPurchased' AND json_extract(p.args, '$.editionId') = json_extract(e.args, '$.editionId')
              AND lower(p.address) = :editions
         WHERE e.chain_id = :chain AND e.name = 'EditionCreated' AND lower(e.address) = :editions AND json_extract(e.args, '$.artist') = :artist
         ORDER BY p.block_number DESC, p.log_index DESC`,
      )
      .all({ chain: this.#chainId, editions: this.#c.editions, artist }) as unknown as EventRow[]
    const royalties = this.#db
      .prepare(
        `SELECT * FROM chain_events WHERE chain_id = :chain AND name = 'Sold' AND lower(address) = :market AND json_extract(args, '$.royaltyReceiver') = :artist
         ORDER BY block_number DESC, log_index DESC`,
      )
      .all({ chain: this.#chainId, market: this.#c.market, artist }) as unknown as EventRow[]
    const withdrawals = this.#db
      .prepare(
        `SELECT * FROM chain_events WHERE chain_id = :chain AND name = 'ProceedsWithdrawn' AND lower(address) = :editions AND json_extract(args, '$.account') = :artist
         ORDER BY block_number DESC, log_index DESC`,
      )
      .all({ chain: this.#chainId, editions: this.#c.editions, artist }) as unknown as EventRow[]
    const sum = (rows: EventRow[], key: string) => String(rows.reduce((s, r) => s + BigInt((JSON.parse(r.args) as Args)[key] as string), 0n))
    return {
      artist,
      primary_wei: sum(primary, 'paid'),
      royalties_wei: sum(royalties, 'royaltyAmount'),
      withdrawn_wei: sum(withdrawals, 'amount'),
      primary: primary.slice(0, limit).map((r) => {
        const a = JSON.parse(r.args) as Args
        return { edition_id: Number(a.editionId), buyer: a.buyer as string, first_token_id: String(a.firstTokenId), quantity: Number(a.quantity), paid_wei: String(a.paid), at: ref(r) }
      }),
      royalties: royalties.slice(0, limit).map((r) => {
        const a = JSON.parse(r.args) as Args
        return { nft: a.nft as string, token_id: String(a.tokenId), buyer: a.buyer as string, seller: a.seller as string, price_wei: String(a.price), royalty_wei: String(a.royaltyAmount), at: ref(r) }
      }),
      withdrawals: withdrawals.slice(0, limit).map((r) => {
        const a = JSON.parse(r.args) as Args
        return { to: a.to as string, amount_wei: String(a.amount), at: ref(r) }
      }),
    }
  }

  /** A node's rewards by epoch (newest first, at most `limit` epochs): receipts proven, uptime, pool, claim. */
  rewards(nodeAddress: string, limit = 200): CatalogRewardsResponse {
    const node = getAddress(nodeAddress)
    const rows = this.#db
      .prepare(
        `SELECT * FROM chain_events WHERE chain_id = :chain AND lower(address) = :rewards AND (
           (name = 'ReceiptsSubmitted' AND json_extract(args, '$.server') = :node) OR
           (name IN ('UptimeSubmitted', 'RewardClaimed') AND json_extract(args, '$.node') = :node))
         ORDER BY block_number, log_index`,
      )
      .all({ chain: this.#chainId, rewards: this.#c.rewards, node }) as unknown as EventRow[]
    type Epoch = CatalogRewardsResponse['epochs'][number]
    const epochs = new Map<number, Epoch>()
    let claimed = 0n
    for (const r of rows) {
      const a = JSON.parse(r.args) as Args
      const n = Number(a.epoch)
      let e = epochs.get(n)
      if (!e) {
        e = { epoch: n, receipts: { batches: 0, count: 0, bytes_served: '0', clients: 0 }, uptime_slots: null, pool_wei: null, claimed_wei: null, claimed_by: null }
        epochs.set(n, e)
      }
      if (r.name === 'ReceiptsSubmitted') {
        e.receipts.batches++
        e.receipts.count += Number(a.count)
        // The event carries the server's running totals for the epoch, not the batch's: the latest one is the total.
        e.receipts.bytes_served = String(a.bytesServed)
        e.receipts.clients = Number(a.clients)
      } else if (r.name === 'UptimeSubmitted') {
        e.uptime_slots = Number(a.slots)
      } else {
        e.claimed_wei = String(BigInt(e.claimed_wei ?? 0) + BigInt(a.amount as string))
        e.claimed_by = a.operator as string
        claimed += BigInt(a.amount as string)
      }
    }
    const list = [...epochs.values()].sort((x, y) => y.epoch - x.epoch).slice(0, limit)
    const pool = this.#db.prepare(
      `SELECT args FROM chain_events WHERE chain_id = ? AND name = 'EpochSettled' AND lower(address) = ? AND json_extract(args, '$.epoch') = ? LIMIT 1`,
    )
    for (const e of list) {
      const r = pool.get(this.#chainId, this.#c.rewards, e.epoch) as { args: string } | undefined
      if (r) e.pool_wei = String((JSON.parse(r.args) as Args).pool)
    }
    return { node, claimed_wei: String(claimed), epochs: list }
  }

  /** SQL for a track row's artist now: the last governance reassignment's new artist, else the registrant. */
  #currentArtistSql(t: string): string {
    return `COALESCE((SELECT json_extract(r.args, '$.newArtist') FROM chain_events r
      WHERE r.chain_id = ${t}.chain_id AND r.name = 'ArtistReassigned' AND json_extract(r.args, '$.contentHash') = json_extract(${t}.args, '$.contentHash')
        AND lower(r.address) = lower(${t}.address)
      ORDER BY r.block_number DESC, r.log_index DESC LIMIT 1), json_extract(${t}.args, '$.artist'))`
  }

  /** SQL for an edition row's cached artist now: the last `EditionArtistSynced`, else the creator. */
  #editionArtistSql(e: string): string {
    return `COALESCE((SELECT json_extract(s.args, '$.newArtist') FROM chain_events s
      WHERE s.chain_id = ${e}.chain_id AND s.name = 'EditionArtistSynced' AND json_extract(s.args, '$.editionId') = json_extract(${e}.args, '$.editionId')
        AND lower(s.address) = lower(${e}.address)
      ORDER BY s.block_number DESC, s.log_index DESC LIMIT 1), json_extract(${e}.args, '$.artist'))`
  }

  #track(r: EventRow & { current_artist: string }): CatalogTrack {
    const a = JSON.parse(r.args) as Args
    const hash = strip0x(a.contentHash as string)
    return {
      content_hash: hash,
      artist: r.current_artist,
      registered_by: a.artist as string,
      title: String(a.title),
      artist_name: String(a.artistName),
      album: String(a.album),
      size: Number(a.size),
      duration: Number(a.duration),
      manifest_root: strip0x(a.manifestRoot as string),
      metadata_uri: String(a.metadataURI),
      registered: ref(r),
      holders: this.#holders(hash),
    }
  }

  /** Events of one edition (by the `catalog_by_edition` index), oldest first. */
  #byEdition(name: string, editionId: number, limit = 1_000_000): { args: Args; row: EventRow }[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM chain_events WHERE chain_id = ? AND name = ? AND json_extract(args, '$.editionId') = ? AND lower(address) = ?
         ORDER BY block_number, log_index LIMIT ?`,
      )
      .all(this.#chainId, name, String(editionId), this.#c.editions, limit) as unknown as EventRow[]
    return rows.map((r) => ({ args: JSON.parse(r.args) as Args, row: r }))
  }

  #latest(name: string, editionId: number): Args | undefined {
    const r = this.#db
      .prepare(
        `SELECT args FROM chain_events WHERE chain_id = ? AND name = ? AND json_extract(args, '$.editionId') = ? AND lower(address) = ?
         ORDER BY block_number DESC, log_index DESC LIMIT 1`,
      )
      .get(this.#chainId, name, String(editionId), this.#c.editions) as { args: string } | undefined
    return r ? (JSON.parse(r.args) as Args) : undefined
  }

  #edition(r: EventRow & { current_artist: string }): CatalogEdition {
    const a = JSON.parse(r.args) as Args
    const id = Number(a.editionId)
    const purchases = this.#db
      .prepare(
        `SELECT json_extract(args, '$.quantity') AS quantity, json_extract(args, '$.paid') AS paid FROM chain_events
         WHERE chain_id = ? AND name = 'EditionPurchased' AND json_extract(args, '$.editionId') = ? AND lower(address) = ?`,
      )
      .all(this.#chainId, String(id), this.#c.editions) as { quantity: string; paid: string }[]
    const comments = this.#db
      .prepare(
        `SELECT count(*) AS n FROM chain_events WHERE chain_id = ? AND name = 'EditionCommented' AND json_extract(args, '$.editionId') = ? AND lower(address) = ?`,
      )
      .get(this.#chainId, String(id), this.#c.editions) as { n: number }
    const presale = this.#latest('EditionPresaleCreated', id)
    const closed = this.#latest('EditionClosed', id)
    const saleStart = Number(a.saleStart)
    return {
      edition_id: id,
      content_hash: strip0x(a.contentHash as string),
      artist: r.current_artist,
      name: String(a.name),
      price_wei: String(this.#latest('EditionPriceUpdated', id)?.price ?? a.price),
      max_supply: Number(a.maxSupply),
      minted: purchases.reduce((s, p) => s + Number(p.quantity), 0),
      revenue_wei: String(purchases.reduce((s, p) => s + BigInt(p.paid), 0n)),
      sale_start: saleStart,
      sale_end: Number(a.saleEnd),
      per_wallet_cap: Number(a.perWalletCap),
      presale: presale
        ? { merkle_root: strip0x(presale.merkleRoot as string), price_wei: String(presale.price), start: Number(presale.start), end: saleStart, per_wallet_cap: Number(presale.perWalletCap) }
        : null,
      royalty_bps: Number(a.royaltyBps),
      royalty_receiver: (this.#latest('EditionRoyaltyReceiverUpdated', id)?.receiver as string | undefined) ?? r.current_artist,
      closed: closed ? { final_supply: Number(closed.finalSupply), ended_at: Number(closed.endedAt) } : null,
      comments: comments.n,
      created: ref(r),
    }
  }
}

function ref(r: EventRow | { row: EventRow }): ChainRef {
  const row = 'row' in r ? r.row : r
  return { block: row.block_number, tx: row.tx_hash.toLowerCase(), log_index: row.log_index }
}

function strip0x(h: string): string {
  return h.replace(/^0x/, '').toLowerCase()
}

function cursorParams(cursor: string | undefined): { cb: number | null; cl: number | null } {
  if (!cursor) return { cb: null, cl: null }
  const [b, l] = cursor.split(':').map(Number)
  return { cb: b ?? null, cl: l ?? 0 }
}

function nextCursor(rows: EventRow[], limit: number): string | null {
  if (rows.length <= limit) return null
  const last = rows[limit - 1] as EventRow
  return `${last.block_number}:${last.log_index}`
}
