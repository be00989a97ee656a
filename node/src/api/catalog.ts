/**
 * Wire types of the catalog API (`GET /catalog/...`): the on-chain catalog as the node indexed it. zod only, so the
 * web app imports these from `@dcmx/node/api` and parses every response with them.
 *
 * Conventions: content hashes and manifest roots are 64 lowercase hex characters without `0x` (as everywhere in
 * the node's API); addresses are checksummed `0x` addresses; wei amounts and token ids are decimal strings (they
 * exceed 2^53); times are unix seconds. Lists are paged: `limit` (1..200, default 50) and the `next_cursor` of the
 * previous page (null on the last page).
 */
import { z } from 'zod'

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters')
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address')
const txHash = z.string().regex(/^0x[0-9a-f]{64}$/, 'expected a 32-byte 0x hash')
const decimal = z.string().regex(/^[0-9]{1,78}$/, 'expected a non-negative decimal integer')
/** A content hash in a query or path: with or without `0x`, any case; normalised to the API's form. */
const hashParam = z
  .string()
  .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'expected a 32-byte hex hash')
  .transform((v) => v.replace(/^0x/, '').toLowerCase())
const cursorParam = z.string().regex(/^[0-9]{1,15}(:[0-9]{1,15}){1,2}$/, 'expected a cursor from next_cursor')
const limitParam = z.coerce.number().int().min(1).max(200).default(50)
const boolParam = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')

export const CATALOG_MAX_LIMIT = 200

/** Where and when an event was recorded on chain. */
export const chainRefSchema = z.object({ block: z.number().int().nonnegative(), tx: txHash, log_index: z.number().int().nonnegative() })
export type ChainRef = z.infer<typeof chainRefSchema>

/** A mesh node that holds the track's bytes (this node itself when `self`). */
export const catalogHolderSchema = z.object({ peer_id: address, host: z.string(), port: z.number().int(), self: z.boolean() })
export type CatalogHolder = z.infer<typeof catalogHolderSchema>

export const catalogTrackSchema = z.object({
  content_hash: hex64,
  /** The track's artist now (after any governance reassignment). */
  artist: address,
  /** The wallet that registered it, when since reassigned. */
  registered_by: address,
  title: z.string(),
  artist_name: z.string(),
  album: z.string(),
  size: z.number().int().nonnegative(),
  duration: z.number().int().nonnegative(),
  manifest_root: hex64,
  metadata_uri: z.string(),
  registered: chainRefSchema,
  holders: z.array(catalogHolderSchema),
})
export type CatalogTrack = z.infer<typeof catalogTrackSchema>

export const catalogTracksQuerySchema = z.object({
  artist: address.optional(),
  /** Case-insensitive substring of the title or the artist name. */
  q: z.string().min(1).max(100).optional(),
  limit: limitParam,
  cursor: cursorParam.optional(),
})
export type CatalogTracksQuery = z.output<typeof catalogTracksQuerySchema>

export const catalogTracksResponseSchema = z.object({ tracks: z.array(catalogTrackSchema), next_cursor: z.string().nullable() })
export type CatalogTracksResponse = z.infer<typeof catalogTracksResponseSchema>

export const catalogHashParamsSchema = z.object({ hash: hashParam })

export const catalogPresaleSchema = z.object({
  merkle_root: hex64,
  price_wei: decimal,
  /** Opens at `start`, closes when the public sale opens (`sale_start`). */
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  per_wallet_cap: z.number().int().nonnegative(),
})

export const catalogEditionSchema = z.object({
  edition_id: z.number().int().positive(),
  content_hash: hex64,
  artist: address,
  name: z.string(),
  price_wei: decimal,
  max_supply: z.number().int().nonnegative(),
  /** Tokens minted (every mint is a primary sale). */
  minted: z.number().int().nonnegative(),
  /** Primary revenue in wei (sum of what buyers paid). */
  revenue_wei: decimal,
  sale_start: z.number().int().nonnegative(),
  /** 0: no end. */
  sale_end: z.number().int().nonnegative(),
  per_wallet_cap: z.number().int().nonnegative(),
  presale: catalogPresaleSchema.nullable(),
  royalty_bps: z.number().int().nonnegative(),
  royalty_receiver: address,
  /** Set once the artist ended the sale (EditionClosed): supply final at `final_supply`. */
  closed: z.object({ final_supply: z.number().int().nonnegative(), ended_at: z.number().int().nonnegative() }).nullable(),
  comments: z.number().int().nonnegative(),
  created: chainRefSchema,
})
export type CatalogEdition = z.infer<typeof catalogEditionSchema>

export const catalogEditionsQuerySchema = z.object({
  artist: address.optional(),
  contentHash: hashParam.optional(),
  limit: limitParam,
  cursor: cursorParam.optional(),
})
export type CatalogEditionsQuery = z.output<typeof catalogEditionsQuerySchema>

export const catalogEditionsResponseSchema = z.object({ editions: z.array(catalogEditionSchema), next_cursor: z.string().nullable() })
export type CatalogEditionsResponse = z.infer<typeof catalogEditionsResponseSchema>

export const catalogTrackResponseSchema = z.object({ track: catalogTrackSchema, editions: z.array(catalogEditionSchema) })
export type CatalogTrackResponse = z.infer<typeof catalogTrackResponseSchema>

export const catalogEditionParamsSchema = z.object({ id: z.coerce.number().int().positive().max(2 ** 31 - 1) })

export const catalogCollectorSchema = z.object({ serial: z.number().int().positive(), token_id: decimal, owner: address })
export const catalogCommentSchema = z.object({
  buyer: address,
  first_token_id: decimal,
  quantity: z.number().int().positive(),
  comment: z.string(),
  at: chainRefSchema,
})

export const catalogEditionResponseSchema = z.object({
  edition: catalogEditionSchema,
  /** Owners by serial, 1..minted (at most `limit`, from `cursor` = the last serial shown). */
  collectors: z.array(catalogCollectorSchema),
  next_cursor: z.string().nullable(),
  comments: z.array(catalogCommentSchema),
})
export type CatalogEditionResponse = z.infer<typeof catalogEditionResponseSchema>

export const catalogEditionQuerySchema = z.object({ limit: limitParam, cursor: z.string().regex(/^[0-9]{1,10}$/).optional() })

export const catalogAddressParamsSchema = z.object({ address })

export const catalogOwnedTokenSchema = z.object({ token_id: decimal, edition_id: z.number().int().positive(), serial: z.number().int().positive(), content_hash: hex64, name: z.string() })
export const catalogOwnerResponseSchema = z.object({ owner: address, tokens: z.array(catalogOwnedTokenSchema) })
export type CatalogOwnerResponse = z.infer<typeof catalogOwnerResponseSchema>

export const listingStatusSchema = z.enum(['active', 'sold', 'cancelled', 'expired', 'counter_moved', 'transferred', 'replaced'])
export type ListingStatus = z.infer<typeof listingStatusSchema>

export const catalogListingSchema = z.object({
  nft: address,
  token_id: decimal,
  seller: address,
  price_wei: decimal,
  min_proceeds_wei: decimal,
  expires_at: z.number().int().nonnegative(),
  counter: z.number().int().nonnegative(),
  active: z.boolean(),
  /** Why it is inactive (the first that applies: sold, cancelled, replaced by a relisting, the token transferred
   * since, the seller's counter moved, expired), or `active`. */
  status: listingStatusSchema,
  listed: chainRefSchema,
})
export type CatalogListing = z.infer<typeof catalogListingSchema>

export const catalogListingsQuerySchema = z.object({
  nft: address.optional(),
  seller: address.optional(),
  active: boolParam.optional(),
  limit: limitParam,
  cursor: cursorParam.optional(),
})
export type CatalogListingsQuery = z.output<typeof catalogListingsQuerySchema>

export const catalogListingsResponseSchema = z.object({ listings: z.array(catalogListingSchema), next_cursor: z.string().nullable() })
export type CatalogListingsResponse = z.infer<typeof catalogListingsResponseSchema>

export const catalogArtistSalesResponseSchema = z.object({
  artist: address,
  /** Totals over all time (the lists below are the newest `limit`). */
  primary_wei: decimal,
  royalties_wei: decimal,
  withdrawn_wei: decimal,
  primary: z.array(
    z.object({ edition_id: z.number().int().positive(), buyer: address, first_token_id: decimal, quantity: z.number().int().positive(), paid_wei: decimal, at: chainRefSchema }),
  ),
  royalties: z.array(z.object({ nft: address, token_id: decimal, buyer: address, seller: address, price_wei: decimal, royalty_wei: decimal, at: chainRefSchema })),
  withdrawals: z.array(z.object({ to: address, amount_wei: decimal, at: chainRefSchema })),
})
export type CatalogArtistSalesResponse = z.infer<typeof catalogArtistSalesResponseSchema>

export const catalogRewardEpochSchema = z.object({
  epoch: z.number().int().nonnegative(),
  receipts: z.object({ batches: z.number().int().nonnegative(), count: z.number().int().nonnegative(), bytes_served: decimal, clients: z.number().int().nonnegative() }),
  /** Doubly attested uptime slots (of 256), the last submission's; null: none submitted. */
  uptime_slots: z.number().int().nonnegative().nullable(),
  /** The epoch's minted pool once settled. */
  pool_wei: decimal.nullable(),
  claimed_wei: decimal.nullable(),
  claimed_by: address.nullable(),
})
export const catalogRewardsResponseSchema = z.object({ node: address, claimed_wei: decimal, epochs: z.array(catalogRewardEpochSchema) })
export type CatalogRewardsResponse = z.infer<typeof catalogRewardsResponseSchema>

export const catalogSalesQuerySchema = z.object({ limit: limitParam })
