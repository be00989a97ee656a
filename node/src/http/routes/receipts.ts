import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'

import type { FastifyInstance, FastifyRequest } from 'fastify'

import { receiptSubmissionSchema, rewardsActionSchema, stakeRequestSchema, stakeSignatureQuerySchema, uptimeAttestationSchema } from '../../api.ts'
import type { StakeSignatureResponse } from '../../api.ts'
import { ForbiddenError } from '../../core/errors.ts'
import type { ServeGate } from '../../chain/receipts.ts'
import type { DcmxNode } from '../../node.ts'
import { requireOperator } from '../auth.ts'
import { pipeFileRange, sendFileRange } from '../send-file.ts'
import type { BufferPool } from '../send-file.ts'
import type { ServerComponents } from '../server.ts'
import { validate } from '../validate.ts'

/** POST /receipts and /uptime (from peers); GET /rewards, POST /rewards/submit and /rewards/claim (operator). */
export function registerReceiptRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  const rewards = (): NonNullable<DcmxNode['rewards']> => {
    if (!node.rewards) throw new ForbiddenError('This node runs off chain: no receipts or rewards')
    return node.rewards
  }
  app.post('/receipts', async (req) => rewards().receipts.accept(validate(receiptSubmissionSchema, req.body, 'receipt')))
  app.post('/uptime', async (req) => rewards().uptime.accept(validate(uptimeAttestationSchema, req.body, 'uptime attestation')))
  const operator = { preHandler: requireOperator(node.apiToken) }
  app.get('/rewards', operator, async () => rewards().status())
  app.post('/rewards/submit', operator, async (req) => {
    const { epoch } = validate(rewardsActionSchema, req.body ?? {}, 'rewards request')
    return rewards().submit(epoch)
  })
  app.post('/rewards/claim', operator, async (req) => {
    const { epoch } = validate(rewardsActionSchema, req.body ?? {}, 'rewards request')
    return rewards().claim(epoch)
  })
  app.post('/stake', operator, async (req) => {
    const body = validate(stakeRequestSchema, req.body, 'stake request')
    rewards()
    return node.stake?.stake(BigInt(body.amount), body.endpoint ?? node.url, body.request_id ?? randomUUID())
  })
  app.get('/stake/signature', operator, async (req): Promise<StakeSignatureResponse> => {
    const { operator: wallet } = validate(stakeSignatureQuerySchema, req.query, 'query')
    rewards()
    return { node: node.account.address, operator: wallet, signature: (await node.stake?.registrationSignature(wallet as `0x${string}`)) ?? '' }
  })
}

/** GET /content hook: how this request is metered (receipts window, free rate, or open); throws 403 on a bad client header. */
export async function admitContent(node: DcmxNode, req: FastifyRequest, hash: string, start: number): Promise<ServeGate | undefined> {
  return node.rewards?.receipts.admit(req.headers, req.ip, hash, start)
}

/**
 * Sends bytes [start, end] as the gate allows (whole file at once when open); a client the gate cuts off (no
 * receipt within the wait) gets a truncated response. Closes the file; resolves with the bytes sent.
 */
export async function sendContent(res: ServerResponse, fh: FileHandle, start: number, end: number, pool: BufferPool, gate: ServeGate | undefined): Promise<number> {
  if (!gate || gate.mode === 'open') return sendFileRange(res, fh, start, end, pool)
  const ac = new AbortController()
  res.once('close', () => ac.abort())
  let granted = 0
  let sent = 0
  try {
    // One continuous double-buffered stream: the next slice is read while the gate decides on the one before.
    sent = await pipeFileRange(res, fh, start, end, pool, {
      slice: gate.slice,
      grant: async (want) => {
        const n = await gate.grant(want, ac.signal)
        granted += n
        return n
      },
    })
    if (start + sent > end) res.end()
    else res.destroy()
  } catch {
    res.destroy()
  } finally {
    if (granted > sent) gate.unsent(granted - sent)
    await fh.close().catch(() => {})
  }
  return sent
}
