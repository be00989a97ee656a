import { timingSafeEqual } from 'node:crypto'

import type { FastifyRequest } from 'fastify'
import { verifyMessage, type Hex } from 'viem'
import { z } from 'zod'

import { UPLOAD_AUTH_MAX_SEC, UPLOAD_HEADERS, uploadAuthMessage } from '../api/uploads.ts'
import { ForbiddenError, QuotaExceededError, UnauthorizedError, ValidationError } from '../core/errors.ts'

const DAY_MS = 24 * 3600 * 1000

const headersSchema = z.object({
  wallet: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address'),
  expires: z.coerce.number().int().positive(),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte signature'),
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
  now?: () => number
}

/**
 * Who may upload: the operator (bearer token), or any wallet that signs `uploadAuthMessage` for this node, within
 * its own and the node's daily byte budgets. The budgets are charged by the declared Content-Length before a byte
 * is read (Node's HTTP parser never lets a body run past it), so a refused upload costs no disk.
 */
export function createUploadAuth(init: UploadAuthInit) {
  const expected = Buffer.from(init.apiToken)
  const now = init.now ?? Date.now
  const used = new Map<string, { since: number; bytes: number }>()
  let total = { since: now(), bytes: 0 }

  function charge(wallet: string, bytes: number): void {
    const t = now()
    if (t - total.since >= DAY_MS) total = { since: t, bytes: 0 }
    for (const [k, v] of used) if (t - v.since >= DAY_MS) used.delete(k)
    const mine = used.get(wallet) ?? { since: t, bytes: 0 }
    if (mine.bytes + bytes > init.walletBytesPerDay) {
      throw new QuotaExceededError(`This wallet's upload budget on this node is used up (${init.walletBytesPerDay} bytes per 24 h)`)
    }
    if (total.bytes + bytes > init.totalBytesPerDay) {
      throw new QuotaExceededError('This node accepts no more wallet-signed uploads today')
    }
    mine.bytes += bytes
    total.bytes += bytes
    used.set(wallet, mine)
  }

  return async (req: FastifyRequest): Promise<void> => {
    const h = req.headers.authorization
    if (h !== undefined) {
      const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '')
      if (given.length === expected.length && timingSafeEqual(given, expected)) return
      throw new UnauthorizedError('Operator token required', { details: 'send Authorization: Bearer <token from <data-dir>/api-token>' })
    }
    if (req.headers[UPLOAD_HEADERS.signature] === undefined) {
      throw new UnauthorizedError('Upload authorization required', {
        details: `sign "${uploadAuthMessage(init.peerId, '<wallet>', 0).replace('expires: 0', 'expires: <unix seconds>')}" and send ${Object.values(UPLOAD_HEADERS).join(', ')}; or the operator token`,
      })
    }
    if (init.walletBytesPerDay === 0) throw new ForbiddenError('This node does not accept wallet-signed uploads')
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
    const ok = await verifyMessage({ address: wallet as Hex, message: uploadAuthMessage(init.peerId, wallet, expires), signature: signature as Hex }).catch(() => false)
    if (!ok) throw new UnauthorizedError('The upload authorization is not signed by that wallet for this node')
    const declared = Number(req.headers['content-length'])
    if (!Number.isSafeInteger(declared) || declared <= 0) throw new ValidationError('A wallet-signed upload must declare its Content-Length')
    charge(wallet.toLowerCase(), declared)
  }
}
