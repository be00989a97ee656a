import { z } from 'zod'

/** Header a client node sends on GET /content to be served against its receipts (see node/README.md). */
export const CLIENT_AUTH_HEADER = 'x-dcmx-client'
/** Header a metering server answers on GET /content: its window in bytes (the client signs at half of it). */
export const WINDOW_HEADER = 'x-dcmx-window'

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/)
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/)
/** A uint64 the node keeps as a JS number: bounded to 2^53 - 1 so it can never round (a rounded nonce would break the
 * signature on chain). */
const uint = z.string().regex(/^[0-9]{1,16}$/).refine((v) => BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER), 'at most 2^53 - 1')

/** A client's cumulative EIP-712 `Receipt` for a server, with its 65-byte signature (uint64 fields as strings). */
export const signedReceiptSchema = z.object({
  server: address,
  client: address,
  epoch: z.number().int().min(0).max(2 ** 32 - 1),
  cumulativeBytes: uint,
  servedRoot: bytes32,
  nonce: uint,
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
})
export type SignedReceipt = z.infer<typeof signedReceiptSchema>

/**
 * POST /receipts: the receipt and the content hashes it covers, ascending and distinct; `servedRoot` MUST equal
 * `keccak256(concat(contents))` (see `servedRootOf`).
 */
export const receiptSubmissionSchema = z.object({
  receipt: signedReceiptSchema,
  contents: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1).max(10_000),
})
export type ReceiptSubmission = z.infer<typeof receiptSubmissionSchema>

export const receiptAcceptedSchema = z.object({
  accepted: z.literal(true),
  epoch: z.number().int(),
  cumulativeBytes: uint,
  /** Bytes this server may send the client now beyond what it has sent (its window). */
  windowBytes: uint,
})
export type ReceiptAccepted = z.infer<typeof receiptAcceptedSchema>

/** POST /receipts/stream: one request carries many receipts, one `ReceiptSubmission` JSON per line (see node/README.md). */
export const RECEIPT_STREAM_TYPE = 'application/x-ndjson'
/** The longest line the stream takes (a submission listing the most contents fits). */
export const RECEIPT_STREAM_MAX_LINE = 1 << 20
/** The answer to each line, in order, one JSON per line: the receipt taken, or why not (the status POST /receipts gives). */
export const receiptStreamAnswerSchema = z.union([
  z.object({ ok: z.literal(true), result: receiptAcceptedSchema }),
  z.object({ ok: z.literal(false), status: z.number().int().min(400).max(599), error: z.string().max(1000) }),
])
export type ReceiptStreamAnswer = z.infer<typeof receiptStreamAnswerSchema>

/** POST /uptime: a peer's EIP-712 `UptimeAttestation` for this node. */
export const uptimeAttestationSchema = z.object({
  node: address,
  peer: address,
  epoch: z.number().int().min(0).max(2 ** 32 - 1),
  slots: z.string().regex(/^0x[0-9a-fA-F]{1,64}$/),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
})
export type UptimeAttestationMessage = z.infer<typeof uptimeAttestationSchema>

/** GET /rewards: this node's rewards by epoch (operator view). */
export const rewardsEpochSchema = z.object({
  epoch: z.number().int(),
  clients: z.number().int(),
  bytes_held: z.string(),
  status: z.string(),
  jobs: z.array(z.object({ key: z.string(), status: z.string(), result: z.string().nullable() })),
})
export const rewardsStatusSchema = z.object({
  node: address,
  current_epoch: z.number().int(),
  auto: z.boolean(),
  epochs: z.array(rewardsEpochSchema),
  /** Metering counters since start: receipts accepted/refused (server), signed (client), waits at the window. */
  metering: z
    .object({ accepted: z.number(), refused: z.number(), signed: z.number(), cut_off: z.number(), window_waits: z.number(), window_wait_ms: z.number(), accept_ms: z.number() })
    .optional(),
})
export type RewardsStatus = z.infer<typeof rewardsStatusSchema>
export const rewardsActionSchema = z.object({ epoch: z.number().int().min(0).optional() })
/** POST /rewards/submit and /rewards/claim answer: the epoch acted on and the outbox jobs queued for it. */
export const rewardsActionResponseSchema = z.object({ epoch: z.number().int(), jobs: z.array(z.string()) })
export type RewardsActionResponse = z.infer<typeof rewardsActionResponseSchema>
