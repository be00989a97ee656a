import { EventEmitter } from 'node:events'

import { BaseError, decodeErrorResult, keccak256 } from 'viem'
import type { Abi, Address, Hex, PublicClient } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { Logger } from '../core/logger.ts'
import type { Db } from '../storage/db.ts'
import { transaction } from '../storage/db.ts'

/**
 * The node's one way onto the chain: a persistent transaction outbox in its SQLite database.
 *
 * Every job has a deterministic key (`register:<hash>`, `receipts:<epoch>:<batch>`, ...), so enqueueing the same
 * work twice is a no-op. A job is simulated first (a revert that means "already done" closes it as done), gets its
 * nonce from this single writer, is signed and stored BEFORE it is broadcast (a crash between the two re-broadcasts
 * the stored bytes after restart, never a second transaction), is repriced when stuck (both fee fields up at least
 * 12.5%, every attempt kept: any of them may be the one mined), and counts as done only after `confirmations`
 * blocks whose hash still matches (re-sent if reorged out). Failures back off exponentially with jitter.
 * No maintained npm library persists this (viem's nonce manager lives in memory), hence this small module.
 */

export type JobStatus = 'queued' | 'signed' | 'sent' | 'mined' | 'done' | 'failed'

export interface JobSpec {
  /** Deterministic idempotency key, e.g. `register:<contentHash>`. */
  key: string
  to: Address
  data: Hex
  value?: bigint
  /** Custom error names meaning the work is already done (the job closes as done, nothing is sent). */
  doneErrors?: readonly string[]
  /** Custom error names meaning "not yet": the job waits (backoff) and simulates again. */
  retryErrors?: readonly string[]
  /** Do not attempt before this time (ms since the epoch). */
  notBefore?: number
  /** Key of a job that must be done first (e.g. a reveal after its commit). */
  after?: string
}

export interface Attempt {
  hash: Hex
  raw: Hex
  maxFeePerGas: string
  maxPriorityFeePerGas: string
  at: number
}

export interface Job {
  key: string
  spec: JobSpec
  to: Address
  data: Hex
  value: bigint
  status: JobStatus
  nonce: number | null
  gas: bigint | null
  attempts: Attempt[]
  /** The attempt that was mined, and where. */
  txHash: Hex | null
  blockNumber: bigint | null
  blockHash: Hex | null
  /** `done`: how (`mined` or the error that meant already done); `failed`: the decoded reason. */
  result: string | null
  tries: number
  nextAttemptAt: number
  createdAt: number
  updatedAt: number
}

export interface OutboxComponents {
  db: Db
  publicClient: PublicClient
  account: PrivateKeyAccount
  logger: Logger
  /** Every ABI whose custom errors may surface (decoded by name for done/retry decisions and messages). */
  abi: Abi
}

export interface OutboxInit {
  chainId: number
  /** Blocks (including the one that mined it) before a job counts as done. */
  confirmations?: number
  /** How often the outbox polls the chain. */
  pollMs?: number
  /** A sent transaction with no receipt after this long is repriced. */
  stuckMs?: number
  /** Backoff after a failed step: base and cap, with +-50% jitter. */
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** Extra gas over the estimate, in percent. */
  gasBufferPercent?: number
}

interface Row {
  key: string
  spec: string
  status: JobStatus
  nonce: number | null
  gas: string | null
  attempts: string
  tx_hash: string | null
  block_number: string | null
  block_hash: string | null
  result: string | null
  tries: number
  next_attempt_at: number
  created_at: number
  updated_at: number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chain_jobs (
  key TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  nonce INTEGER,
  gas TEXT,
  attempts TEXT NOT NULL DEFAULT '[]',
  tx_hash TEXT,
  block_number TEXT,
  block_hash TEXT,
  result TEXT,
  tries INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chain_jobs_status ON chain_jobs(status, seq);
`

/** Reprice multiplier: replacement rules need >= 10% (geth) / 12.5% (others) on both fee fields. */
const BUMP_NUM = 1125n
const BUMP_DEN = 1000n

export class Outbox extends EventEmitter<{ job: [Job] }> {
  readonly #db: Db
  readonly #client: PublicClient
  readonly #account: PrivateKeyAccount
  readonly #log: Logger
  readonly #abi: Abi
  readonly #chainId: number
  readonly #confirmations: number
  readonly #pollMs: number
  readonly #stuckMs: number
  readonly #backoffBaseMs: number
  readonly #backoffMaxMs: number
  readonly #gasBuffer: bigint
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
    #lastError: string | undefined
  #queued = false

  constructor(components: OutboxComponents, init: OutboxInit) {
    super()
    this.#db = components.db
    this.#client = components.publicClient
    this.#account = components.account
    this.#log = components.logger.child({ component: 'outbox' })
    this.#abi = components.abi
    this.#chainId = init.chainId
    this.#confirmations = Math.max(1, init.confirmations ?? 2)
    this.#pollMs = init.pollMs ?? 2000
    this.#stuckMs = init.stuckMs ?? 60_000
    this.#backoffBaseMs = init.backoffBaseMs ?? 1000
    this.#backoffMaxMs = init.backoffMaxMs ?? 5 * 60_000
    this.#gasBuffer = BigInt(100 + (init.gasBufferPercent ?? 20))
    this.#db.exec(SCHEMA)
  }

  get address(): Address {
    return this.#account.address
  }

  /** Adds a job unless one with the same key exists (any status); returns the stored job. */
  enqueue(spec: JobSpec): Job {
    const now = Date.now()
    this.#db
      .prepare(
        `INSERT OR IGNORE INTO chain_jobs (key, spec, status, created_at, updated_at, next_attempt_at, seq)
         VALUES (?, ?, 'queued', ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM chain_jobs))`,
      )
      .run(spec.key, JSON.stringify({ ...spec, value: String(spec.value ?? 0n) }), now, now, spec.notBefore ?? 0)
    const job = this.get(spec.key) as Job
    this.#kick()
    return job
  }

  get(key: string): Job | undefined {
    const row = this.#db.prepare('SELECT * FROM chain_jobs WHERE key = ?').get(key) as Row | undefined
    return row && toJob(row)
  }

  list(filter: { status?: JobStatus; prefix?: string; limit?: number } = {}): Job[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM chain_jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR key LIKE ?2 || '%')
         ORDER BY seq DESC LIMIT ?3`,
      )
      .all(filter.status ?? null, filter.prefix ?? null, filter.limit ?? 100) as unknown as Row[]
    return rows.map(toJob)
  }

  /** Open jobs and the age of the oldest, for metrics and `/stats`. */
  depth(): { open: number; oldestAgeMs: number; lastError?: string } {
    const r = this.#db
      .prepare(`SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM chain_jobs WHERE status IN ('queued','signed','sent','mined')`)
      .get() as { n: number; oldest: number | null }
    return { open: r.n, oldestAgeMs: r.oldest === null ? 0 : Date.now() - r.oldest, lastError: this.#lastError }
  }

  /** Resolves when `key` is done (or rejects when it failed). */
  async wait(key: string, opts: { signal?: AbortSignal } = {}): Promise<Job> {
    const settled = (j: Job | undefined) => j !== undefined && (j.status === 'done' || j.status === 'failed')
    let job = this.get(key)
    if (!settled(job)) {
      job = await new Promise<Job>((resolve, reject) => {
        const onJob = (j: Job) => {
          if (j.key === key && settled(j)) {
            this.off('job', onJob)
            opts.signal?.removeEventListener('abort', onAbort)
            resolve(j)
          }
        }
        const onAbort = () => {
          this.off('job', onJob)
          reject(opts.signal?.reason)
        }
        opts.signal?.addEventListener('abort', onAbort, { once: true })
        this.on('job', onJob)
      })
    }
    if (job?.status === 'failed') throw new Error(`chain job ${key} failed: ${job.result}`)
    return job as Job
  }

  start(): void {
    if (this.#timer) return
    // After a restart, signed and sent jobs are re-broadcast by the first tick (same bytes, same hash).
    this.#timer = setInterval(() => this.#kick(), this.#pollMs)
    this.#timer.unref()
    this.#kick()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running
  }

  /** Runs one pass now (tests and `dcmx rewards submit` use it); passes never overlap. */
  tick(): Promise<void> {
    this.#running = (this.#running ?? Promise.resolve()).then(() => this.#pass()).catch((err: unknown) => {
      this.#lastError = errorText(err)
      this.#log.warn({ err: this.#lastError }, 'outbox pass failed; will retry')
    })
    return this.#running
  }

  /** Schedules a pass unless one is already waiting to run. */
  #kick(): void {
    if (!this.#timer || this.#queued) return
    this.#queued = true
    void this.tick().finally(() => {
      this.#queued = false
    })
  }

  async #pass(): Promise<void> {
    // Also the health check: an unreachable RPC fails the pass here and is reported by `depth().lastError`.
    const head = await this.#client.getBlockNumber({ cacheTime: 0 })
    this.#lastError = undefined
    for (const job of this.#rows(`status IN ('signed','sent','mined')`)) await this.#advance(job, head)
    // The single writer: a queued job gets a nonce only when no earlier job is waiting to be signed.
    const now = Date.now()
    for (const job of this.#rows(`status = 'queued'`)) {
      if (job.nextAttemptAt > now) continue
      const spec = job.spec
      if (spec.after) {
        const dep = this.get(spec.after)
        if (dep?.status === 'failed') {
          this.#update(job, { status: 'failed', result: `dependency ${spec.after} failed` })
          continue
        }
        if (dep && dep.status !== 'done') continue
      }
      await this.#submit(job, spec)
    }
  }

  /** Simulates, then signs and stores, then broadcasts. */
  async #submit(job: Job, spec: JobSpec): Promise<void> {
    const tx = { account: this.#account.address, to: job.to, data: job.data, value: job.value }
    let gas: bigint
    try {
      gas = await this.#client.estimateGas(tx)
    } catch (err) {
      const reason = this.#revertName(err)
      if (reason && spec.doneErrors?.includes(reason)) {
        this.#update(job, { status: 'done', result: `already done: ${reason}` })
      } else if (reason && spec.retryErrors?.includes(reason)) {
        this.#backoff(job, `waiting: ${reason}`)
      } else if (reason !== undefined) {
        this.#update(job, { status: 'failed', result: this.#describe(err) })
      } else {
        this.#backoff(job, errorText(err)) // the RPC is down or refused: try again later
        throw err
      }
      return
    }
    const fees = await this.#client.estimateFeesPerGas()
    const nonce = await this.#nextNonce()
    const attempt = await this.#sign(job, { nonce, gas: (gas * this.#gasBuffer) / 100n, ...fees })
    // Persist the signed bytes before they can reach the network.
    this.#update(job, { status: 'signed', nonce, gas: (gas * this.#gasBuffer) / 100n, attempts: [attempt] })
    await this.#broadcast(this.get(job.key) as Job, attempt)
  }

  async #advance(job: Job, head: bigint): Promise<void> {
    if (job.status === 'signed') {
      await this.#broadcast(job, job.attempts.at(-1) as Attempt)
      return
    }
    if (job.status === 'mined') {
      const block = await this.#client.getBlock({ blockNumber: job.blockNumber as bigint }).catch(() => undefined)
      if (block?.hash !== job.blockHash) {
        // Reorged out: the transaction may be back in the mempool, or gone; send it again.
        this.#log.warn({ key: job.key, block: String(job.blockNumber) }, 'transaction reorged out; re-sending')
        this.#update(job, { status: 'sent', txHash: null, blockNumber: null, blockHash: null })
        await this.#broadcast(this.get(job.key) as Job, job.attempts.at(-1) as Attempt)
        return
      }
      if (head - (job.blockNumber as bigint) + 1n >= BigInt(this.#confirmations)) {
        this.#update(job, { status: 'done', result: job.result ?? 'mined' })
      }
      return
    }
    // sent: did any attempt land?
    for (const attempt of job.attempts) {
      const receipt = await this.#client.getTransactionReceipt({ hash: attempt.hash }).catch(() => undefined)
      if (!receipt) continue
      if (receipt.status === 'reverted') {
        await this.#reverted(job, attempt.hash)
        return
      }
      this.#update(job, { status: 'mined', txHash: attempt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, result: null })
      await this.#advance(this.get(job.key) as Job, head)
      return
    }
    const last = job.attempts.at(-1) as Attempt
    if (Date.now() - last.at >= this.#stuckMs) await this.#reprice(job, last)
    else if ((await this.#client.getTransactionCount({ address: this.address, blockTag: 'latest' })) > (job.nonce as number)) {
      // Our nonce was used. Look once more (an attempt may have been mined since), else the key sent something
      // else with it: sign this job afresh.
      for (const attempt of job.attempts) {
        if (await this.#client.getTransactionReceipt({ hash: attempt.hash }).catch(() => undefined)) return
      }
      this.#log.warn({ key: job.key, nonce: job.nonce }, 'nonce consumed elsewhere; re-queueing')
      this.#update(job, { status: 'queued', nonce: null, attempts: [] })
    }
  }

  /** A mined revert: "already done" closes the job, anything else fails it with the decoded reason. */
  async #reverted(job: Job, hash: Hex): Promise<void> {
    const spec = job.spec
    try {
      await this.#client.call({ account: this.#account.address, to: job.to, data: job.data, value: job.value })
      this.#update(job, { status: 'failed', txHash: hash, result: 'reverted on chain' })
    } catch (err) {
      const reason = this.#revertName(err)
      if (reason && spec.doneErrors?.includes(reason)) this.#update(job, { status: 'done', txHash: hash, result: `already done: ${reason}` })
      else if (reason && spec.retryErrors?.includes(reason)) {
        this.#update(job, { status: 'queued', nonce: null, attempts: [] })
        this.#backoff(this.get(job.key) as Job, `waiting: ${reason}`)
      } else this.#update(job, { status: 'failed', txHash: hash, result: this.#describe(err) })
    }
  }

  async #reprice(job: Job, last: Attempt): Promise<void> {
    const fees = await this.#client.estimateFeesPerGas()
    const bump = (old: string, now: bigint) => {
      const bumped = (BigInt(old) * BUMP_NUM + BUMP_DEN - 1n) / BUMP_DEN + 1n
      return bumped > now ? bumped : now
    }
    const maxPriorityFeePerGas = bump(last.maxPriorityFeePerGas, fees.maxPriorityFeePerGas)
    let maxFeePerGas = bump(last.maxFeePerGas, fees.maxFeePerGas)
    if (maxFeePerGas < maxPriorityFeePerGas) maxFeePerGas = maxPriorityFeePerGas
    const attempt = await this.#sign(job, { nonce: job.nonce as number, gas: job.gas as bigint, maxFeePerGas, maxPriorityFeePerGas })
    this.#update(job, { attempts: [...job.attempts, attempt] })
    this.#log.info({ key: job.key, nonce: job.nonce, attempt: job.attempts.length + 1, maxFeePerGas: String(maxFeePerGas) }, 'repriced stuck transaction')
    await this.#broadcast(this.get(job.key) as Job, attempt)
  }

  async #broadcast(job: Job, attempt: Attempt): Promise<void> {
    try {
      await this.#client.sendRawTransaction({ serializedTransaction: attempt.raw })
    } catch (err) {
      const text = errorText(err).toLowerCase()
      // Already in the pool or already mined: both mean this attempt is out there.
      if (!/already known|known transaction|already imported|nonce too low|nonce has already been used/.test(text)) {
        this.#backoff(job, errorText(err))
        throw err
      }
    }
    if (job.status === 'signed') this.#update(job, { status: 'sent' })
    this.#log.info({ key: job.key, hash: attempt.hash, nonce: job.nonce }, 'transaction sent')
  }

  async #sign(
    job: Job,
    p: { nonce: number; gas: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  ): Promise<Attempt> {
    const raw = await this.#account.signTransaction({
      type: 'eip1559',
      chainId: this.#chainId,
      to: job.to,
      data: job.data,
      value: job.value,
      ...p,
    })
    return {
      hash: keccak256(raw),
      raw,
      maxFeePerGas: String(p.maxFeePerGas),
      maxPriorityFeePerGas: String(p.maxPriorityFeePerGas),
      at: Date.now(),
    }
  }

  /** The next nonce: past both the chain's pending count and every nonce this outbox ever signed. */
  async #nextNonce(): Promise<number> {
    const pending = await this.#client.getTransactionCount({ address: this.address, blockTag: 'pending' })
    const r = this.#db.prepare('SELECT MAX(nonce) AS n FROM chain_jobs WHERE nonce IS NOT NULL').get() as { n: number | null }
    return Math.max(pending, r.n === null ? 0 : r.n + 1)
  }

  #backoff(job: Job, reason: string): void {
    const tries = job.tries + 1
    const delay = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** Math.min(tries - 1, 20))
    const jittered = Math.round(delay * (0.5 + Math.random()))
    this.#db
      .prepare('UPDATE chain_jobs SET tries = ?, next_attempt_at = ?, result = ?, updated_at = ? WHERE key = ?')
      .run(tries, Date.now() + jittered, reason.slice(0, 500), Date.now(), job.key)
  }

  #rows(where: string): Job[] {
    return (this.#db.prepare(`SELECT * FROM chain_jobs WHERE ${where} ORDER BY seq`).all() as unknown as Row[]).map(toJob)
  }

  #update(job: Job, patch: Partial<Pick<Job, 'status' | 'nonce' | 'gas' | 'attempts' | 'txHash' | 'blockNumber' | 'blockHash' | 'result'>>): void {
    const next = { ...job, ...patch, updatedAt: Date.now() }
    transaction(this.#db, () => {
      this.#db
        .prepare(
          `UPDATE chain_jobs SET status = ?, nonce = ?, gas = ?, attempts = ?, tx_hash = ?, block_number = ?, block_hash = ?,
           result = ?, updated_at = ?, tries = CASE WHEN ? = status THEN tries ELSE 0 END WHERE key = ?`,
        )
        .run(
          next.status,
          next.nonce,
          next.gas === null ? null : String(next.gas),
          JSON.stringify(next.attempts),
          next.txHash,
          next.blockNumber === null ? null : String(next.blockNumber),
          next.blockHash,
          next.result,
          next.updatedAt,
          next.status,
          job.key,
        )
    })
    if (patch.status && patch.status !== job.status) {
      this.#log.debug({ key: job.key, from: job.status, to: patch.status, result: next.result }, 'job moved')
    }
    this.emit('job', this.get(job.key) as Job)
  }

  /** The custom error's name if `err` is a contract revert we can decode; '' for an undecodable revert. */
  #revertName(err: unknown): string | undefined {
    const data = revertData(err)
    if (data === undefined) return undefined
    try {
      return decodeErrorResult({ abi: this.#abi, data }).errorName
    } catch {
      return ''
    }
  }

  #describe(err: unknown): string {
    const data = revertData(err)
    if (data !== undefined) {
      try {
        const decoded = decodeErrorResult({ abi: this.#abi, data })
        return `${decoded.errorName}(${(decoded.args ?? []).map(String).join(', ')})`
      } catch {
        // fall through to the message
      }
    }
    return errorText(err)
  }
}

/** Revert data from a viem error chain, if the node reverted (rather than being unreachable). */
function revertData(err: unknown): Hex | undefined {
  if (!(err instanceof BaseError)) return undefined
  let data: Hex | undefined
  err.walk((e) => {
    const d = (e as { data?: unknown }).data
    if (typeof d === 'string' && d.startsWith('0x')) data = d as Hex
    else if (d && typeof d === 'object' && typeof (d as { data?: unknown }).data === 'string') data = (d as { data: Hex }).data
    return false
  })
  if (data !== undefined) return data
  // A revert without data (require(false), invalid opcode) still is a revert, not an outage.
  const text = err.message.toLowerCase()
  return /execution reverted|reverted with|transaction reverted/.test(text) ? '0x' : undefined
}

function errorText(err: unknown): string {
  if (err instanceof BaseError) return err.shortMessage
  return err instanceof Error ? err.message.split('\n')[0] : String(err)
}

function toJob(row: Row): Job {
  const spec = JSON.parse(row.spec) as JobSpec & { value: string }
  return {
    spec,
    key: row.key,
    to: spec.to,
    data: spec.data,
    value: BigInt(spec.value),
    status: row.status,
    nonce: row.nonce,
    gas: row.gas === null ? null : BigInt(row.gas),
    attempts: JSON.parse(row.attempts) as Attempt[],
    txHash: row.tx_hash as Hex | null,
    blockNumber: row.block_number === null ? null : BigInt(row.block_number),
    blockHash: row.block_hash as Hex | null,
    result: row.result,
    tries: row.tries,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
