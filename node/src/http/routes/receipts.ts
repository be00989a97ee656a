import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'

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

/** Longest receipt line taken on a content connection (a receipt lists at most 10,000 content hashes: ~660 KB). */
const MAX_INLINE_LINE = 1 << 20
/** Receipt lines read ahead of the one being checked before the connection is paused. */
const MAX_INLINE_QUEUE = 4
/**
 * How long a response with inline receipts keeps its connection after the last byte, until the client closes it:
 * Node closes a `connection: close` response's socket at its end, and a receipt the client writes meanwhile (it is
 * still reading the tail from the socket buffers) would meet a reset that can cut the tail it has not read yet.
 */
const INLINE_LINGER_MS = 2_000

/**
 * Receipts a metered client writes on its GET /content connection (`x-dcmx-receipts: inline`): one JSON line each,
 * the POST /receipts body, checked and stored by the same `accept` in order, one at a time (the connection is paused
 * while lines queue up). A bad line is refused and logged, as a bad POST would be, and does not end the stream: only
 * a valid receipt widens the window. A line over 1 MiB ends the connection.
 */
export function readInlineReceipts(node: DcmxNode, raw: IncomingMessage): { done: () => Promise<void> } {
  const receipts = node.rewards?.receipts
  // Resolves when the client has ended its side (or gone), or after INLINE_LINGER_MS.
  const clientDone = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, INLINE_LINGER_MS)
    t.unref()
    const fin = (): void => {
      clearTimeout(t)
      resolve()
    }
    raw.once('end', fin)
    raw.once('close', fin)
    raw.socket?.once('close', fin)
  })
  const done = (): Promise<void> => clientDone
  if (!receipts) return { done }
  let buf = ''
  const queue: string[] = []
  let running = false
  const drain = async (): Promise<void> => {
    running = true
    for (let line = queue.shift(); line !== undefined; line = queue.shift()) {
      if (queue.length < MAX_INLINE_QUEUE && raw.isPaused()) raw.resume()
      try {
        const sub = validate(receiptSubmissionSchema, JSON.parse(line) as unknown, 'receipt')
        await receipts.accept(sub)
        receipts.stats.inlineAccepted++
      } catch (err) {
        node.logger.debug({ err: (err as Error).message.split('\n')[0] }, 'inline receipt refused')
      }
    }
    running = false
  }
  raw.setEncoding('utf8')
  raw.on('data', (chunk: string) => {
    buf += chunk
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (line.trim()) queue.push(line)
    }
    if (buf.length > MAX_INLINE_LINE) {
      raw.destroy()
      return
    }
    if (queue.length >= MAX_INLINE_QUEUE) raw.pause()
    if (!running && queue.length > 0) void drain()
  })
  raw.on('error', () => {})
  return { done }
}

/** GET /content hook: how this request is metered (receipts window, free rate, or open); throws 403 on a bad client header. */
export async function admitContent(node: DcmxNode, req: FastifyRequest, hash: string, start: number): Promise<ServeGate | undefined> {
  return node.rewards?.receipts.admit(req.headers, req.ip, hash, start)
}

/**
 * Sends bytes [start, end] as the gate allows (whole file at once when open); a client the gate cuts off (no
 * receipt within the wait) gets a truncated response. Closes the file; resolves with the bytes sent.
 */
export async function sendContent(
  res: ServerResponse,
  fh: FileHandle,
  start: number,
  end: number,
  pool: BufferPool,
  gate: ServeGate | undefined,
  beforeEnd?: () => Promise<void>,
): Promise<number> {
  if (!gate || gate.mode === 'open') return sendFileRange(res, fh, start, end, pool)
  const ac = new AbortController()
  res.once('close', () => ac.abort())
  let granted = 0
  let sent = 0
  try {
    // One continuous double-buffered stream: each read asks the gate first, so the pipe never drains at a grant.
    sent = await pipeFileRange(res, fh, start, end, pool, async (want) => {
      const n = await gate.grant(want, ac.signal)
      granted += n
      return n
    })
    if (start + sent > end) {
      await beforeEnd?.()
      res.end()
    } else res.destroy()
  } catch {
    res.destroy()
  } finally {
    if (granted > sent) gate.unsent(granted - sent)
    await fh.close().catch(() => {})
  }
  return sent
}
