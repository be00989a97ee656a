import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { PeerRequestError } from '../../src/core/errors.ts'
import { requestContent } from '../../src/mesh/content-socket.ts'

/** A raw TCP peer answering every request with `answer(requestHead)`; records the request heads. */
async function rawPeer(answer: (head: string, socket: Socket) => void): Promise<{ port: number; heads: string[]; close: () => Promise<void> }> {
  const heads: string[] = []
  const server: Server = createServer((socket) => {
    let buf = ''
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1')
      const end = buf.indexOf('\r\n\r\n')
      if (end >= 0 && !heads.includes(buf)) {
        heads.push(buf.slice(0, end))
        answer(buf.slice(0, end), socket)
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, heads, close: () => new Promise((r) => server.close(() => r())) }
}

const get = (port: number, extra: Partial<Parameters<typeof requestContent>[0]> = {}) =>
  requestContent({ host: '127.0.0.1', port, path: '/content/x', headers: {}, signal: new AbortController().signal, timeoutMs: 2000, pieceSize: 1000, ...extra })

async function collect(pieces: AsyncGenerator<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = []
  for await (const p of pieces) out.push(Buffer.from(p))
  return out
}

describe('content socket (GET /content over a plain socket)', () => {
  const body = randomBytes(4500)
  let honest: Awaited<ReturnType<typeof rawPeer>>
  before(async () => {
    honest = await rawPeer((_head, s) => {
      // Head and the first body bytes in one write, the rest in odd-sized writes.
      s.write(Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\ncontent-length: ${body.length}\r\n\r\n`), body.subarray(0, 700)]))
      s.write(body.subarray(700, 2300))
      setTimeout(() => s.end(body.subarray(2300)), 5)
    })
  })
  after(() => honest.close())

  it('returns the body in pieces of exactly pieceSize bytes (the last shorter), byte for byte', async () => {
    const r = await get(honest.port, { headers: { range: 'bytes=10-' } })
    assert.equal(r.statusCode, 206)
    assert.equal(r.length, body.length)
    const pieces = await collect(r.pieces)
    assert.deepEqual(pieces.map((p) => p.length), [1000, 1000, 1000, 1000, 500])
    assert.deepEqual(Buffer.concat(pieces), body)
    assert.match(honest.heads.at(-1) as string, /^GET \/content\/x HTTP\/1\.1\r\n/)
    assert.match(honest.heads.at(-1) as string, /\r\nrange: bytes=10-/)
  })

  it('refuses a header value that could inject a line', async () => {
    await assert.rejects(() => get(honest.port, { headers: { 'x-dcmx-client': 'a\r\nx-evil: 1' } }), PeerRequestError)
  })

  it('refuses a chunked /content answer and one without Content-Length', async () => {
    const chunked = await rawPeer((_h, s) => s.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'))
    const noLength = await rawPeer((_h, s) => s.end('HTTP/1.1 200 OK\r\n\r\nhello'))
    try {
      await assert.rejects(() => get(chunked.port), /without a Content-Length/)
      await assert.rejects(() => get(noLength.port), /without a valid Content-Length/)
    } finally {
      await chunked.close()
      await noLength.close()
    }
  })

  it('refuses an endless response head and a garbage status line', async () => {
    const endless = await rawPeer((_h, s) => {
      s.write('HTTP/1.1 200 OK\r\n')
      for (let i = 0; i < 200; i++) s.write(`x-filler-${i}: ${'a'.repeat(1000)}\r\n`)
    })
    const garbage = await rawPeer((_h, s) => s.end('SSH-2.0-OpenSSH\r\n\r\n'))
    try {
      await assert.rejects(() => get(endless.port), /oversized response head/)
      await assert.rejects(() => get(garbage.port), /malformed HTTP response/)
    } finally {
      await endless.close()
      await garbage.close()
    }
  })

  it('ends short without error when the peer closes early (the caller sees the missing bytes), and stops at Content-Length', async () => {
    const short = await rawPeer((_h, s) => s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3000\r\n\r\n'), body.subarray(0, 1500)])))
    const long = await rawPeer((_h, s) => s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 1200\r\n\r\n'), body])))
    try {
      assert.deepEqual(Buffer.concat(await collect((await get(short.port)).pieces)), body.subarray(0, 1500))
      assert.deepEqual(Buffer.concat(await collect((await get(long.port)).pieces)), body.subarray(0, 1200))
    } finally {
      await short.close()
      await long.close()
    }
  })

  it('times out a silent peer and honours an abort mid-body', async () => {
    const silent = await rawPeer(() => {})
    const stalling = await rawPeer((_h, s) => s.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n'), body.subarray(0, 1000)])))
    try {
      await assert.rejects(() => get(silent.port, { timeoutMs: 200 }), /timed out/)
      const ac = new AbortController()
      const r = await get(stalling.port, { signal: ac.signal })
      const it = r.pieces[Symbol.asyncIterator]()
      assert.equal(((await it.next()).value as Buffer).length, 1000)
      setTimeout(() => ac.abort(new Error('stop')), 20)
      await assert.rejects(() => it.next(), /stop/)
    } finally {
      await silent.close()
      await stalling.close()
    }
  })

  it('pauses the socket while the consumer is slow and loses nothing', async () => {
    const big = randomBytes(64 * 1000 + 17)
    const peer = await rawPeer((_h, s) => s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${big.length}\r\n\r\n`), big])))
    try {
      const r = await get(peer.port)
      const out: Buffer[] = []
      for await (const p of r.pieces) {
        out.push(Buffer.from(p))
        await new Promise((res) => setTimeout(res, 2))
      }
      assert.deepEqual(Buffer.concat(out), big)
    } finally {
      await peer.close()
    }
  })
})
