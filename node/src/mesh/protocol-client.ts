import type { Agent } from 'node:http'

import { discoverResponseSchema, manifestSchema } from '../api.ts'
import type { DiscoverRequest, DiscoverResponse, Manifest } from '../api.ts'
import { PeerRequestError } from '../core/errors.ts'
import { http } from '../core/http.ts'
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

interface JsonReply {
  status: number
  body: Buffer
}

/**
 * One request over node:http with a keep-alive agent; the body is read up to `max` bytes (then the request is
 * destroyed with an error). Plain node:http, not undici: the peer protocol's two JSON requests are all this needs,
 * and undici's module graph (which also loads Node's own bundled copy through `globalThis.Headers`) held several
 * MiB of an idle node's memory.
 */
function requestJson(agent: Agent, addr: PeerAddress, path: string, opts: { method?: string; body?: string; signal: AbortSignal; max: number }): Promise<JsonReply> {
  return new Promise((resolve, reject) => {
    const headers = opts.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(opts.body) }
    let settled = false
    const req = http.request({ host: addr.host, port: addr.port, path, method: opts.method ?? 'GET', headers, agent, signal: opts.signal }, (res) => {
      const parts: Buffer[] = []
      let n = 0
      res.on('data', (c: Buffer) => {
        n += c.byteLength
        if (n > opts.max) {
          reject(new PeerRequestError('Peer response too large'))
          req.destroy()
          return
        }
        parts.push(c)
      })
      res.on('end', () => {
        settled = true
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) })
      })
      res.on('error', (err) => reject(new PeerRequestError(`Peer connection failed: ${err.message}`, { cause: err })))
    })
    req.on('error', (err) => reject(opts.signal.aborted ? opts.signal.reason : new PeerRequestError(`Peer connection failed: ${err.message}`, { cause: err })))
    // A 101 (Switching Protocols) never emits 'response': without these the request would neither answer nor fail,
    // and a hostile peer could hold a gossip round or a shared download forever.
    req.on('upgrade', (_res, socket) => {
      socket.destroy()
      reject(new PeerRequestError('Peer switched protocols'))
    })
    req.on('close', () => {
      if (!settled) reject(opts.signal.aborted ? opts.signal.reason : new PeerRequestError('Peer closed the connection before answering'))
    })
    req.end(opts.body)
  })
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

/** HTTP client for the peer protocol (one connection pool per node). */
export class ProtocolClient {
  #agent: Agent
  #init: Required<ProtocolClientInit>
  #filter: DialFilter

  constructor(components: { dialFilter?: DialFilter }, init: ProtocolClientInit) {
    this.#init = { maxJsonBytes: 32 << 20, ...init }
    this.#filter = components.dialFilter ?? (() => true)
    // Idle sockets close after 4 s, before the peer's server drops them (10 s), so a request does not meet a socket
    // being closed; every request also has a deadline of connectTimeoutMs (#signal).
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: 4_000 })
  }

  async stop(): Promise<void> {
    this.#agent.destroy()
  }

  #signal(signal?: AbortSignal): AbortSignal {
    const deadline = AbortSignal.timeout(this.#init.connectTimeoutMs)
    return signal ? AbortSignal.any([signal, deadline]) : deadline
  }

  #check(addr: PeerAddress): void {
    if (!this.#filter(addr)) throw new PeerRequestError(`Dialing ${addr.host}:${addr.port} is not allowed`)
  }

  async discover(addr: PeerAddress, body: DiscoverRequest, signal?: AbortSignal): Promise<DiscoverResponse> {
    this.#check(addr)
    const res = await requestJson(this.#agent, addr, '/discover', { method: 'POST', body: JSON.stringify(body), signal: this.#signal(signal), max: this.#init.maxJsonBytes })
    if (res.status !== 200) throw new PeerRequestError(`Peer answered /discover with ${res.status}`, { details: res.body.toString('utf8', 0, 300) })
    const parsed = discoverResponseSchema.safeParse(parseJson(res.body))
    if (!parsed.success) throw new PeerRequestError('Peer sent a malformed /discover response', { details: parsed.error.message.slice(0, 300) })
    return parsed.data
  }

  async manifest(addr: PeerAddress, hash: string, signal?: AbortSignal): Promise<Manifest> {
    this.#check(addr)
    const res = await requestJson(this.#agent, addr, `/manifest/${hash}`, { signal: this.#signal(signal), max: this.#init.maxJsonBytes })
    if (res.status !== 200) throw new PeerRequestError(`Peer answered /manifest with ${res.status}`)
    const parsed = manifestSchema.safeParse(parseJson(res.body))
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
