import type { ClientRequest, IncomingMessage } from 'node:http'

import { RECEIPT_STREAM_TYPE, receiptStreamAnswerSchema } from '../api/receipts.ts'
import type { ReceiptStreamAnswer, ReceiptSubmission } from '../api/receipts.ts'
import { http } from '../core/http.ts'

/** How long a receipt waits for its answer on the stream. */
const ANSWER_TIMEOUT_MS = 3_000
/** The longest answer line a client reads (answers are ~150 bytes; a longer line is not a DCMX server's). */
const MAX_ANSWER_LINE = 4096

/** The server answered the stream's request with another status than 200 (an older node: 404). */
export class StreamRefusedError extends Error {
  override name = 'StreamRefusedError'
  readonly status: number
  constructor(status: number) {
    super(`POST /receipts/stream answered ${status}`)
    this.status = status
  }
}

/**
 * One POST /receipts/stream request to a server, kept open while receipts flow (node/README.md, "Bandwidth
 * receipts"): each `send` writes one line and resolves with the server's answer to it (answers come back in order on
 * the response while the request is still open). Receipts then cost no request each (headers, routing, a connection
 * from the pool): the metering server's per-receipt HTTP work was most of what receipts cost it. Any failure
 * (refused, reset, a malformed answer) ends the stream and rejects every receipt still unanswered; the caller opens
 * another or falls back to POST /receipts.
 */
export class ReceiptStream {
  readonly openedAt = Date.now()
  #req: ClientRequest
  #pending: Array<{ resolve: (a: ReceiptStreamAnswer) => void; reject: (err: Error) => void }> = []
  #error: Error | undefined

  constructor(peer: { host: string; port: number }) {
    // A connection of its own (no pool): it stays busy for the stream's life.
    this.#req = http.request({ host: peer.host, port: peer.port, path: '/receipts/stream', method: 'POST', agent: false, headers: { 'content-type': RECEIPT_STREAM_TYPE } })
    this.#req.setNoDelay(true)
    this.#req.on('error', (err) => this.#fail(err))
    this.#req.on('response', (res) => this.#read(res))
    this.#req.flushHeaders()
  }

  /** Whether receipts can still be sent on this stream. */
  get open(): boolean {
    return this.#error === undefined && !this.#req.writableEnded
  }

  /** Receipts written and not answered yet. */
  get unanswered(): number {
    return this.#pending.length
  }

  /**
   * Writes one receipt; resolves with its answer. No answer within `timeoutMs` ends the stream (a hung server): well
   * inside the time a server holds a stream at its window (10 s by default), so the caller's POST still lands in time.
   */
  send(body: ReceiptSubmission, timeoutMs = ANSWER_TIMEOUT_MS): Promise<ReceiptStreamAnswer> {
    if (!this.open) return Promise.reject(this.#error ?? new Error('receipt stream ended'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error('receipt stream answer timed out')), timeoutMs)
      const done = () => clearTimeout(timer)
      this.#pending.push({
        resolve: (a) => (done(), resolve(a)),
        reject: (err) => (done(), reject(err)),
      })
      this.#req.write(`${JSON.stringify(body)}\n`)
    })
  }

  /** Ends the request: receipts already written are still answered. */
  end(): void {
    if (this.open) this.#req.end()
    if (this.#pending.length === 0) this.#req.destroy()
  }

  #read(res: IncomingMessage): void {
    if (res.statusCode !== 200) {
      res.resume()
      return this.#fail(new StreamRefusedError(res.statusCode ?? 0))
    }
    res.setEncoding('utf8')
    let partial = ''
    res.on('data', (chunk: string) => {
      partial += chunk
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        const line = partial.slice(0, nl)
        partial = partial.slice(nl + 1)
        let answer: ReceiptStreamAnswer
        try {
          answer = receiptStreamAnswerSchema.parse(JSON.parse(line))
        } catch {
          return this.#fail(new Error('malformed receipt stream answer'))
        }
        const next = this.#pending.shift()
        if (!next) return this.#fail(new Error('receipt stream answer to nothing'))
        next.resolve(answer)
      }
      if (partial.length > MAX_ANSWER_LINE) this.#fail(new Error('receipt stream answer too long'))
      else if (this.#req.writableEnded && this.#pending.length === 0) this.#req.destroy()
    })
    res.on('error', (err) => this.#fail(err))
    res.on('close', () => this.#fail(new Error('receipt stream closed')))
  }

  #fail(err: Error): void {
    this.#error ??= err
    for (const p of this.#pending.splice(0)) p.reject(this.#error)
    this.#req.destroy()
  }
}
