/**
 * Wire types of on-chain registration (POST /tracks/:hash/registration, the two local commands, the `registration`
 * object of a Track). Zod only: the web app imports these through `@dcmx/node/api`.
 */
import { z } from 'zod'

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32 bytes as 0x-prefixed hex')
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address')
const txHash = hex32

export const registrationStateSchema = z.enum(['pending', 'committed', 'registered', 'failed'])
export type RegistrationState = z.infer<typeof registrationStateSchema>

/** What `/tracks` shows of a track's registration (never the salt nor the signature). */
export const trackRegistrationSchema = z.object({
  state: registrationStateSchema,
  /** `relayed`: the artist signed, the node relays (registerWithSig); `operator`: the node is the artist. */
  mode: z.enum(['relayed', 'operator']),
  artist: address,
  /** Commit rounds so far (a new round, with a fresh salt, when a commitment expired unrevealed). */
  round: z.number().int().positive(),
  /** Decoded revert reason when `failed` (e.g. `TrackAlreadyRegistered(0x.., 0x..)`). */
  reason: z.string().nullable(),
  commit_tx: txHash.nullable(),
  register_tx: txHash.nullable(),
  updated_at: z.string(),
})
export type TrackRegistration = z.infer<typeof trackRegistrationSchema>

/**
 * The registration's display fields. `manifest_root`, `size` and the content hash come from the node's own copy of
 * the track; when given they must match it.
 */
export const registrationFieldsSchema = z.object({
  manifest_root: hex32.optional(),
  size: z.number().int().positive().optional(),
  duration: z.number().int().nonnegative().max(2 ** 32 - 1).optional(),
  title: z.string().max(300).optional(),
  artist_name: z.string().max(300).optional(),
  album: z.string().max(300).optional(),
  metadata_uri: z.string().max(2048).optional(),
})

/**
 * POST /tracks/:hash/registration. With `signature` (+ `artist`, `deadline`): the artist signed the EIP-712
 * `Register` message (`typedData.register` of @dcmx/deployments, nonce = TrackRegistry.nonces(artist)) and the node
 * relays it; no operator token needed, the signature is the authorization. Without: operator token required, and the
 * node registers the track with itself as the artist.
 */
export const registrationRequestSchema = registrationFieldsSchema.extend({
  artist: address.optional(),
  deadline: z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,30}$/)]).optional(),
  signature: z.string().regex(/^0x([0-9a-fA-F]{2})+$/).max(2 + 2 * 4096).optional(),
})
export type RegistrationRequest = z.infer<typeof registrationRequestSchema>

export const registrationResponseSchema = z.object({
  content_hash: z.string(),
  registration: trackRegistrationSchema,
  /** False when this request found the registration already under way or done (nothing new queued). */
  created: z.boolean(),
})
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>

/** POST /local/register_file_on_chain: registers a local file (signed by its artist, or as the operator). */
export const localRegisterFileSchema = registrationRequestSchema.extend({
  content_hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters'),
  /** Wait until the registration is settled (registered or failed) before answering. */
  wait: z.boolean().default(false),
})

const fieldCheck = z.object({ local: z.string().nullable(), chain: z.string().nullable(), match: z.boolean() })

/** POST /local/verify_file_on_chain answer: the on-chain record against the local file, field by field. */
export const verifyFileResponseSchema = z.object({
  content_hash: z.string(),
  registered: z.boolean(),
  /** True when the track is registered and every field matches. */
  match: z.boolean(),
  fields: z.object({
    content_hash: fieldCheck,
    manifest_root: fieldCheck,
    size: fieldCheck,
    artist: fieldCheck,
  }),
  on_chain: z
    .object({ artist: address, size: z.string(), duration: z.number(), manifest_root: hex32 })
    .nullable(),
})
export type VerifyFileResponse = z.infer<typeof verifyFileResponseSchema>
