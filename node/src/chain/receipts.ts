import { randomBytes } from 'node:crypto'

import { typedData } from '@dcmx/deployments'
import { concat, hashMessage, keccak256, toBytes, toHex, zeroAddress } from 'viem'
import type { Address, Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

import { CLIENT_AUTH_HEADER } from '../api/receipts.ts'
import type { ReceiptAccepted, ReceiptSubmission, SignedReceipt } from '../api/receipts.ts'
import { ForbiddenError, ValidationError } from '../core/errors.ts'
import { http } from '../core/http.ts'
import type { Logger } from '../core/logger.ts'
import type { PeerTable } from '../mesh/peer-table.ts'
import type { Db } from '../storage/db.ts'
import { ReceiptStream, StreamRefusedError } from './receipt-stream.ts'
import { assertCanonicalSignature } from './signatures.ts'
import { receiptDigest, receiptDomainSeparator, ReceiptSignatures } from './receipts-crypto.ts'
import { transaction } from '../storage/db.ts'
import { protocolAbi } from './contracts.ts'
import type { ChainService } from './service.ts'

/**
 * Bandwidth receipts between nodes (see node/README.md, "Bandwidth receipts").
 *
 * Client side: while this node downloads verified bytes from a staked server, it signs cumulative EIP-712
 * `Receipt(server, client, epoch, cumulativeBytes, servedRoot, nonce)` for it and POSTs them to the server's
 * `/receipts`; it identifies itself on `/content` with a signed, single-use `x-dcmx-client` header.
 *
 * Server side: a staked client of another operator is served at most `windowBytes` ahead of its last valid
 * receipt, which is checked (signature, stake, operator, epoch, bytes served, monotonic) and persisted before the
 * window grows. Everyone else (browsers, unstaked nodes, bad headers never reach here: refused) is served at the
 * operator's free rate (token bucket per client or IP) and earns this node nothing.
 *
 * servedRoot = keccak256(concat(sorted distinct content hashes served to the client in the epoch)): order-free, so
 * both sides compute it from the set whatever the order of their concurrent fetches; the client sends the list.
 */

export interface ReceiptsComponents {
  db: Db
  account: PrivateKeyAccount
  logger: Logger
  chain: ChainService
  peers: PeerTable
}

export interface ReceiptsInit {
  /** Bytes served to a staked client ahead of its last valid receipt. */
  windowBytes: number
  /** Bytes per second served to a client that signs nothing (per client address or IP); 0: unlimited. */
  freeRateBytesPerSec: number
  /** The client signs a new receipt every this many verified bytes (and at the end of each download). */
  signEveryBytes: number
  /** How long the server holds a stream at the window waiting for a receipt before it cuts the client off. */
  receiptWaitMs: number
  /** How long stake lookups are cached. */
  stakeCacheMs: number
  /** How often the epoch is re-read from the chain. */
  pollMs: number
}

/** How much of a /content response may be sent now; `grant` resolves 0 when the client is cut off. */
export interface ServeGate {
  readonly mode: 'receipts' | 'free' | 'open'
  /** The receipts window (mode `receipts`), announced to the client so it signs well before the server waits. */
  readonly windowBytes?: number
  /** The most one grant gives (a sender reads no more than this at a time). */
  readonly slice: number
  grant(want: number, signal?: AbortSignal): Promise<number>
  /** Gives back granted bytes that were not sent (the client went away). */
  unsent(n: number): void
}

const AUTH_MAX_SKEW_SEC = 60
/** How often the bytes served to a metered client are written to SQLite while it streams. */
const SAVE_SERVED_MS = 250
/** A client's receipt stream is replaced after this long (servers cut a request at their request timeout, 30 s by default). */
const STREAM_ROTATE_MS = 20_000
/** ... and ended after this long without a receipt. */
const STREAM_IDLE_MS = 5_000
/** A server without the receipt stream is asked again after this long (it may have been upgraded). */
const NO_STREAM_RETRY_MS = 10 * 60_000
/** Receipts on the wire at once to one server. */
const MAX_POSTS = 3
/** The most often a client signs for a server, whatever window the server announces. */
const MIN_SIGN_EVERY = 512 << 10
const FREE_SLICE = 64 << 10
const WINDOW_SLICE = 1 << 20

const SCHEMA = `
CREATE TABLE IF NOT EXISTS receipts_held (
  epoch INTEGER NOT NULL,
  client TEXT NOT NULL,
  served INTEGER NOT NULL DEFAULT 0,
  cumulative INTEGER NOT NULL DEFAULT 0,
  nonce INTEGER NOT NULL DEFAULT 0,
  served_root TEXT,
  signature TEXT,
  contents TEXT NOT NULL DEFAULT '[]',
  served_hashes TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (epoch, client)
);
CREATE TABLE IF NOT EXISTS receipts_signed (
  epoch INTEGER NOT NULL,
  server TEXT NOT NULL,
  cumulative INTEGER NOT NULL,
  nonce INTEGER NOT NULL,
  contents TEXT NOT NULL,
  PRIMARY KEY (epoch, server)
);
`

/** The commitment to the content served: keccak256 of the sorted distinct 32-byte content hashes. */
export function servedRootOf(hashes: Iterable<string>): Hex {
  const sorted = [...new Set(hashes)].sort()
  return keccak256(concat(sorted.map((h) => `0x${h}` as Hex)))
}

/** The message a client signs to identify itself on GET /content (bound to server, content, offset and time). */
export function contentAuthMessage(server: string, hash: string, start: number, ts: number, nonce: string): string {
  return `DCMX content ${server.toLowerCase()} ${hash} ${start} ${ts} ${nonce}`
}

/** Caches keyed by peer-chosen values stay bounded: past the limit, the oldest entries go. */
const CACHE_LIMIT = 10_000
/** How long a failed stake lookup (the RPC is down) makes the next ones fail at once. */
const STAKE_FAILURE_CACHE_MS = 5_000
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key)
  map.set(key, value)
  while (map.size > CACHE_LIMIT) map.delete(map.keys().next().value as K)
}

interface Held {
  served: number
  cumulative: number
  nonce: number
  signature: string | null
  servedHashes: Set<string>
  waiters: Array<() => void>
}

interface Signed {
  cumulative: number
  nonce: number
  contents: Set<string>
  sentCumulative: number
  inflight: Promise<void> | undefined
  /** A download ended: the next send covers everything verified, however little. */
  final: boolean
  /** Wakes the running send loop: more bytes became due while its receipts are on the wire. */
  wake: (() => void) | undefined
}

export interface HeldReceipt {
  client: Address
  cumulativeBytes: bigint
  nonce: bigint
  servedRoot: Hex
  signature: Hex
}

export class ReceiptService {
  readonly #c: ReceiptsComponents
  readonly #init: ReceiptsInit
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined
  #epoch: number | undefined
  #times = new Map<number, { start: number; end: number; settlesAt: number }>()
  /** Chain time (s) at `#clockAt` (ms, local). */
  #chainTime = 0
  #clockAt = 0
  #stake = new Map<string, { active: Address; operator: Address; at: number }>()
  #stakeReads = new Map<string, Promise<{ active: Address; operator: Address; at: number }>>()
  #held = new Map<string, Held>()
  #signed = new Map<string, Signed>()
  /** The window each metering server announced (bytes), by lower-case address. */
  #windows = new Map<string, number>()
  #buckets = new Map<string, { tokens: number; at: number }>()
  /** Whether this node was an active staked node at its last content request (clients only sign when it is). */
  #selfActive = false
  #seenAuth = new Map<string, number>()
  #seenAuthSweptAt = 0
  /** Until when stake lookups fail at once after an RPC failure. */
  #stakeDownUntil = 0
  #refreshing: Promise<void> | undefined
  /** Signature checks of content headers and receipts (libsecp256k1's recovery, src/core/secp256k1.ts). */
  readonly #sigs = new ReceiptSignatures()
  /** Receipt streams by server (lower-case address), each ended after STREAM_IDLE_MS without a receipt. */
  #streams = new Map<string, { stream: ReceiptStream; idle: NodeJS.Timeout }>()
  /** Servers that had no receipt stream (older nodes), and when: receipts go to them by POST /receipts for a while. */
  #noStream = new Map<string, number>()
  /** Keep-alive connections for POST /receipts (a fresh fetch per receipt cost ~1-2 ms of the round trip). */
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: MAX_POSTS })
  /** Counters for metrics. */
  readonly stats = { accepted: 0, refused: 0, signed: 0, streamed: 0, sendFailures: 0, cutOff: 0, windowWaits: 0, windowWaitMs: 0, signMs: 0, postMs: 0, acceptMs: 0 }

  constructor(components: ReceiptsComponents, init: ReceiptsInit) {
    this.#c = components
    this.#init = init
    this.#log = components.logger.child({ component: 'receipts' })
    this.#c.db.exec(SCHEMA)
  }

  get epoch(): number | undefined {
    return this.#epoch
  }

  /** Seconds on the chain's clock now (from the last block read, advanced by local time). */
  chainNow(): number {
    return this.#chainTime + (Date.now() - this.#clockAt) / 1000
  }

  epochTimes(epoch: number): { start: number; end: number; settlesAt: number } | undefined {
    return this.#times.get(epoch)
  }

  async start(): Promise<void> {
    await this.refresh().catch((err: unknown) => this.#log.warn({ err: (err as Error).message.split('\n')[0] }, 'cannot read the epoch yet'))
    // The timer only refreshes when nothing is in flight, so a slow RPC does not pile reads up.
    this.#timer = setInterval(() => {
      if (!this.#refreshing) void this.refresh().catch(() => {})
      // This node's own stake is re-read in the background before its cache expires: a download never waits on
      // that RPC read for its client header (nor a request this node serves on it).
      const self = this.#stake.get(this.#c.account.address.toLowerCase())
      if (self && Date.now() - self.at > this.#init.stakeCacheMs / 2) void this.stakeOf(this.#c.account.address, { fresh: true }).catch(() => {})
    }, this.#init.pollMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    for (const { run } of [...this.#pendingSave.values()]) run()
    for (const h of this.#held.values()) for (const w of h.waiters.splice(0)) w()
    await Promise.allSettled([...this.#signed.values()].map((s) => s.inflight))
    for (const { stream, idle } of this.#streams.values()) {
      clearTimeout(idle)
      stream.end()
    }
    this.#streams.clear()
    this.#agent.destroy()
  }

  /** Re-reads the current epoch, its times and the chain clock. */
  refresh(): Promise<void> {
    // A caller gets a read that starts after its call: one already in flight may have read the chain before the
    // caller's last transaction or time jump, so it is queued behind, not shared.
    const run = (this.#refreshing ?? Promise.resolve()).catch(() => {}).then(() => this.#refresh())
    this.#refreshing = run
    void run
      .finally(() => {
        if (this.#refreshing === run) this.#refreshing = undefined
      })
      .catch(() => {})
    return run
  }

  async #refresh(): Promise<void> {
    const { publicClient, contracts } = this.#c.chain
    const block = await publicClient.getBlock({ blockTag: 'latest' })
    this.#chainTime = Number(block.timestamp)
    this.#clockAt = Date.now()
    const epoch = Number(await publicClient.readContract({ address: contracts.BandwidthRewards, abi: protocolAbi, functionName: 'currentEpoch' }))
    for (const e of [epoch, epoch - 1]) {
      if (e < 0 || this.#times.has(e)) continue
      const [start, end, settlesAt] = (await publicClient.readContract({
        address: contracts.BandwidthRewards,
        abi: protocolAbi,
        functionName: 'epochTimes',
        args: [e],
      })) as [bigint, bigint, bigint]
      this.#times.set(e, { start: Number(start), end: Number(end), settlesAt: Number(settlesAt) })
    }
    this.#epoch = epoch
  }

  /**
   * `node`'s active operator (zero if not active) and operator, cached for `stakeCacheMs`; `fresh` reads the chain
   * again (the cached answer stays in use until the new one lands). Concurrent lookups of one node share one read.
   */
  stakeOf(node: string, opts: { fresh?: boolean } = {}): Promise<{ active: Address; operator: Address }> {
    const key = node.toLowerCase()
    const hit = this.#stake.get(key)
    if (!opts.fresh && hit && Date.now() - hit.at < this.#init.stakeCacheMs) return Promise.resolve(hit)
    // A fresh read never joins one already running: that one may have started before the change it must see.
    let p = opts.fresh ? undefined : this.#stakeReads.get(key)
    if (!p) {
      const read = this.#readStake(node, key).finally(() => {
        if (this.#stakeReads.get(key) === read) this.#stakeReads.delete(key)
      })
      this.#stakeReads.set(key, read)
      p = read
    }
    return p
  }

  async #readStake(node: string, key: string): Promise<{ active: Address; operator: Address; at: number }> {
    // While the chain is unreachable, fail fast: serving must not wait on an RPC timeout for every request.
    if (Date.now() < this.#stakeDownUntil) throw new Error('chain unreachable (cached)')
    const { publicClient, contracts } = this.#c.chain
    const started = Date.now()
    let active: Address
    let operator: Address
    try {
      ;[active, operator] = (await Promise.all([
        publicClient.readContract({ address: contracts.NodeStaking, abi: protocolAbi, functionName: 'activeOperatorOf', args: [node as Address] }),
        publicClient.readContract({ address: contracts.NodeStaking, abi: protocolAbi, functionName: 'operatorOf', args: [node as Address] }),
      ])) as [Address, Address]
    } catch (err) {
      this.#stakeDownUntil = Date.now() + STAKE_FAILURE_CACHE_MS
      throw err
    }
    // Aged from when the read started; an older read landing after a newer one does not replace it.
    const v = { active, operator, at: started }
    if ((this.#stake.get(key)?.at ?? -1) <= started) boundedSet(this.#stake, key, v)
    return v
  }

  forgetStake(node?: string): void {
    if (node) this.#stake.delete(node.toLowerCase())
    else this.#stake.clear()
  }

  // ---------------------------------------------------------------- server side

  /**
   * Decides how a GET /content request is served. A present but invalid client header is refused (403): nobody
   * spends another client's window. Resolves `open` (no limit) when this node is not itself an active staked node
   * or the epoch is unknown (the chain is down at start): it has nothing to earn, so nothing to meter.
   */
  async admit(headers: Record<string, string | string[] | undefined>, ip: string, hash: string, start: number): Promise<ServeGate> {
    const raw = headers[CLIENT_AUTH_HEADER]
    const client = typeof raw === 'string' ? await this.#authenticate(raw, hash, start) : undefined
    const epoch = this.#epoch
    const self = await this.stakeOf(this.#c.account.address).catch(() => undefined)
    if (epoch === undefined || !self || self.active === zeroAddress) return { mode: 'open', slice: Infinity, grant: async (want) => want, unsent: () => {} }
    if (client && client.toLowerCase() !== this.#c.account.address.toLowerCase()) {
      const s = await this.stakeOf(client).catch(() => undefined)
      if (s && s.active !== zeroAddress && s.active.toLowerCase() !== self.operator.toLowerCase()) return this.#windowGate(client, hash)
    }
    // Unearning clients share their IP's bucket: a fresh key per request must not buy a fresh free allowance.
    return this.#freeGate(ip)
  }

  async #authenticate(value: string, hash: string, start: number): Promise<Address> {
    const m = /^(0x[0-9a-fA-F]{40}):([0-9]{1,12}):([0-9a-f]{16}):(0x[0-9a-fA-F]{130})$/.exec(value)
    if (!m) throw new ValidationError(`Malformed ${CLIENT_AUTH_HEADER} header`)
    const [, claimed, tsText, nonce, sig] = m as unknown as [string, Address, string, string, Hex]
    const ts = Number(tsText)
    const now = Date.now() / 1000
    if (Math.abs(now - ts) > AUTH_MAX_SKEW_SEC) throw new ForbiddenError(`${CLIENT_AUTH_HEADER} header expired`)
    // Expired entries are swept at most once a second, not on every request.
    if (now - this.#seenAuthSweptAt >= 1) {
      this.#seenAuthSweptAt = now
      for (const [k, exp] of this.#seenAuth) if (exp < now) this.#seenAuth.delete(k)
    }
    // Keyed by r and s: the same signature with v written as 0/1 instead of 27/28 is the same signature.
    const seen = sig.slice(0, 130).toLowerCase()
    if (this.#seenAuth.has(seen)) throw new ForbiddenError(`${CLIENT_AUTH_HEADER} header replayed`)
    const digest = toBytes(hashMessage(contentAuthMessage(this.#c.account.address, hash, start, ts, nonce)))
    if (!(await this.#sigs.verify(claimed, digest, sig))) throw new ForbiddenError(`${CLIENT_AUTH_HEADER} signature is not ${claimed}'s`)
    // Again after the check's await: of two copies sent at once, only the first to get here is served.
    if (this.#seenAuth.has(seen)) throw new ForbiddenError(`${CLIENT_AUTH_HEADER} header replayed`)
    this.#seenAuth.set(seen, ts + 2 * AUTH_MAX_SKEW_SEC)
    return claimed
  }

  #heldKey(epoch: number, client: string): string {
    return `${epoch}:${client.toLowerCase()}`
  }

  #heldState(epoch: number, client: string): Held {
    const key = this.#heldKey(epoch, client)
    let h = this.#held.get(key)
    if (!h) {
      const row = this.#c.db
        .prepare('SELECT served, cumulative, nonce, signature, served_hashes FROM receipts_held WHERE epoch = ? AND client = ?')
        .get(epoch, client.toLowerCase()) as { served: number; cumulative: number; nonce: number; signature: string | null; served_hashes: string } | undefined
      h = {
        served: row?.served ?? 0,
        cumulative: row?.cumulative ?? 0,
        nonce: row?.nonce ?? 0,
        signature: row?.signature ?? null,
        servedHashes: new Set(row ? (JSON.parse(row.served_hashes) as string[]) : []),
        waiters: [],
      }
      this.#held.set(key, h)
    }
    return h
  }

  #saveServed(epoch: number, client: string, h: Held): void {
    this.#c.db
      .prepare(
        `INSERT INTO receipts_held (epoch, client, served, served_hashes, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (epoch, client) DO UPDATE SET served = excluded.served, served_hashes = excluded.served_hashes, updated_at = excluded.updated_at`,
      )
      .run(epoch, client.toLowerCase(), h.served, JSON.stringify([...h.servedHashes]), Date.now())
  }

  #windowGate(client: Address, hash: string): ServeGate {
    const window = this.#init.windowBytes
    let lastEpoch: number | undefined
    return {
      mode: 'receipts',
      windowBytes: window,
      slice: WINDOW_SLICE,
      grant: async (want, signal) => {
        const deadline = Date.now() + this.#init.receiptWaitMs
        for (;;) {
          const epoch = this.#epoch as number
          lastEpoch = epoch
          const h = this.#heldState(epoch, client)
          const allowed = h.cumulative + window - h.served
          if (allowed > 0) {
            const n = Math.min(want, allowed, WINDOW_SLICE)
            h.served += n
            const fresh = !h.servedHashes.has(hash)
            h.servedHashes.add(hash)
            // A new content is stored at once; the byte count is saved at most every SAVE_SERVED_MS (a write per MiB
            // cost ~1 ms each on the serving loop). Losing the tail in a crash only under-counts what was served,
            // so receipts above it are refused: never an over-claim.
            if (fresh) this.#saveServed(epoch, client, h)
            else this.#saveServedLater(epoch, client, h)
            return n
          }
          const left = deadline - Date.now()
          if (left <= 0 || signal?.aborted) {
            this.stats.cutOff++
            this.#log.info({ client, epoch, served: h.served, receipted: h.cumulative }, 'client at its window without a receipt: cut off')
            this.#saveServed(epoch, client, h)
            return 0
          }
          const waitedFrom = performance.now()
          this.stats.windowWaits++
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.min(left, 1000))
            h.waiters.push(() => {
              clearTimeout(t)
              resolve()
            })
          })
          this.stats.windowWaitMs += performance.now() - waitedFrom
        }
      },
      unsent: (n) => {
        if (lastEpoch === undefined) return
        const h = this.#heldState(lastEpoch, client)
        h.served = Math.max(h.cumulative, h.served - n)
        this.#saveServed(lastEpoch, client, h)
      },
    }
  }

  #pendingSave = new Map<string, { run: () => void; timer: NodeJS.Timeout }>()
  #saveServedLater(epoch: number, client: string, h: Held): void {
    const key = this.#heldKey(epoch, client)
    if (this.#pendingSave.has(key)) return
    const run = () => {
      clearTimeout(this.#pendingSave.get(key)?.timer)
      this.#pendingSave.delete(key)
      this.#saveServed(epoch, client, h)
    }
    const timer = setTimeout(run, SAVE_SERVED_MS)
    timer.unref()
    this.#pendingSave.set(key, { run, timer })
  }

  #freeGate(key: string): ServeGate {
    const rate = this.#init.freeRateBytesPerSec
    if (rate === 0) return { mode: 'free', slice: Infinity, grant: async (want) => want, unsent: () => {} }
    return {
      mode: 'free',
      slice: Math.min(FREE_SLICE, rate),
      grant: async (want, signal) => {
        const need = Math.min(want, FREE_SLICE, rate)
        for (;;) {
          const now = Date.now()
          const b = this.#buckets.get(key) ?? { tokens: rate, at: now }
          b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate)
          b.at = now
          boundedSet(this.#buckets, key, b)
          if (b.tokens >= need) {
            b.tokens -= need
            return need
          }
          if (signal?.aborted) return 0
          await new Promise((r) => setTimeout(r, Math.ceil(((need - b.tokens) / rate) * 1000)))
        }
      },
      unsent: () => {},
    }
  }

  /** Checks a client's receipt and stores it (POST /receipts); throws 400/403 before storing anything bad. */
  async accept(sub: ReceiptSubmission): Promise<ReceiptAccepted> {
    const t0 = performance.now()
    try {
      return await this.#accept(sub)
    } finally {
      this.stats.acceptMs += performance.now() - t0
    }
  }

  async #accept(sub: ReceiptSubmission): Promise<ReceiptAccepted> {
    const r = sub.receipt
    const self = this.#c.account.address
    if (r.server.toLowerCase() !== self.toLowerCase()) throw new ForbiddenError(`Receipt is for server ${r.server}, not this node`)
    if (r.client.toLowerCase() === self.toLowerCase()) throw new ForbiddenError('A node cannot sign receipts for itself')
    const current = this.#epoch
    if (current === undefined) throw new ForbiddenError('This node does not know the current epoch (chain unreachable)')
    const prev = this.#times.get(current - 1)
    const open = r.epoch === current || (r.epoch === current - 1 && prev !== undefined && this.chainNow() < prev.settlesAt)
    if (!open) throw new ForbiddenError(`Epoch ${r.epoch} is not open for receipts (current ${current})`)
    const sorted = [...new Set(sub.contents)].sort()
    if (sorted.length !== sub.contents.length || sorted.some((h, i) => h !== sub.contents[i])) {
      throw new ValidationError('contents must be ascending and distinct')
    }
    if (servedRootOf(sorted) !== r.servedRoot.toLowerCase()) throw new ForbiddenError('servedRoot does not commit to the listed contents')
    assertCanonicalSignature(r.signature as Hex)
    // Checked here, on the event loop (src/chain/receipts-crypto.ts: libsecp256k1's recovery, ~0.2 ms). A worker thread
    // for it made the receipt round trip, which the server's window waits on, longer (8 -> 11-14 ms measured with the
    // JavaScript check: message hops, its own cold JIT, a third busy thread on 2 cores).
    let digest: Uint8Array
    try {
      digest = receiptDigest(this.#domain(), r)
    } catch (err) {
      throw new ValidationError((err as Error).message)
    }
    if (!(await this.#sigs.verify(r.client as Address, digest, r.signature as Hex))) {
      this.stats.refused++
      throw new ForbiddenError(`Receipt signature is not ${r.client}'s`)
    }
    const [client, mine] = await Promise.all([this.stakeOf(r.client), this.stakeOf(self)])
    if (client.active === zeroAddress) throw new ForbiddenError(`Client ${r.client} is not an active staked node`)
    if (client.active.toLowerCase() === mine.operator.toLowerCase()) throw new ForbiddenError(`Client ${r.client} belongs to this node's operator`)
    const h = this.#heldState(r.epoch, r.client)
    const cumulative = Number(r.cumulativeBytes)
    const nonce = Number(r.nonce)
    if (h.signature !== null && h.signature.toLowerCase() === r.signature.toLowerCase()) {
      return this.#acceptedView(r.epoch, h)
    }
    const refuse = (msg: string): never => {
      this.stats.refused++
      throw new ForbiddenError(msg)
    }
    if (cumulative > h.served) refuse(`Receipt claims ${cumulative} bytes; this node served ${r.client} ${h.served} in epoch ${r.epoch}`)
    if (cumulative < h.cumulative || nonce <= h.nonce) refuse(`Receipt is older than the one held (bytes ${h.cumulative}, nonce ${h.nonce})`)
    for (const c of sorted) if (!h.servedHashes.has(c)) refuse(`Receipt lists content ${c} this node did not serve ${r.client}`)
    // Persist first: the window grows only once the receipt is on disk.
    transaction(this.#c.db, () => {
      this.#c.db
        .prepare(
          `INSERT INTO receipts_held (epoch, client, served, cumulative, nonce, served_root, signature, contents, served_hashes, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (epoch, client) DO UPDATE SET served = excluded.served, cumulative = excluded.cumulative, nonce = excluded.nonce,
             served_root = excluded.served_root, signature = excluded.signature, contents = excluded.contents,
             served_hashes = excluded.served_hashes, updated_at = excluded.updated_at`,
        )
        .run(r.epoch, r.client.toLowerCase(), h.served, cumulative, nonce, r.servedRoot.toLowerCase(), r.signature, JSON.stringify(sorted), JSON.stringify([...h.servedHashes]), Date.now())
    })
    h.cumulative = cumulative
    h.nonce = nonce
    h.signature = r.signature
    this.stats.accepted++
    for (const w of h.waiters.splice(0)) w()
    return this.#acceptedView(r.epoch, h)
  }

  #acceptedView(epoch: number, h: Held): ReceiptAccepted {
    return {
      accepted: true,
      epoch,
      cumulativeBytes: String(h.cumulative),
      windowBytes: String(Math.max(0, h.cumulative + this.#init.windowBytes - h.served)),
    }
  }

  #domainSeparator: Uint8Array | undefined
  #domain(): Uint8Array {
    this.#domainSeparator ??= receiptDomainSeparator(this.#c.chain.chainId, this.#c.chain.contracts.BandwidthRewards)
    return this.#domainSeparator
  }

  #typed(r: Pick<SignedReceipt, 'server' | 'client' | 'epoch' | 'cumulativeBytes' | 'servedRoot' | 'nonce'>) {
    return {
      domain: { ...typedData.receipt.domain, chainId: this.#c.chain.chainId, verifyingContract: this.#c.chain.contracts.BandwidthRewards },
      types: typedData.receipt.types,
      primaryType: typedData.receipt.primaryType,
      message: {
        server: r.server as Address,
        client: r.client as Address,
        epoch: r.epoch,
        cumulativeBytes: BigInt(r.cumulativeBytes),
        servedRoot: r.servedRoot as Hex,
        nonce: BigInt(r.nonce),
      },
    } as const
  }

  /** The signed receipts held for `epoch`, ascending by client (as `submitReceipts` requires). */
  held(epoch: number): HeldReceipt[] {
    const rows = this.#c.db
      .prepare('SELECT client, cumulative, nonce, served_root, signature FROM receipts_held WHERE epoch = ? AND signature IS NOT NULL ORDER BY client')
      .all(epoch) as { client: string; cumulative: number; nonce: number; served_root: string; signature: string }[]
    return rows
      .filter((r) => r.cumulative > 0)
      .map((r) => ({ client: r.client as Address, cumulativeBytes: BigInt(r.cumulative), nonce: BigInt(r.nonce), servedRoot: r.served_root as Hex, signature: r.signature as Hex }))
  }

  /** Epochs with signed receipts held, and totals (for status and metrics). */
  heldEpochs(): { epoch: number; clients: number; bytes: number }[] {
    return this.#c.db
      .prepare('SELECT epoch, COUNT(*) AS clients, SUM(cumulative) AS bytes FROM receipts_held WHERE signature IS NOT NULL GROUP BY epoch ORDER BY epoch')
      .all() as { epoch: number; clients: number; bytes: number }[]
  }

  // ---------------------------------------------------------------- client side

  /** Headers identifying this node on GET /content to `server` (none unless this node is an active staked node). */
  async contentHeaders(server: string, hash: string, start: number): Promise<Record<string, string>> {
    const self = await this.stakeOf(this.#c.account.address).catch(() => undefined)
    this.#selfActive = self !== undefined && self.active !== zeroAddress
    if (!self || self.active === zeroAddress) return {}
    const ts = Math.floor(Date.now() / 1000)
    // A fresh nonce: the same range asked twice in one second must not read as a replay (signatures are deterministic).
    const nonce = randomBytes(8).toString('hex')
    const sig = await this.#c.account.signMessage({ message: contentAuthMessage(server, hash, start, ts, nonce) })
    return { [CLIENT_AUTH_HEADER]: `${this.#c.account.address}:${ts}:${nonce}:${sig}` }
  }

  /** A metering server announced its window: receipts for it are signed at least every half window. */
  serverWindow(server: string, bytes: number): void {
    if (Number.isSafeInteger(bytes) && bytes > 0) boundedSet(this.#windows, server.toLowerCase(), bytes)
  }

  /**
   * `bytes` more of `hash` from `server` were verified; signs and sends a receipt every `signEveryBytes`, or every
   * half of the server's announced window if that is smaller (so the server never waits at its window for a
   * receipt still being signed), or now if `final`.
   */
  verified(server: string, hash: string, bytes: number, final = false): void {
    const epoch = this.#epoch
    // An unstaked node earns its servers nothing: no receipts to sign or send (as found by `contentHeaders`).
    if (epoch === undefined || !this.#selfActive || (bytes <= 0 && !final)) return
    const s = this.#signedState(epoch, server)
    if (bytes > 0) {
      s.cumulative += bytes
      s.contents.add(hash)
    }
    if (final) s.final = s.cumulative > s.sentCumulative || s.inflight !== undefined
    if (this.#due(server, s)) this.#send(epoch, server, s)
  }

  /** Whether `s` has enough unsigned bytes for a receipt (a running send re-checks when it finishes). */
  #due(server: string, s: Signed): boolean {
    const window = this.#windows.get(server.toLowerCase())
    // Half of the announced window (a receipt leaves while half the window is still open: enough for its one-way trip
    // on the content connection and the hash worker's lag; a quarter measured no better here, each receipt costing
    // ~2 ms of CPU on a 2-core box), but never below MIN_SIGN_EVERY: a server announcing a tiny window cannot make
    // this node sign a receipt every few KiB (the smallest window a node can be configured with is 1 MiB).
    const every = window === undefined ? this.#init.signEveryBytes : Math.min(this.#init.signEveryBytes, Math.max(MIN_SIGN_EVERY, Math.floor(window / 2)))
    return s.cumulative > s.sentCumulative && (s.final || s.cumulative - s.sentCumulative >= every)
  }

  /** Waits for the receipts being sent to `server` (or every server). */
  async flush(server?: string): Promise<void> {
    for (;;) {
      const busy = [...this.#signed.entries()].filter(([k, s]) => s.inflight && (!server || k.endsWith(server.toLowerCase()))).map(([, s]) => s.inflight)
      if (busy.length === 0) return
      await Promise.allSettled(busy)
    }
  }

  #signedState(epoch: number, server: string): Signed {
    const key = `${epoch}:${server.toLowerCase()}`
    let s = this.#signed.get(key)
    if (!s) {
      const row = this.#c.db.prepare('SELECT cumulative, nonce, contents FROM receipts_signed WHERE epoch = ? AND server = ?').get(epoch, server.toLowerCase()) as
        | { cumulative: number; nonce: number; contents: string }
        | undefined
      s = { cumulative: row?.cumulative ?? 0, nonce: row?.nonce ?? 0, contents: new Set(row ? (JSON.parse(row.contents) as string[]) : []), sentCumulative: row?.cumulative ?? 0, inflight: undefined, final: false, wake: undefined }
      this.#signed.set(key, s)
    }
    return s
  }

  #send(epoch: number, server: string, s: Signed): void {
    // The running send signs what accumulated as soon as it has room on the wire (before, it only looked again when
    // a receipt was answered, so one receipt at a time was on the wire and the server waited at its window).
    if (s.inflight) return s.wake?.()
    // A send that fails (its signing or its store write threw) is logged and retried with the next verified bytes: never
    // an unhandled rejection, which would end the process.
    s.inflight = this.#sendLoop(epoch, server, s)
      .catch((err: unknown) => {
        this.stats.sendFailures++
        this.#log.warn({ server, err: (err as Error).message }, 'receipt not signed')
      })
      .finally(() => (s.inflight = undefined))
  }

  async #sendLoop(epoch: number, server: string, s: Signed): Promise<void> {
    // Up to MAX_POSTS receipts on the wire per server: the next one is signed while the server checks the previous
    // one (one at a time put the whole round trip between the server's window and its next bytes). Should a later
    // one overtake an earlier one, the earlier is refused as older: harmless, the later covers it.
    const posts = new Set<Promise<void>>()
    for (;;) {
      while (this.#due(server, s) && posts.size < MAX_POSTS) {
        s.final = false
        const cumulative = s.cumulative
        const contents = [...s.contents].sort()
        const nonce = s.nonce + 1
        const receipt = {
          server: server as Address,
          client: this.#c.account.address,
          epoch,
          cumulativeBytes: String(cumulative),
          servedRoot: servedRootOf(contents),
          nonce: String(nonce),
        }
        // The digest by hand with the cached domain (src/chain/receipts-crypto.ts), signed as a raw hash.
        const t0 = performance.now()
        const signature = await this.#c.account.sign({ hash: toHex(receiptDigest(this.#domain(), receipt)) })
        this.stats.signMs += performance.now() - t0
        // Stored before it leaves: after a restart the next receipt continues above it.
        this.#c.db
          .prepare(
            `INSERT INTO receipts_signed (epoch, server, cumulative, nonce, contents) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (epoch, server) DO UPDATE SET cumulative = excluded.cumulative, nonce = excluded.nonce, contents = excluded.contents`,
          )
          .run(epoch, server.toLowerCase(), cumulative, nonce, JSON.stringify(contents))
        s.nonce = nonce
        s.sentCumulative = cumulative
        this.stats.signed++
        const p = this.#post(server, { receipt: { ...receipt, signature }, contents })
        posts.add(p)
        void p.finally(() => posts.delete(p))
      }
      if (posts.size === 0) return
      // A receipt answered, or more bytes became due: send what is due.
      await new Promise<void>((resolve) => {
        s.wake = resolve
        for (const p of posts) void p.finally(resolve)
      })
      s.wake = undefined
    }
  }

  /** The open receipt stream to `server` (a fresh one when it has none, it failed, or it is due for rotation). */
  #stream(key: string, peer: { host: string; port: number }): ReceiptStream {
    const held = this.#streams.get(key)
    let stream = held?.stream
    if (!stream || !stream.open || Date.now() - stream.openedAt > STREAM_ROTATE_MS) {
      stream?.end()
      stream = new ReceiptStream(peer)
    }
    clearTimeout(held?.idle)
    const s = stream
    const idle = setTimeout(() => {
      s.end()
      if (this.#streams.get(key)?.stream === s) this.#streams.delete(key)
    }, STREAM_IDLE_MS)
    idle.unref()
    this.#streams.set(key, { stream, idle })
    return stream
  }

  async #post(server: string, body: ReceiptSubmission): Promise<void> {
    const peer = this.#c.peers.get(server)
    if (!peer) return
    const key = server.toLowerCase()
    const t0 = performance.now()
    // On the server's receipt stream (one request for many receipts); by POST /receipts when the server has no stream
    // (an older node) or the stream failed before answering (the same receipt again is harmless: it is taken once).
    if (Date.now() - (this.#noStream.get(key) ?? 0) > NO_STREAM_RETRY_MS) {
      try {
        const answer = await this.#stream(key, peer.record).send(body)
        this.stats.streamed++
        if (!answer.ok) {
          this.stats.sendFailures++
          this.#log.debug({ server, status: answer.status, error: answer.error }, 'receipt refused')
        }
        this.stats.postMs += performance.now() - t0
        return
      } catch (err) {
        if (err instanceof StreamRefusedError && err.status === 404) boundedSet(this.#noStream, key, Date.now())
        this.#log.debug({ server, err: (err as Error).message }, 'receipt stream failed: sending by POST')
      }
    }
    const payload = Buffer.from(JSON.stringify(body))
    try {
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: peer.record.host,
            port: peer.record.port,
            path: '/receipts',
            method: 'POST',
            agent: this.#agent,
            headers: { 'content-type': 'application/json', 'content-length': payload.length },
            signal: AbortSignal.timeout(10_000),
          },
          (res) => {
            // Kept only for the log line; the socket goes back to the pool once the answer is read.
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (d: string) => void (text.length < 200 && (text += d)))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
            res.on('error', reject)
          },
        )
        req.on('error', reject)
        req.end(payload)
      })
      if (status < 200 || status >= 300) {
        this.stats.sendFailures++
        this.#log.debug({ server, status, body: text.slice(0, 200) }, 'receipt refused')
      }
    } catch (err) {
      this.stats.sendFailures++
      this.#log.debug({ server, err: (err as Error).message }, 'receipt not delivered')
    } finally {
      this.stats.postMs += performance.now() - t0
    }
  }

  /** Signs a receipt as `account` without sending it (tests, tools). */
  async sign(account: PrivateKeyAccount, r: Omit<SignedReceipt, 'signature'>): Promise<SignedReceipt> {
    return { ...r, signature: await account.signTypedData(this.#typed(r)) }
  }
}
