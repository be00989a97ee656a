import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'

import type { FastifyInstance, FastifyRequest } from 'fastify'

import { RECEIPT_STREAM_MAX_LINE, RECEIPT_STREAM_TYPE, receiptSubmissionSchema, rewardsActionSchema, stakeRequestSchema, stakeSignatureQuerySchema, uptimeAttestationSchema } from '../../api.ts'
import type { ReceiptAccepted, ReceiptStreamAnswer, ReceiptSubmission, StakeSignatureResponse } from '../../api.ts'
import { DcmxError, ForbiddenError, PayloadTooLargeError, ValidationError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { ServeGate } from '../../chain/receipts.ts'
import type { DcmxNode } from '../../node.ts'
import { requireOperator } from '../auth.ts'
import { statusOf } from '../error-status.ts'
import { pipeFileRange, sendFileRange } from '../send-file.ts'
import type { BufferPool } from '../send-file.ts'
import type { ServerComponents } from '../server.ts'
import { validate } from '../validate.ts'

/** POST /receipts and /uptime (from peers); GET /rewards, POST /rewards/submit and /rewards/claim (operator). */
export function registerReceiptRoutes(app: FastifyInstance, { node, logger }: ServerComponents): void {
  const rewards = (): NonNullable<DcmxNode['rewards']> => {
    if (!node.rewards) throw new ForbiddenError('This node runs off chain: no receipts or rewards')
    return node.rewards
  }
  app.post('/receipts', async (req) => rewards().receipts.accept(validate(receiptSubmissionSchema, req.body, 'receipt')))
  app.post('/receipts/stream', async (req, reply) => {
    const receipts = rewards().receipts
    if (req.headers['content-type']?.split(';')[0]?.trim() !== RECEIPT_STREAM_TYPE) throw new ValidationError(`POST /receipts/stream takes ${RECEIPT_STREAM_TYPE}`)
    reply.hijack()
    await answerReceiptStream(req.body as Readable, reply.raw, (sub) => receipts.accept(sub), logger)
  })
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

/** How long the server keeps one receipt stream (clients rotate theirs well before; the request timeout may be off). */
const STREAM_MAX_MS = 60_000
/**
 * Lines that take nothing new (refused, or the receipt already held again) a stream may carry before it is ended
 * (429). Each costs a signature recovery, and one request carries any number of lines: without this, one stream would
 * get around the per-IP request limit. A client's own receipts are rarely refused (one overtaken by a later one).
 */
const STREAM_MAX_STRIKES = 16

/**
 * POST /receipts/stream: each line is a receipt submission, checked in order as POST /receipts would check it and
 * answered at once with one line (a bad line is answered and the stream goes on). A line over the limit ends the
 * stream (413); so do too many lines that take nothing (429) and the age limit. The answers stream back while the request is still open (full-duplex HTTP/1.1).
 */
export async function answerReceiptStream(
  body: Readable,
  res: ServerResponse,
  accept: (sub: ReceiptSubmission) => Promise<ReceiptAccepted>,
  log: Logger,
): Promise<void> {
  res.writeHead(200, { 'content-type': RECEIPT_STREAM_TYPE, 'cache-control': 'no-store' })
  const answer = (a: ReceiptStreamAnswer) => res.write(`${JSON.stringify(a)}\n`)
  const aged = setTimeout(() => body.destroy(), STREAM_MAX_MS)
  body.setEncoding('utf8')
  // The unfinished line, kept as its pieces: each byte is scanned once whatever the chunking (a line grown by
  // one-byte chunks and searched from its start each time would cost quadratic time).
  let parts: string[] = []
  let held = 0
  let strikes = 0
  let last = ''
  try {
    // Leaving the loop early (a line too long) must not destroy the request before the answer is flushed.
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<string>) {
      let rest = chunk
      for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
        const line = parts.length > 0 ? parts.join('') + rest.slice(0, nl) : rest.slice(0, nl)
        parts = []
        held = 0
        rest = rest.slice(nl + 1)
        if (line.trim() === '') continue
        try {
          if (line.length > RECEIPT_STREAM_MAX_LINE) throw new PayloadTooLargeError(RECEIPT_STREAM_MAX_LINE)
          let json: unknown
          try {
            json = JSON.parse(line)
          } catch {
            throw new ValidationError('A receipt stream line is not JSON')
          }
          const result = await accept(validate(receiptSubmissionSchema, json, 'receipt'))
          answer({ ok: true, result })
          const taken = `${result.epoch}:${result.cumulativeBytes}`
          if (taken === last) strikes++
          last = taken
        } catch (err) {
          strikes++
          const status = statusOf(err)
          if (status >= 500) log.error({ err }, 'receipt stream line failed')
          const error = err instanceof DcmxError ? err.shortMessage : status >= 500 ? 'Internal server error' : (err as Error).message
          answer({ ok: false, status, error: error.slice(0, 1000) })
          if (err instanceof PayloadTooLargeError) return
        }
        if (strikes >= STREAM_MAX_STRIKES) {
          answer({ ok: false, status: 429, error: 'Too many refused or repeated receipts on this stream' })
          return
        }
        if (res.destroyed) return
      }
      if (rest.length > 0) {
        parts.push(rest)
        held += rest.length
      }
      if (held > RECEIPT_STREAM_MAX_LINE) {
        answer({ ok: false, status: 413, error: new PayloadTooLargeError(RECEIPT_STREAM_MAX_LINE).shortMessage })
        return
      }
    }
  } catch {
    // The client went away, or the stream's age limit cut it: answers already written stand.
  } finally {
    clearTimeout(aged)
    // A request still arriving (the stream was ended here) is cut once the answers are out.
    res.end(() => void (body.readableEnded || body.destroy()))
  }
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
