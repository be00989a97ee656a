import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'

import type { ReceiptSubmission } from '../../src/api.ts'
import { ReceiptStream, StreamRefusedError } from '../../src/chain/receipt-stream.ts'

/** A submission's shape is the server's business here: these servers only count lines. */
const body = (n: number) => ({ receipt: { nonce: String(n) }, contents: [] }) as unknown as ReceiptSubmission

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ peer: { host: string; port: number }; server: Server; [Symbol.asyncDispose]: () => Promise<void> }> {
  const server = createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    peer: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    server,
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

/** Answers each line as it arrives (full duplex), `ok` unless told otherwise; `hold` lines are never answered. */
function lineServer(answer: (line: string, i: number) => string | undefined) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    req.setEncoding('utf8')
    let partial = ''
    let i = 0
    req.on('data', (d: string) => {
      partial += d
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        const a = answer(partial.slice(0, nl), i++)
        partial = partial.slice(nl + 1)
        if (a !== undefined) res.write(`${a}\n`)
      }
    })
    req.on('end', () => res.end())
  }
}

const ok = JSON.stringify({ ok: true, result: { accepted: true, epoch: 1, cumulativeBytes: '1', windowBytes: '1' } })

describe('receipt stream (client side of POST /receipts/stream)', () => {
  it('answers each receipt in order while the request is still open', async () => {
    const lines: string[] = []
    await using s = await serve(lineServer((line, i) => (lines.push(line), i === 1 ? JSON.stringify({ ok: false, status: 403, error: 'no' }) : ok)))
    const stream = new ReceiptStream(s.peer)
    // One at a time: each answer arrives before the next receipt is written (the request never ended).
    assert.equal((await stream.send(body(1))).ok, true)
    assert.deepEqual(await stream.send(body(2)), { ok: false, status: 403, error: 'no' })
    const [c, d] = await Promise.all([stream.send(body(3)), stream.send(body(4))])
    assert.equal(c.ok && d.ok, true)
    assert.equal(stream.open, true)
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { receipt: { nonce: string } }).receipt.nonce),
      ['1', '2', '3', '4'],
    )
    stream.end()
    assert.equal(stream.open, false)
    await assert.rejects(stream.send(body(5)))
  })

  it('is refused by a server without the stream (an older node: 404), so the caller can fall back to POST', async () => {
    await using s = await serve((_req, res) => res.writeHead(404).end('{}'))
    const stream = new ReceiptStream(s.peer)
    await assert.rejects(stream.send(body(1)), (err: unknown) => err instanceof StreamRefusedError && err.status === 404)
    assert.equal(stream.open, false)
  })

  it('ends and rejects every unanswered receipt on a malformed answer, an answer to nothing, or a reset', async () => {
    for (const bad of ['{"ok": "yes"}', 'not json', `${ok}\n${ok}`]) {
      await using s = await serve(lineServer(() => bad))
      const stream = new ReceiptStream(s.peer)
      if (bad.includes('\n')) {
        // Two answers to one receipt: the first resolves it, the second answers nothing and ends the stream.
        assert.equal((await stream.send(body(1))).ok, true)
        await new Promise((r) => setTimeout(r, 50))
      } else await assert.rejects(stream.send(body(1)))
      assert.equal(stream.open, false)
    }
    await using reset = await serve((req) => req.once('data', () => req.socket.destroy()))
    const stream = new ReceiptStream(reset.peer)
    await assert.rejects(Promise.all([stream.send(body(1)), stream.send(body(2))]))
    assert.equal(stream.unanswered, 0)
  })

  it('gives up on a server that never answers, instead of holding the receipts forever', async () => {
    await using s = await serve(lineServer(() => undefined))
    const stream = new ReceiptStream(s.peer)
    const t0 = performance.now()
    await assert.rejects(stream.send(body(1), 200), /timed out/)
    assert.ok(performance.now() - t0 < 2000)
    assert.equal(stream.open, false)
  })
})
