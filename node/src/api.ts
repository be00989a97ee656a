/**
 * Wire types of the DCMX node's HTTP API: zod schemas and their TypeScript types.
 * Depends on zod only, so the web app can import `@dcmx/node/api` in the browser.
 */
import { z } from 'zod'

import { trackRegistrationSchema } from './api/registration.ts'

export * from './api/registration.ts'

export const contentHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters')
export const peerIdSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address')
export const hostSchema = z.string().min(1).max(253).regex(/^[A-Za-z0-9.\-:]+$/, 'invalid host')
export const portSchema = z.number().int().min(1).max(65535)

/** Upper bound of hashes one peer may claim in one message. */
export const MAX_TRACKS_PER_PEER = 100_000
/** Gossip bounds per /discover message: track metadata entries, forwarded peers, hashes over all lists. */
export const MAX_GOSSIP_TRACKS = 2000
export const MAX_GOSSIP_PEERS = 64
export const MAX_GOSSIP_HASHES = 200_000
/** Issue 10: list-digest prefixes one /discover request may say it holds, and hashes it may ask metadata for. */
export const MAX_GOSSIP_HAVE = 4096
export const MAX_GOSSIP_WANT = 256
/** The first 16 hex characters (64 bits) of a `tracks_digest`: how `have` names a list compactly. */
export const digestPrefixSchema = z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex characters (a digest prefix)')
const signatureSchema = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte signature')

/** A peer's signed identity record: the seed's `peer` object plus `timestamp` and `signature`. */
export const signedPeerSchema = z.object({
  peer_id: peerIdSchema,
  host: hostSchema,
  port: portSchema,
  timestamp: z.number().int().nonnegative(),
  /** SHA-256 over the sorted 32-byte hashes of the peer's `available_tracks`: the signature binds the list. */
  tracks_digest: contentHashSchema,
  signature: signatureSchema,
})
export type SignedPeer = z.infer<typeof signedPeerSchema>

/** The seed's Track (section 5.2) plus the manifest root. */
export const trackSchema = z.object({
  title: z.string().min(1).max(300),
  artist: z.string().min(1).max(300),
  album: z
    .string()
    .max(300)
    .nullish()
    .transform((v) => v ?? null),
  duration: z.number().int().nonnegative().max(10 * 24 * 3600).default(0),
  content_hash: contentHashSchema,
  size: z.number().int().nonnegative(),
  manifest_root: contentHashSchema.nullish().transform((v) => v ?? null),
  created_at: z.string().max(40).default(() => new Date().toISOString()),
  /** IPFS root CID (UnixFS, CIDv1) of the audio, set by the node that stores it; informative in gossip. */
  cid: z.string().max(128).optional(),
  /** Media type detected from the audio's first bytes (set by the node that stores it). */
  media_type: z.string().max(100).optional(),
  /** On-chain registration state, on the node that registers the track. */
  registration: trackRegistrationSchema.optional(),
  /** The node that first stored the bytes and signed this metadata (see src/mesh/track-metadata.ts). */
  uploader: peerIdSchema.optional(),
  uploader_signature: signatureSchema.optional(),
})
export type Track = z.output<typeof trackSchema>

export const MANIFEST_VERSION = 1

/**
 * A manifest lists the SHA-256 of every `chunkSize` slice of the content (the last one may be
 * shorter). `root` = SHA-256 over the concatenated 32-byte chunk hashes, in order; it is what the
 * on-chain TrackRegistry stores as `manifestRoot` next to `contentHash`.
 */
export const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  contentHash: contentHashSchema,
  size: z.number().int().nonnegative(),
  chunkSize: z
    .number()
    .int()
    .min(1024)
    .max(64 << 20),
  chunks: z.array(contentHashSchema),
  root: contentHashSchema,
})
export type Manifest = z.infer<typeof manifestSchema>

/** POST /discover request: Appendix B's `{peer}` with the signature, plus optional gossip. */
export const discoverRequestSchema = z.object({
  peer: signedPeerSchema.extend({
    available_tracks: z.array(contentHashSchema).max(MAX_TRACKS_PER_PEER).optional(),
  }),
  tracks: z.array(trackSchema).max(MAX_GOSSIP_TRACKS).optional(),
  /** Issue 10: the callee's `tracks_digest` whose list the caller holds (the callee then leaves its own list out). */
  known_digest: contentHashSchema.optional(),
  /** Issue 10: prefixes of the list digests the caller holds (forwarded records with these lists come without them). */
  have: z.array(digestPrefixSchema).max(MAX_GOSSIP_HAVE).optional(),
  /** Issue 10: hashes whose signed metadata the caller lacks (the callee answers with what it has in `tracks`). */
  want: z.array(contentHashSchema).max(MAX_GOSSIP_WANT).optional(),
})
export type DiscoverRequest = z.input<typeof discoverRequestSchema>

export const gossipPeerSchema = signedPeerSchema.extend({
  available_tracks: z.array(contentHashSchema).max(MAX_TRACKS_PER_PEER),
})
export type GossipPeer = z.infer<typeof gossipPeerSchema>

/** POST /discover response: Appendix B's `{peer, tracks}` plus `peers` (signed peers-of-peers). */
export const discoverResponseSchema = z.object({
  /** `available_tracks` is left out (issue 10) only when the request's `known_digest` was this record's digest. */
  peer: gossipPeerSchema.extend({ available_tracks: gossipPeerSchema.shape.available_tracks.optional() }),
  tracks: z.array(trackSchema).max(MAX_GOSSIP_TRACKS),
  peers: z.array(gossipPeerSchema).max(MAX_GOSSIP_PEERS).default([]),
  /** Issue 10: the caller's `tracks_digest` whose list the callee now holds (absent: none; send it next time). */
  known_digest: contentHashSchema.optional(),
}).refine((r) => r.peers.reduce((n, p) => n + p.available_tracks.length, r.peer.available_tracks?.length ?? 0) <= MAX_GOSSIP_HASHES, 'too many hashes in one message')
export type DiscoverResponse = z.output<typeof discoverResponseSchema>

export const peerStateSchema = z.enum(['unknown', 'connected', 'active', 'retry', 'disconnected'])
export type PeerState = z.infer<typeof peerStateSchema>

export const peerInfoSchema = z.object({
  peer_id: peerIdSchema,
  host: z.string(),
  port: z.number(),
  state: peerStateSchema,
  failures: z.number(),
  score: z.number(),
  last_seen: z.string().nullable(),
  available_tracks: z.array(contentHashSchema),
})
export type PeerInfo = z.infer<typeof peerInfoSchema>

export const pingResponseSchema = z.object({ status: z.literal('ok'), peer_id: peerIdSchema, uptime_seconds: z.number() })
export type PingResponse = z.infer<typeof pingResponseSchema>

export const addTrackQuerySchema = z.object({
  title: z.string().min(1).max(300),
  artist: z.string().min(1).max(300),
  album: z.string().max(300).optional(),
  duration: z.coerce.number().int().nonnegative().max(10 * 24 * 3600).optional(),
})
export type AddTrackQuery = z.infer<typeof addTrackQuerySchema>

export const addTrackResponseSchema = z.object({ track: trackSchema, created: z.boolean() })
export type AddTrackResponse = z.infer<typeof addTrackResponseSchema>

export const statsResponseSchema = z.object({
  peer_id: peerIdSchema,
  host: z.string(),
  port: z.number(),
  uptime_seconds: z.number(),
  peers_known: z.number(),
  peers_connected: z.number(),
  tracks_local: z.number(),
  tracks_known: z.number(),
  content_uploaded_bytes: z.number(),
  content_downloaded_bytes: z.number(),
  gossip_rounds: z.number(),
  /** DHT content routing (present when the node runs with --dht): its UDP address and ed25519 public key. */
  dht: z.object({ host: z.string(), port: z.number(), public_key: z.string(), server: z.boolean() }).optional(),
  /** The node's wallet on chain (present when the node runs with an RPC URL). Amounts in wei as decimal strings. */
  chain: z
    .object({
      address: peerIdSchema.optional(),
      chain_id: z.number().optional(),
      eth_wei: z.string().optional(),
      dcmx_wei: z.string().optional(),
      stake_wei: z.string().optional(),
      operator: peerIdSchema.nullable().optional(),
      head_block: z.number().optional(),
      indexed_block: z.number().optional(),
      outbox_open: z.number().optional(),
      outbox_oldest_age_ms: z.number().optional(),
      chain_error: z.string().optional(),
    })
    .optional(),
})
export type StatsResponse = z.infer<typeof statsResponseSchema>

export const auditQuerySchema = z.object({
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  format: z.enum(['json', 'csv']).default('json'),
})

/** Local API (127.0.0.1 only, operator token): POST /local/<command> with a JSON body. */
export const localAddFileSchema = z.object({
  path: z.string().min(1).max(4096),
  title: z.string().min(1).max(300),
  artist: z.string().min(1).max(300),
  album: z.string().max(300).optional(),
  duration: z.number().int().nonnegative().optional(),
})
export const localHashSchema = z.object({ content_hash: contentHashSchema })
export const localContentInfoSchema = z.object({ content_hash: contentHashSchema.optional() })
export const localRequestFileSchema = z.object({ content_hash: contentHashSchema, path: z.string().min(1).max(4096).optional() })
/** POST /local/find_providers: a DHT lookup (the node must run with --dht); `max` holders at most (1 = the first). */
export const localFindProvidersSchema = z.object({ content_hash: contentHashSchema, max: z.number().int().min(1).max(20).default(5) })
export const localConnectSchema = z.object({ host: hostSchema, port: portSchema })

export const errorResponseSchema = z.object({ error: z.string(), message: z.string(), details: z.string().optional() })
export type ErrorResponse = z.infer<typeof errorResponseSchema>
export * from './api/receipts.ts'
export * from './api/catalog.ts'
export * from './api/stake.ts'
export * from './api/uploads.ts'
