import { timingSafeEqual } from 'node:crypto'

import type { FastifyRequest } from 'fastify'
import { verifyMessage, type Hex } from 'viem'
import { z } from 'zod'

import { UPLOAD_AUTH_MAX_SEC, UPLOAD_HEADERS, uploadAuthMessage } from '../api/uploads.ts'
import { ForbiddenError, QuotaExceededError, UnauthorizedError, ValidationError } from '../core/errors.ts'

const DAY_MS = 24 * 3600 * 1000
/** Every upload is charged at least this much, so a budget in bytes also bounds the number of tracks. */
export const MIN_UPLOAD_CHARGE = 64 * 1024

const headersSchema = z.object({
  wallet: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address'),
  expires: z.coerce.number().int().positive(),
  // 65 bytes from a key; a smart wallet's (ERC-1271, ERC-6492) may be longer.
  signature: z.string().regex(/^0x(?:[0-9a-fA-F]{2}){65,2048}$/, 'expected a signature of 65 to 2048 bytes'),
})

export interface UploadAuthInit {
  /** Operator token (always accepted). */
  apiToken: string
  /** This node's wallet (the message must name it, so a signature for another node is useless here). */
  peerId: string
  /** Bytes one wallet may upload per 24 h; 0 turns wallet-signed uploads off. */
  walletBytesPerDay: number
  /** Bytes all wallets together may upload per 24 h (bounds a swarm of fresh wallets). */
  totalBytesPerDay: number
  /** Uploads one wallet may make per 24 h. */
  walletUploadsPerDay: number
  /** Uploads all wallets together may make per 24 h. */
  totalUploadsPerDay: number
  /** Checks a signature the wallet's key did not make as a smart wallet's (ERC-1271/6492, through the chain). */
  verifyContractSignature?: (args: { address: Hex; message: string; signature: Hex }) => Promise<boolean>
  now?: () => number
}

/** Who sent an upload: the operator, or the wallet that signed for it (and what it was charged). */
export type Uploader = { kind: 'operator' } | { kind: 'wallet'; wallet: `0x${string}`; charged: number }

type Usage = { since: number; bytes: number; uploads: number }

/**
 * Who may upload: the operator (bearer token), or any wallet that signs `uploadAuthMessage` for this node, within
 * its own and the node's daily budgets (bytes and uploads). A wallet upload is charged by its declared
 * Content-Length (at least MIN_UPLOAD_CHARGE) before a byte is read, as Node's HTTP parser never lets a body run
 * past it; what was not stored is given back when the request ends (`keep`, `release`).
 */
export function createUploadAuth(init: UploadAuthInit) {
  const expected = Buffer.from(init.apiToken)
  const now = init.now ?? Date.now
  const used = new Map<string, Usage>()
  let total: Usage = { since: now(), bytes: 0, uploads: 0 }
  const charges = new WeakMap<FastifyRequest, Uploader>()
  const kept = new WeakSet<FastifyRequest>()

  function roll(): void {
    const t = now()
    if (t - total.since < DAY_MS) return
    total = { since: t, bytes: 0, uploads: 0 }
    used.clear()
  }

  function charge(wallet: string, bytes: number): void {
    roll()
    const mine = used.get(wallet) ?? { since: total.since, bytes: 0, uploads: 0 }
    if (mine.uploads + 1 > init.walletUploadsPerDay) throw new QuotaExceededError(`This wallet's uploads to this node are used up for today (${init.walletUploadsPerDay} per 24 h)`)
    if (mine.bytes + bytes > init.walletBytesPerDay) throw new QuotaExceededError(`This wallet's upload budget on this node is used up (${init.walletBytesPerDay} bytes per 24 h)`)
    if (total.uploads + 1 > init.totalUploadsPerDay || total.bytes + bytes > init.totalBytesPerDay) {
      throw new QuotaExceededError('This node accepts no more wallet-signed uploads today')
    }
    mine.bytes += bytes
    mine.uploads += 1
    total.bytes += bytes
    total.uploads += 1
    used.set(wallet, mine)
  }

  async function authorize(req: FastifyRequest): Promise<void> {
    const h = req.headers.authorization
    if (h !== undefined) {
      const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '')
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        charges.set(req, { kind: 'operator' })
        return
      }
      throw new UnauthorizedError('Operator token required', { details: 'send Authorization: Bearer <token from <data-dir>/api-token>' })
    }
    if (req.headers[UPLOAD_HEADERS.signature] === undefined) {
      throw new UnauthorizedError('Upload authorization required', {
        details: `sign "${uploadAuthMessage(init.peerId, '<wallet>', 0).replace('expires: 0', 'expires: <unix seconds>')}" and send ${Object.values(UPLOAD_HEADERS).join(', ')}; or the operator token`,
      })
    }
    if (init.walletBytesPerDay === 0) throw new ForbiddenError('This node does not accept wallet-signed uploads')
    // Cheap checks before the signature's elliptic-curve work.
    const declared = Number(req.headers['content-length'])
    if (!Number.isSafeInteger(declared) || declared <= 0) throw new ValidationError('A wallet-signed upload must declare its Content-Length')
    const parsed = headersSchema.safeParse({
      wallet: req.headers[UPLOAD_HEADERS.wallet],
      expires: req.headers[UPLOAD_HEADERS.expires],
      signature: req.headers[UPLOAD_HEADERS.signature],
    })
    if (!parsed.success) throw new ValidationError(`Invalid upload authorization: ${parsed.error.issues[0]?.message}`)
    const { wallet, expires, signature } = parsed.data
    const nowSec = Math.floor(now() / 1000)
    if (expires <= nowSec) throw new UnauthorizedError('The upload authorization has expired')
    if (expires > nowSec + UPLOAD_AUTH_MAX_SEC) throw new UnauthorizedError(`An upload authorization may last at most ${UPLOAD_AUTH_MAX_SEC} s`)
    const signed = { address: wallet as Hex, message: uploadAuthMessage(init.peerId, wallet, expires), signature: signature as Hex }
    let ok = signature.length === 132 && (await verifyMessage(signed).catch(() => false))
    if (!ok && init.verifyContractSignature) ok = await init.verifyContractSignature(signed).catch(() => false)
    if (!ok) throw new UnauthorizedError('The upload authorization is not signed by that wallet for this node')
    const key = wallet.toLowerCase() as `0x${string}`
    const charged = Math.max(declared, MIN_UPLOAD_CHARGE)
    charge(key, charged)
    charges.set(req, { kind: 'wallet', wallet: key, charged })
  }

  /** The upload was stored: it keeps `bytes` of its charge (the rest is given back). */
  function keep(req: FastifyRequest, bytes: number): void {
    const c = charges.get(req)
    if (c?.kind !== 'wallet') return
    giveBack(c, Math.max(0, c.charged - bytes))
    kept.add(req)
  }

  /** When the request ends: a wallet upload that stored nothing (refused, aborted, a duplicate, a bad query or body
   * rejected before the handler) is refunded in full. */
  function release(req: FastifyRequest): void {
    const c = charges.get(req)
    charges.delete(req)
    if (c?.kind !== 'wallet' || kept.has(req)) return
    giveBack(c, c.charged)
    const mine = used.get(c.wallet)
    if (mine) mine.uploads = Math.max(0, mine.uploads - 1)
    total.uploads = Math.max(0, total.uploads - 1)
  }

  function giveBack(c: { wallet: string; charged: number }, bytes: number): void {
    c.charged -= bytes
    const mine = used.get(c.wallet)
    if (mine) mine.bytes = Math.max(0, mine.bytes - bytes)
    total.bytes = Math.max(0, total.bytes - bytes)
  }

  return { authorize, keep, release, uploaderOf: (req: FastifyRequest): Uploader | undefined => charges.get(req) }
}
