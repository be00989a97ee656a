import { Agent, request } from 'undici'
import type { Dispatcher } from 'undici'

import { discoverResponseSchema, manifestSchema } from '../api.ts'
import type { DiscoverRequest, DiscoverResponse, Manifest } from '../api.ts'
import { PeerRequestError } from '../core/errors.ts'
import { requestContent } from './content-socket.ts'
import type { ContentResponse } from './content-socket.ts'

export interface PeerAddress {
  host: string
  port: number
}

/** Decides whether this node may dial an address (an operator deny-list; tests use it to cut the network). */
export type DialFilter = (addr: PeerAddress) => boolean

export interface ProtocolClientInit {
  connectTimeoutMs: number
  /** Cap on JSON responses read from peers. */
  maxJsonBytes?: number
}

function urlOf(addr: PeerAddress, path: string): string {
  const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host
  return `http://${host}:${addr.port}${path}`
}

async function readJson(body: Dispatcher.ResponseData['body'], max: number): Promise<unknown> {
  const parts: Buffer[] = []
  let n = 0
  for await (const c of body) {
    n += (c as Buffer).byteLength
    if (n > max) {
      body.destroy()
      throw new PeerRequestError('Peer response too large')
    }
    parts.push(c as Buffer)
  }
  return JSON.parse(Buffer.concat(parts).toString('utf8'))
}

/** HTTP client for the peer protocol (one connection pool per node). */
export class ProtocolClient {
  #agent: Agent
  #init: Required<ProtocolClientInit>
  #filter: DialFilter

  constructor(components: { dialFilter?: DialFilter }, init: ProtocolClientInit) {
    this.#init = { maxJsonBytes: 32 << 20, ...init }
    this.#filter = components.dialFilter ?? (() => true)
    this.#agent = new Agent({
      connect: { timeout: init.connectTimeoutMs },
      headersTimeout: init.connectTimeoutMs,
      bodyTimeout: init.connectTimeoutMs,
      keepAliveTimeout: 10_000,
      connections: 16,
    })
  }

  async stop(): Promise<void> {
    await this.#agent.destroy()
  }

  #check(addr: PeerAddress): void {
    if (!this.#filter(addr)) throw new PeerRequestError(`Dialing ${addr.host}:${addr.port} is not allowed`)
  }

  async discover(addr: PeerAddress, body: DiscoverRequest, signal?: AbortSignal): Promise<DiscoverResponse> {
    this.#check(addr)
    const res = await request(urlOf(addr, '/discover'), {
      dispatcher: this.#agent,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.#init.connectTimeoutMs)]) : AbortSignal.timeout(this.#init.connectTimeoutMs),
    })
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '')
      throw new PeerRequestError(`Peer answered /discover with ${res.statusCode}`, { details: text.slice(0, 300) })
    }
    const parsed = discoverResponseSchema.safeParse(await readJson(res.body, this.#init.maxJsonBytes))
    if (!parsed.success) throw new PeerRequestError('Peer sent a malformed /discover response', { details: parsed.error.message.slice(0, 300) })
    return parsed.data
  }

  async manifest(addr: PeerAddress, hash: string, signal?: AbortSignal): Promise<Manifest> {
    this.#check(addr)
    const res = await request(urlOf(addr, `/manifest/${hash}`), {
      dispatcher: this.#agent,
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.#init.connectTimeoutMs)]) : AbortSignal.timeout(this.#init.connectTimeoutMs),
    })
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw new PeerRequestError(`Peer answered /manifest with ${res.statusCode}`)
    }
    const parsed = manifestSchema.safeParse(await readJson(res.body, this.#init.maxJsonBytes))
    if (!parsed.success) throw new PeerRequestError('Peer sent a malformed manifest')
    return parsed.data
  }

  /**
   * GET /content/{hash} from byte `start` to the end over its own socket, the body read straight into `pieceSize`
   * buffers from `alloc` (see content-socket.ts); the caller consumes `pieces` or calls `destroy`.
   */
  async content(
    addr: PeerAddress,
    hash: string,
    start: number,
    signal: AbortSignal,
    opts: { headers?: Record<string, string>; pieceSize?: number; alloc?: (size: number) => Buffer } = {},
  ): Promise<ContentResponse> {
    this.#check(addr)
    const headers = opts.headers ?? {}
    return requestContent({
      host: addr.host,
      port: addr.port,
      path: `/content/${hash}`,
      headers: start > 0 ? { ...headers, range: `bytes=${start}-` } : headers,
      signal,
      timeoutMs: this.#init.connectTimeoutMs,
      pieceSize: opts.pieceSize ?? 1 << 20,
      alloc: opts.alloc,
    })
  }
}
