import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'

import { PeerRequestError } from '../../src/core/errors.ts'
import { ProtocolClient } from '../../src/mesh/protocol-client.ts'
import type { PeerAddress } from '../../src/mesh/protocol-client.ts'
import { startNode } from '../helpers.ts'

/** A hostile or broken peer: a real HTTP server on loopback answering with `handler`. */
async function peer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ addr: PeerAddress; server: Server; sockets: () => number; [Symbol.asyncDispose]: () => Promise<void> }> {
  const server = createServer(handler)
  let sockets = 0
  server.on('connection', () => sockets++)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    addr: { host: '127.0.0.1', port },
    server,
    sockets: () => sockets,
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

const HASH = 'ab'.repeat(32)
const DISCOVER = { peer: null, tracks: [] } as never

describe('ProtocolClient (peer JSON requests over node:http)', () => {
  it('talks to a real node over one kept-alive connection: discover, then a manifest it lacks', async () => {
    const a = await startNode()
    const b = await startNode()
    try {
      const addr = { host: '127.0.0.1', port: Number(new URL(a.url).port) }
      let sockets = 0
      a.server.server.on('connection', () => sockets++)
      assert.equal(await b.gossip.exchange(addr), true)
      assert.ok([...a.peers.entries()].some((e) => e.record.peer_id === b.account.address))
      await assert.rejects(b.client.manifest(addr, HASH), (e: unknown) => e instanceof PeerRequestError && /404/.test((e as Error).message))
      assert.equal(await b.gossip.exchange(addr), true)
      assert.equal(sockets, 1)
    } finally {
      await b.cleanup()
      await a.cleanup()
    }
  })

  it('refuses an answer larger than the cap, and stops reading it', async () => {
    let written = 0
    await using p = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 << 10, 0x20)
      const pump = (): void => {
        while (written < 64 << 20 && res.write(chunk)) written += chunk.length
        if (written < 64 << 20) res.once('drain', pump)
        else res.end()
      }
      pump()
    })
    const client = new ProtocolClient({}, { connectTimeoutMs: 5000, maxJsonBytes: 1 << 20 })
    try {
      await assert.rejects(client.manifest(p.addr, HASH), /too large/)
      await new Promise((r) => setTimeout(r, 100))
      assert.ok(written < 16 << 20, `the peer kept writing ${written} bytes`)
    } finally {
      await client.stop()
    }
  })

  it('turns malformed JSON, a wrong shape and an error status into a PeerRequestError', async () => {
    const answers = ['{"nope', '{"chunks": "x"}', '']
    await using p = await peer((req, res) => {
      const body = answers.shift() ?? ''
      res.writeHead(body ? 200 : 503, { 'content-type': 'application/json' })
      res.end(body || 'overloaded')
      req.resume()
    })
    const client = new ProtocolClient({}, { connectTimeoutMs: 2000 })
    try {
      await assert.rejects(client.manifest(p.addr, HASH), (e: unknown) => e instanceof PeerRequestError && /malformed/.test((e as Error).message))
      await assert.rejects(client.manifest(p.addr, HASH), (e: unknown) => e instanceof PeerRequestError && /malformed/.test((e as Error).message))
      await assert.rejects(client.discover(p.addr, DISCOVER), (e: unknown) => e instanceof PeerRequestError && /503/.test((e as Error).message) && (e as PeerRequestError).details === 'overloaded')
    } finally {
      await client.stop()
    }
  })

  it('gives up on a peer that never answers after the deadline, and on abort at once', async () => {
    await using p = await peer(() => {})
    const client = new ProtocolClient({}, { connectTimeoutMs: 300 })
    try {
      const t0 = performance.now()
      await assert.rejects(client.manifest(p.addr, HASH))
      const took = performance.now() - t0
      assert.ok(took >= 250 && took < 3000, `took ${took} ms`)
      const ac = new AbortController()
      const pending = client.discover(p.addr, DISCOVER, ac.signal)
      ac.abort(new Error('stopping'))
      await assert.rejects(pending, /stopping/)
    } finally {
      await client.stop()
    }
  })

  it('refuses a peer that hangs up mid-answer, and a closed port', async () => {
    await using p = await peer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
      res.write('{"a":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const client = new ProtocolClient({}, { connectTimeoutMs: 2000 })
    try {
      await assert.rejects(client.manifest(p.addr, HASH), PeerRequestError)
      p.server.close()
      p.server.closeAllConnections()
      await assert.rejects(client.manifest(p.addr, HASH), (e: unknown) => e instanceof PeerRequestError && /ECONNREFUSED/.test((e as Error).message))
    } finally {
      await client.stop()
    }
  })

  it('refuses a peer that answers 101 Switching Protocols, whether it then hangs or hangs up, before the deadline', async () => {
    for (const hangUp of [false, true]) {
      const server = createTcpServer((socket) => {
        socket.once('data', () => {
          socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: Upgrade\r\n\r\n')
          if (hangUp) socket.end()
        })
        socket.on('error', () => {})
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const addr = { host: '127.0.0.1', port: (server.address() as AddressInfo).port }
      const client = new ProtocolClient({}, { connectTimeoutMs: 5000 })
      try {
        const t0 = performance.now()
        await assert.rejects(client.discover(addr, DISCOVER), PeerRequestError)
        assert.ok(performance.now() - t0 < 2000, 'not left to the deadline')
      } finally {
        await client.stop()
        server.close()
      }
    }
  })
})
