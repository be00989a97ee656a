import { EventEmitter } from 'node:events'

import type { VirtualClock } from './clock.ts'

/** A small, fast seeded PRNG (sfc32 seeded through splitmix32): the same seed gives the same run. */
export function prng(seed: number): () => number {
  let s = seed >>> 0
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split()
  let b = split()
  let c = split()
  let d = split()
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t / 4294967296
  }
}

/** A 32-bit mix of three integers (per-link values without storing N^2 links). */
function mix(seed: number, x: number, y: number): number {
  let h = (seed ^ Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1)) >>> 0
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

export interface NetworkOptions {
  seed: number
  /** One-way latency of a link is lognormal: median `medianMs`, shape `sigma` (fixed per link, both directions). */
  medianMs: number
  sigma: number
  /** Per-packet queueing jitter: exponential with this mean (ms), added to the link latency. */
  jitterMs: number
  /** Probability that a packet is lost (independent per packet). */
  loss: number
}

export const DEFAULT_NETWORK: NetworkOptions = { seed: 1, medianMs: 40, sigma: 0.5, jitterMs: 2, loss: 0 }

/** Virtual IPv4 address of host number `i` (1-based): 10.x.y.z. */
export function ipOf(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`
}

function ipNum(ip: string): number {
  const p = ip.split('.')
  return ((Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0
}

/**
 * One virtual IPv4 network: sockets by `ip:port`, every packet delivered through the virtual clock after its
 * link latency plus jitter (or lost). A host that is `kill`ed stops sending and receiving at once (a crash:
 * nothing is said to its peers).
 */
export class SimNetwork {
  readonly clock: VirtualClock
  readonly opts: NetworkOptions
  readonly #sockets = new Map<string, SimSocket>()
  readonly #dead = new Set<string>()
  readonly #rand: () => number
  /** Packets sent, delivered, and dropped (lost, to a dead host or to a closed port). */
  sent = 0
  delivered = 0
  lost = 0
  unreachable = 0

  constructor(clock: VirtualClock, opts: Partial<NetworkOptions> = {}) {
    this.clock = clock
    this.opts = { ...DEFAULT_NETWORK, ...opts }
    this.#rand = prng(this.opts.seed ^ 0x5eed)
  }

  /** The fixed one-way latency of the link between two hosts (ms; symmetric). */
  linkLatency(a: string, b: string): number {
    const x = ipNum(a)
    const y = ipNum(b)
    const h1 = mix(this.opts.seed, Math.min(x, y), Math.max(x, y))
    const h2 = mix(this.opts.seed ^ 0xa5a5a5a5, Math.max(x, y), Math.min(x, y))
    // Box-Muller from two per-link uniforms in (0, 1).
    const u1 = (h1 + 1) / 4294967297
    const u2 = (h2 + 1) / 4294967297
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
    return this.opts.medianMs * Math.exp(this.opts.sigma * z)
  }

  host(ip: string): SimUdx {
    return new SimUdx(this, ip)
  }

  isDead(ip: string): boolean {
    return this.#dead.has(ip)
  }

  /** Crashes a host: its sockets stop receiving and sending from now on. */
  kill(ip: string): void {
    this.#dead.add(ip)
  }

  register(s: SimSocket, port: number): void {
    const key = `${s.udx.ip}:${port}`
    if (this.#sockets.has(key)) throw Object.assign(new Error(`bind EADDRINUSE ${key}`), { code: 'EADDRINUSE' })
    this.#sockets.set(key, s)
  }

  unregister(s: SimSocket): void {
    const key = `${s.udx.ip}:${s.port}`
    if (this.#sockets.get(key) === s) this.#sockets.delete(key)
  }

  send(from: SimSocket, buf: Uint8Array, port: number, host: string): void {
    const src = from.udx.ip
    if (this.#dead.has(src)) return
    this.sent++
    from.udx.sent++
    if (this.opts.loss > 0 && this.#rand() < this.opts.loss) {
      this.lost++
      return
    }
    const jitter = this.opts.jitterMs > 0 ? -Math.log(1 - this.#rand()) * this.opts.jitterMs : 0
    const delay = (host === src ? 0.05 : this.linkLatency(src, host)) + jitter
    const rinfo = { host: src, port: from.port, family: 4 }
    this.clock.schedule(() => this.#deliver(buf, port, host, rinfo), delay)
  }

  #deliver(buf: Uint8Array, port: number, host: string, rinfo: { host: string; port: number; family: number }): void {
    const to = this.#sockets.get(`${host}:${port}`)
    if (!to || this.#dead.has(host) || to.closed) {
      this.unreachable++
      return
    }
    this.delivered++
    to.udx.received++
    to.emit('message', buf, rinfo)
  }
}

/** The part of udx-native's UDX that dht-rpc and hyperdht use, for one virtual host. */
export class SimUdx {
  readonly net: SimNetwork
  readonly ip: string
  sent = 0
  received = 0
  #nextPort = 49152

  constructor(net: SimNetwork, ip: string) {
    this.net = net
    this.ip = ip
  }

  static isIPv4(host: string): boolean {
    return /^\d+\.\d+\.\d+\.\d+$/.test(host)
  }

  createSocket(): SimSocket {
    return new SimSocket(this)
  }

  allocatePort(): number {
    return this.#nextPort++
  }

  networkInterfaces(): Array<{ name: string; host: string; family: number; internal: boolean }> {
    return [
      { name: 'lo', host: '127.0.0.1', family: 4, internal: true },
      { name: 'eth0', host: this.ip, family: 4, internal: false },
    ]
  }

  watchNetworkInterfaces(): EventEmitter & { interfaces: ReturnType<SimUdx['networkInterfaces']>; destroy(): void } {
    const w = new EventEmitter() as EventEmitter & { interfaces: ReturnType<SimUdx['networkInterfaces']>; destroy(): void }
    w.interfaces = this.networkInterfaces()
    w.destroy = () => w.removeAllListeners()
    return w
  }

  async lookup(host: string): Promise<{ host: string; family: number }> {
    if (SimUdx.isIPv4(host)) return { host, family: 4 }
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
  }
}

/** A virtual UDP socket (udx-native's UDXSocket surface: bind, address, send, trySend, close, 'message'). */
export class SimSocket extends EventEmitter {
  readonly udx: SimUdx
  port = 0
  bound = false
  closed = false
  idle = true
  busy = false

  constructor(udx: SimUdx) {
    super()
    this.udx = udx
  }

  bind(port = 0, host = '0.0.0.0'): void {
    if (this.bound) throw new Error('Already bound')
    if (host !== '0.0.0.0' && host !== this.udx.ip) throw Object.assign(new Error(`bind EADDRNOTAVAIL ${host}`), { code: 'EADDRNOTAVAIL' })
    const p = port === 0 ? this.udx.allocatePort() : port
    this.udx.net.register(this, p)
    this.port = p
    this.bound = true
    this.emit('listening')
  }

  address(): { host: string; family: number; port: number } {
    return { host: this.udx.ip, family: 4, port: this.port }
  }

  trySend(buf: Uint8Array, port: number, host: string): void {
    if (this.closed || !this.bound) return
    this.udx.net.send(this, buf, port, host)
  }

  async send(buf: Uint8Array, port: number, host: string): Promise<boolean> {
    this.trySend(buf, port, host)
    return !this.closed
  }

  setTTL(): void {}

  getRecvBufferSize(): number {
    return 1 << 20
  }

  getSendBufferSize(): number {
    return 1 << 20
  }

  ref(): this {
    return this
  }

  unref(): this {
    return this
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.bound) this.udx.net.unregister(this)
    this.emit('close')
  }
}
