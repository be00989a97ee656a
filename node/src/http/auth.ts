import { timingSafeEqual } from 'node:crypto'

import type { FastifyRequest } from 'fastify'

import { ForbiddenError, UnauthorizedError } from '../core/errors.ts'

/** Requires `Authorization: Bearer <operator token>`. */
export function requireOperator(token: string) {
  const expected = Buffer.from(token)
  return async (req: FastifyRequest): Promise<void> => {
    const h = req.headers.authorization
    const given = Buffer.from(h?.startsWith('Bearer ') ? h.slice(7) : '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedError('Operator token required', { details: 'send Authorization: Bearer <token from <data-dir>/api-token>' })
    }
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

/** The local API answers only on the loopback interface. */
export async function requireLoopback(req: FastifyRequest): Promise<void> {
  if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) throw new ForbiddenError('The local API is only served to 127.0.0.1')
}
