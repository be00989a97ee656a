import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

import type { KeyPair, default as HyperDHTType } from 'hyperdht'

import { KEY_FILE } from '../../core/identity.ts'
import type { Logger } from '../../core/logger.ts'
import type { PeerAddress } from '../protocol-client.ts'

/** A holder as the DHT names it: its DHT public key and the HTTP address its signed announce record carries. */
export interface Holder {
  publicKey: string
  http: PeerAddress
}

export interface DhtRoutingComponents {
  logger: Logger
  /** Content hashes this node holds (announced at start and re-announced before records expire). */
  localHashes: () => string[]
  /** Learns a holder found in the DHT the usual way: a signed /discover exchange with its HTTP address. */
  contact: (addr: PeerAddress) => Promise<boolean>
}

export interface DhtRoutingInit {
  dataDir: string
  /** UDP bind host and port of the DHT (0 = any free port). */
  host: string
  port: number
  /** `host:port` of DHT nodes to join through. Never the library's public bootstrap list: empty = a new network. */
  bootstrap: PeerAddress[]
  /** The node's HTTP API as peers reach it; carried (IPv4 only) in every signed announce record. */
  http: () => PeerAddress
  /** A reachable, long-lived routing node (false: a client that only announces and looks up). */
  server: boolean
  /** Provider records expire (hyperdht: 20 min); every local hash is re-announced this often. */
  reannounceMs: number
  lookupTimeoutMs: number
}

/** The DHT key pair's seed, derived from the node key: one wallet, one DHT identity, stable across restarts. */
function dhtSeed(nodeKeyHex: string): Buffer {
  return createHash('sha256').update('dcmx-dht-identity:v1').update(Buffer.from(nodeKeyHex.replace(/^0x/, ''), 'hex')).digest()
}

/**
 * Content routing over hyperdht (node/README.md "Mesh at scale" has the measured choice): provider records
 * (hyperdht announces under the 32-byte content hash, signed by this node's DHT key and carrying its HTTP
 * address) and lookups for hashes no known peer holds. A routing node keeps O(log N) buckets of k = 20 peers,
 * lookups query alpha = 10 in parallel. The DHT only says where to ask: a found holder is contacted over HTTP
 * with the signed /discover exchange, and only its signed track list makes it a candidate for the fetcher.
 * hyperdht is imported when the service starts, so nodes without a DHT do not load it.
 */
export class DhtRouting {
  #c: DhtRoutingComponents
  #init: DhtRoutingInit
  #log: Logger
  #dht: HyperDHTType | undefined
  #keyPair: KeyPair | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(components: DhtRoutingComponents, init: DhtRoutingInit) {
    this.#c = components
    this.#init = init
    this.#log = components.logger.child({ component: 'dht' })
  }

  /** The DHT's UDP address (to bootstrap others from); undefined before start. */
  get address(): PeerAddress | undefined {
    const a = this.#dht?.address()
    return a ? { host: a.host === '0.0.0.0' ? '127.0.0.1' : a.host, port: a.port } : undefined
  }

  get publicKey(): string | undefined {
    return this.#keyPair?.publicKey.toString('hex')
  }

  async start(): Promise<void> {
    const { default: HyperDHT } = await import('hyperdht')
    const key = (await readFile(join(this.#init.dataDir, KEY_FILE), 'utf8')).trim()
    this.#keyPair = HyperDHT.keyPair(dhtSeed(key))
    this.#dht = new HyperDHT({
      // Always an explicit list: hyperdht falls back to public bootstrap nodes when none is given.
      bootstrap: this.#init.bootstrap.map((a) => `${a.host}:${a.port}`),
      host: this.#init.host,
      port: this.#init.port,
      ephemeral: !this.#init.server,
      firewalled: !this.#init.server,
      keyPair: this.#keyPair,
    })
    await this.#dht.fullyBootstrapped()
    this.#timer = setInterval(() => void this.provide().catch((err: unknown) => this.#log.warn({ err: (err as Error).message }, 're-announce failed')), this.#init.reannounceMs)
    this.#timer.unref()
    this.#log.info({ key: this.publicKey, address: this.address, bootstrap: this.#init.bootstrap.length }, 'dht started')
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#dht?.destroy()
    this.#dht = undefined
  }

  /** Announces this node as a holder of these hashes (default: every local hash). */
  async provide(hashes: string[] = this.#c.localHashes()): Promise<void> {
    const http = this.#init.http()
    const relay = /^\d+\.\d+\.\d+\.\d+$/.test(http.host) ? [http] : []
    const dht = this.#required()
    for (const h of hashes) await dht.announce(Buffer.from(h, 'hex'), this.#keyPair as KeyPair, relay).finished()
  }

  /** Holders of `hash` with an HTTP address, as their signed announce records say (see `resolve`). */
  async findHolders(hash: string, opts: { max?: number; signal?: AbortSignal } = {}): Promise<Holder[]> {
    const max = opts.max ?? 5
    const signal = opts.signal ?? AbortSignal.timeout(this.#init.lookupTimeoutMs)
    const out = new Map<string, Holder>()
    const q = this.#required().lookup(Buffer.from(hash, 'hex'))
    const abort = (): void => {
      q.destroy()
    }
    signal.addEventListener('abort', abort)
    try {
      for await (const data of q) {
        for (const p of data.peers) {
          const key = p.publicKey.toString('hex')
          if (key === this.publicKey || out.has(key) || p.relayAddresses.length === 0) continue
          out.set(key, { publicKey: key, http: { host: p.relayAddresses[0].host, port: p.relayAddresses[0].port } })
        }
        if (out.size >= max) break
      }
    } catch (err) {
      if (!signal.aborted) throw err
    } finally {
      signal.removeEventListener('abort', abort)
      q.destroy()
    }
    return [...out.values()]
  }

  #required(): HyperDHTType {
    if (!this.#dht) throw new Error('the DHT is not started')
    return this.#dht
  }

  /** Finds holders and contacts them (signed exchange); returns how many answered. */
  async resolve(hash: string, opts: { signal?: AbortSignal } = {}): Promise<number> {
    const holders = await this.findHolders(hash, opts).catch((err: unknown) => {
      this.#log.debug({ hash, err: (err as Error).message }, 'dht lookup failed')
      return []
    })
    const ok = await Promise.all(holders.map((h) => this.#c.contact(h.http).catch(() => false)))
    return ok.filter(Boolean).length
  }
}
