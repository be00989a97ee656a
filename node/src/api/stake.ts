import { z } from 'zod'

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address')

/** POST /stake (operator token): stake the node wallet's DCMX for the node itself. `amount` in wei. */
export const stakeRequestSchema = z.object({
  amount: z.string().regex(/^[1-9][0-9]{0,40}$/, 'expected a positive integer amount in wei'),
  /** The public endpoint logged at registration (default: the node's advertised URL). */
  endpoint: z.string().min(1).max(300).optional(),
  /** Makes a retried request idempotent (default: a fresh one). */
  request_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
})
export type StakeRequest = z.infer<typeof stakeRequestSchema>

export const stakeResponseSchema = z.object({ node: addressSchema, operator: addressSchema, jobs: z.array(z.string()) })
export type StakeResponse = z.infer<typeof stakeResponseSchema>

/** GET /stake/signature?operator=0x.. (operator token): the node key's registration signature for that wallet. */
export const stakeSignatureQuerySchema = z.object({ operator: addressSchema })
export const stakeSignatureResponseSchema = z.object({ node: addressSchema, operator: addressSchema, signature: z.string() })
export type StakeSignatureResponse = z.infer<typeof stakeSignatureResponseSchema>
