import { randomBytes } from 'node:crypto'

import { typedData } from '@dcmx/deployments'
import { encodeAbiParameters, encodeFunctionData, getAddress, keccak256, verifyTypedData, zeroAddress } from 'viem'
import type { Address, Hex } from 'viem'

import type { RegistrationRequest, TrackRegistration } from '../api.ts'
import { ContentNotFoundError, QuotaExceededError, UnauthorizedError, ValidationError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Db } from '../storage/db.ts'
import type { TrackStore } from '../storage/track-store.ts'
import type { Job } from './outbox.ts'
import type { ChainService } from './service.ts'

/** The on-chain `ITrackRegistry.Registration` struct. */
export interface Registration {
  contentHash: Hex
  manifestRoot: Hex
  size: bigint
  duration: number
  title: string
  artistName: string
  album: string
  metadataURI: string
}

/** A track as TrackRegistry stores it. */
export interface OnChainTrack {
  artist: Address
  size: bigint
  duration: number
  manifestRoot: Hex
}

export interface RegistrationServiceComponents {
  db: Db
  chain: ChainService
  tracks: TrackStore
  logger: Logger
}

export interface RegistrationServiceInit {
  /** How often open registrations are re-driven (besides outbox events). */
  pollMs: number
  /**
   * A reveal is queued only while at least this many seconds remain before its commitment expires (capped at half
   * the reveal window); otherwise the node commits again with a fresh salt.
   */
  revealMarginSec?: number
  /** How long "not registered" answers are cached for anchoring (registered roots are cached for good). */
  negativeCacheMs?: number
  /** Relayed registrations paid for per artist, and in all, in any 24 h (requests with the operator token are not counted). */
  relayPerArtistPerDay?: number
  relayPerDay?: number
}


/** Seconds a signed registration must stay valid beyond the earliest reveal (confirmations, a busy chain). */
const REVEAL_MARGIN_SEC = 120
type Mode = 'relayed' | 'operator'
type State = TrackRegistration['state']

interface Row {
  content_hash: string
  mode: Mode
  artist: string
  registration: string
  deadline: string | null
  signature: string | null
  salt: string
  round: number
  state: State
  reason: string | null
  commit_tx: string | null
  register_tx: string | null
  created_at: number
  updated_at: number
}

const OPEN: readonly State[] = ['pending', 'committed']

/**
 * Registers tracks on TrackRegistry through commit-reveal, every transaction through the outbox.
 *
 * A request is persisted (salt, signed registration, artist, deadline) BEFORE anything is queued; then
 * `commit:<hash>` sends `commit(commitmentOf(hash, artist, salt))`. The reveal (`register:<hash>`: `registerWithSig`
 * for an artist's signature, `register` when the node is the artist) is queued only once the commitment is on chain
 * and revealable, and only while it can land before `maxCommitAge`: the reveal's calldata carries the salt, and even
 * the outbox's simulation sends it to the RPC, so it must not exist earlier. An expired or vanished commitment
 * starts a new round with a fresh salt (keys `commit:<hash>:r<n>`, `register:<hash>:r<n>`). Every step is
 * idempotent and re-driven from SQLite after a restart.
 */
export class RegistrationService {
  readonly #c: RegistrationServiceComponents
  readonly #init: Required<RegistrationServiceInit>
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined
  #chainDrive: Promise<void> = Promise.resolve()
  #scheduled = new Set<string>()
  #ages: { min: number; max: number } | undefined
  #roots = new Map<string, { root: Hex | undefined; at: number }>()
  #onJob = (job: Job): void => {
    const m = /^(?:commit|register):([0-9a-f]{64})/.exec(job.key)
    if (m) this.#schedule(m[1] as string)
  }

  constructor(components: RegistrationServiceComponents, init: RegistrationServiceInit) {
    this.#c = components
    this.#init = {
      pollMs: init.pollMs,
      revealMarginSec: init.revealMarginSec ?? 300,
      negativeCacheMs: init.negativeCacheMs ?? 30_000,
      relayPerArtistPerDay: init.relayPerArtistPerDay ?? 20,
      relayPerDay: init.relayPerDay ?? 500,
    }
    this.#log = components.logger.child({ component: 'registration' })
  }

  start(): void {
    if (this.#timer) return
    this.#c.chain.outbox.on('job', this.#onJob)
    this.#timer = setInterval(() => this.#driveOpen(), this.#init.pollMs)
    this.#timer.unref()
    this.#driveOpen()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#c.chain.outbox.off('job', this.#onJob)
    await this.#chainDrive
  }

  /** Deletes a failed registration's row (its track was deleted: a later upload starts afresh). */
  forgetFailed(hash: string): void {
    this.#c.db.prepare("DELETE FROM registrations WHERE content_hash = ? AND state = 'failed'").run(hash)
  }

  /** The registration state of a track, as `/tracks` shows it. */
  get(hash: string): TrackRegistration | undefined {
    return this.#toWire(this.#row(hash))
  }

  /**
   * Starts registering a local track. `operator`: the caller holds the operator token. With a signature the artist
   * authorizes the relay (checked off chain before anything is stored); without one the node registers as the
   * artist, which needs the operator. Returns the existing registration, `created: false`, when one is under way
   * or done; a failed one starts over with a fresh salt.
   */
  async request(hash: string, input: RegistrationRequest, opts: { operator: boolean }): Promise<{ registration: TrackRegistration; created: boolean }> {
    const existing = this.#row(hash)
    if (existing && existing.state !== 'failed') return { registration: this.#toWire(existing) as TrackRegistration, created: false }
    // A failed registration starts over only on the operator's word: otherwise anyone could make the node pay for
    // commit after commit with signatures that are bound to fail (an expired deadline, a taken hash).
    if (existing && !opts.operator) {
      throw new UnauthorizedError('This registration failed; only the operator can start it again', { details: existing.reason ?? undefined })
    }
    const reg = this.#registrationFor(hash, input)
    let mode: Mode
    let artist: Address
    let deadline: bigint | null = null
    if (input.signature !== undefined) {
      if (!input.artist || input.deadline === undefined) throw new ValidationError('A signed registration needs `artist` and `deadline`')
      artist = getAddress(input.artist)
      deadline = BigInt(input.deadline)
      await this.#verifySignature(reg, artist, deadline, input.signature as Hex)
      if (!opts.operator) this.#assertRelayBudget(artist)
      mode = 'relayed'
    } else {
      if (!opts.operator) {
        throw new UnauthorizedError('Operator token or the artist\'s signature required', {
          details: 'sign the EIP-712 Register message (typedData.register of @dcmx/deployments) and send signature, artist, deadline',
        })
      }
      if (input.artist && input.artist.toLowerCase() !== this.#c.chain.address.toLowerCase()) {
        throw new ValidationError('Without a signature the node registers as the artist: omit `artist` or sign as the artist')
      }
      artist = this.#c.chain.address
      mode = 'operator'
    }
    const now = Date.now()
    const salt = freshSalt()
    const json = JSON.stringify({ ...reg, size: String(reg.size) })
    // Persisted before anything is queued: the salt and the signature are the only way to reveal.
    if (existing) {
      this.#c.db
        .prepare(
          `UPDATE registrations SET mode = ?, artist = ?, registration = ?, deadline = ?, signature = ?, salt = ?, round = round + 1,
           state = 'pending', reason = NULL, commit_tx = NULL, register_tx = NULL, public_relay = 0, updated_at = ? WHERE content_hash = ? AND state = 'failed'`,
        )
        .run(mode, artist, json, deadline === null ? null : String(deadline), input.signature ?? null, salt, now, hash)
    } else {
      const r = this.#c.db
        .prepare(
          `INSERT OR IGNORE INTO registrations (content_hash, mode, artist, registration, deadline, signature, salt, round, state, public_relay, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 1, 'pending', ?, ?, ?)`,
        )
        .run(hash, mode, artist, json, deadline === null ? null : String(deadline), input.signature ?? null, salt, mode === 'relayed' && !opts.operator ? 1 : 0, now, now)
      if (r.changes === 0) return { registration: this.#toWire(this.#row(hash)) as TrackRegistration, created: false }
    }
    const row = this.#row(hash) as Row
    this.#enqueueCommit(row)
    this.#log.info({ hash, mode, artist, round: row.round }, 'registration requested')
    return { registration: this.#toWire(row) as TrackRegistration, created: true }
  }

  /**
   * Every relayed registration costs this node two transactions: per artist and in all, only so many in any 24 h, so
   * an artist with many small uploads (or many wallets) cannot drain the node's gas. Counted from the persisted rows.
   */
  #assertRelayBudget(artist: Address): void {
    const since = Date.now() - 24 * 3600 * 1000
    const count = (where: string, ...args: Array<string | number>): number =>
      (this.#c.db.prepare(`SELECT count(*) AS n FROM registrations WHERE public_relay = 1 AND created_at > ? ${where}`).get(since, ...args) as { n: number }).n
    if (count('AND lower(artist) = ?', artist.toLowerCase()) >= this.#init.relayPerArtistPerDay) {
      throw new QuotaExceededError(`This node relays at most ${this.#init.relayPerArtistPerDay} registrations per artist per 24 h`, { details: 'retry later, or register from your own wallet' })
    }
    if (count('') >= this.#init.relayPerDay) {
      throw new QuotaExceededError(`This node relays at most ${this.#init.relayPerDay} registrations per 24 h`, { details: 'retry later, or register from your own wallet' })
    }
  }

  /** Resolves once the registration is registered or failed. */
  async settled(hash: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<TrackRegistration> {
    const signal = opts.timeoutMs ? AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])]) : opts.signal
    for (;;) {
      const r = this.#row(hash)
      if (!r) throw new ContentNotFoundError(hash)
      if (!OPEN.includes(r.state)) return this.#toWire(r) as TrackRegistration
      signal?.throwIfAborted()
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, this.#init.pollMs)
        const outbox = this.#c.chain.outbox
        function done(): void {
          clearTimeout(t)
          outbox.off('job', done)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        outbox.on('job', done)
        signal?.addEventListener('abort', done, { once: true })
      })
      // Let the driver run first: it moves the row after the job event.
      await this.#chainDrive
    }
  }

  /** The track as TrackRegistry stores it; undefined when not registered. */
  async onChain(hash: string): Promise<OnChainTrack | undefined> {
    const { chain } = this.#c
    const artist = (await chain.publicClient.readContract({
      address: chain.contracts.TrackRegistry,
      abi: chain.abi,
      functionName: 'artistOf',
      args: [`0x${hash}`],
    })) as Address
    if (artist === zeroAddress) return undefined
    const t = (await chain.publicClient.readContract({
      address: chain.contracts.TrackRegistry,
      abi: chain.abi,
      functionName: 'getTrack',
      args: [`0x${hash}`],
    })) as { artist: Address; size: bigint; duration: number; manifestRoot: Hex }
    return { artist: t.artist, size: t.size, duration: Number(t.duration), manifestRoot: t.manifestRoot }
  }

  /**
   * The manifest root TrackRegistry anchors for `hash` (64 hex, no 0x), cached: a registered root never changes.
   * Undefined when the track is not registered or the chain cannot be reached (the fetcher then verifies the whole
   * file as for any unanchored track).
   */
  async anchoredRoot(hash: string): Promise<string | undefined> {
    const hit = this.#roots.get(hash)
    if (hit && (hit.root !== undefined || Date.now() - hit.at < this.#init.negativeCacheMs)) return hit.root?.slice(2)
    try {
      const t = await this.onChain(hash)
      this.#roots.set(hash, { root: t?.manifestRoot, at: Date.now() })
      return t?.manifestRoot.slice(2)
    } catch (err) {
      this.#log.debug({ hash, err: (err as Error).message.split('\n')[0] }, 'anchor lookup failed; verifying unanchored')
      return undefined
    }
  }

  // --- internals ---

  #registrationFor(hash: string, input: RegistrationRequest): Registration {
    const track = this.#c.tracks.get(hash)
    const manifest = this.#c.tracks.getManifest(hash)
    if (!track?.local || !manifest) throw new ContentNotFoundError(hash)
    const root = `0x${manifest.root}` as Hex
    if (input.manifest_root !== undefined && input.manifest_root.toLowerCase() !== root) {
      throw new ValidationError('manifest_root differs from the stored track', { details: `${input.manifest_root} != ${root}` })
    }
    if (input.size !== undefined && input.size !== manifest.size) {
      throw new ValidationError('size differs from the stored track', { details: `${input.size} != ${manifest.size}` })
    }
    if (manifest.size === 0) throw new ValidationError('An empty track cannot be registered')
    return {
      contentHash: `0x${hash}`,
      manifestRoot: root,
      size: BigInt(manifest.size),
      duration: input.duration ?? track.duration,
      title: input.title ?? track.title,
      artistName: input.artist_name ?? track.artist,
      album: input.album ?? track.album ?? '',
      metadataURI: input.metadata_uri ?? '',
    }
  }

  /** Off chain, before anything is stored: the signature must recover to `artist` (or satisfy its ERC-1271 wallet). */
  async #verifySignature(reg: Registration, artist: Address, deadline: bigint, signature: Hex): Promise<void> {
    const { chain } = this.#c
    const nowSec = BigInt(Math.floor(Date.now() / 1000))
    if (deadline <= nowSec) throw new ValidationError('The signed registration has expired', { details: `deadline ${deadline} <= now ${nowSec}` })
    // The reveal lands no sooner than minCommitAge after the commit: a deadline before that (plus a margin for
    // confirmations) would only make the node pay for a commit that can never be revealed.
    const ages = await this.#commitAges()
    const earliest = nowSec + BigInt(ages.min) + BigInt(REVEAL_MARGIN_SEC)
    if (deadline < earliest) {
      throw new ValidationError('The signed registration expires before it can be revealed', {
        details: `deadline ${deadline} < now + minCommitAge + ${REVEAL_MARGIN_SEC} s = ${earliest}`,
      })
    }
    const nonce = (await chain.publicClient.readContract({
      address: chain.contracts.TrackRegistry,
      abi: chain.abi,
      functionName: 'nonces',
      args: [artist],
    })) as bigint
    const args = {
      domain: { ...typedData.register.domain, chainId: chain.chainId, verifyingContract: chain.contracts.TrackRegistry },
      types: typedData.register.types,
      primaryType: 'Register' as const,
      message: { ...reg, artist, nonce, deadline },
      signature,
    }
    let valid = await verifyTypedData({ ...args, address: artist }).catch(() => false)
    if (!valid && (await chain.publicClient.getCode({ address: artist }))) {
      valid = await chain.publicClient.verifyTypedData({ ...args, address: artist }).catch(() => false) // ERC-1271
    }
    if (!valid) {
      throw new UnauthorizedError('The registration signature does not recover to the artist', {
        details: `expected a Register signature by ${artist} with nonce ${nonce} on chain ${chain.chainId}`,
      })
    }
  }

  #keys(row: Row): { commit: string; register: string } {
    const suffix = row.round > 1 ? `:r${row.round}` : ''
    return { commit: `commit:${row.content_hash}${suffix}`, register: `register:${row.content_hash}${suffix}` }
  }

  #commitment(row: Row): Hex {
    return keccak256(
      encodeAbiParameters([{ type: 'bytes32' }, { type: 'address' }, { type: 'bytes32' }], [`0x${row.content_hash}`, row.artist as Address, row.salt as Hex]),
    )
  }

  #enqueueCommit(row: Row): Job {
    const { chain } = this.#c
    return chain.outbox.enqueue({
      key: this.#keys(row).commit,
      to: chain.contracts.TrackRegistry,
      data: encodeFunctionData({ abi: chain.abi, functionName: 'commit', args: [this.#commitment(row)] }),
      // A retried commit that already landed is live: done.
      doneErrors: ['TrackCommitmentExists'],
    })
  }

  #enqueueReveal(row: Row): Job {
    const { chain } = this.#c
    const parsed = JSON.parse(row.registration) as Registration & { size: string }
    const reg = { ...parsed, size: BigInt(parsed.size) }
    const data =
      row.mode === 'relayed'
        ? encodeFunctionData({
            abi: chain.abi,
            functionName: 'registerWithSig',
            args: [reg, row.artist, row.salt, BigInt(row.deadline as string), row.signature],
          })
        : encodeFunctionData({ abi: chain.abi, functionName: 'register', args: [reg, row.salt] })
    const keys = this.#keys(row)
    return chain.outbox.enqueue({
      key: keys.register,
      to: chain.contracts.TrackRegistry,
      data,
      after: keys.commit,
      retryErrors: ['TrackCommitmentTooNew'],
      // Closes as done; #drive then checks the registered artist is the requested one.
      doneErrors: ['TrackAlreadyRegistered'],
    })
  }

  #driveOpen(): void {
    const rows = this.#c.db
      .prepare(`SELECT content_hash FROM registrations WHERE state IN ('pending', 'committed')`)
      .all() as Array<{ content_hash: string }>
    for (const r of rows) this.#schedule(r.content_hash)
  }

  /** Drives one registration; drives run one at a time (they read the chain and move rows). */
  #schedule(hash: string): void {
    if (this.#scheduled.has(hash)) return
    this.#scheduled.add(hash)
    this.#chainDrive = this.#chainDrive.then(async () => {
      this.#scheduled.delete(hash)
      try {
        await this.#drive(hash)
      } catch (err) {
        this.#log.warn({ hash, err: (err as Error).message.split('\n')[0] }, 'registration step failed; will retry')
      }
    })
  }

  async #drive(hash: string): Promise<void> {
    const row = this.#row(hash)
    if (!row || !OPEN.includes(row.state)) return
    const { chain } = this.#c
    const keys = this.#keys(row)
    // Restart between persisting and queueing: queue now (a no-op when the job exists).
    const commit = chain.outbox.get(keys.commit) ?? this.#enqueueCommit(row)
    if (commit.status === 'failed') return this.#fail(row, commit.result ?? 'commit failed')
    if (commit.status !== 'done') return
    if (row.state === 'pending') this.#set(row, { state: 'committed', commit_tx: commit.txHash })
    const reveal = chain.outbox.get(keys.register)
    if (reveal) return this.#afterReveal(row, reveal)

    // Not revealed yet: is it still ours to reveal, and can the reveal land inside the window?
    const onChain = await this.#artistOf(hash)
    if (onChain !== zeroAddress) return this.#alreadyRegistered(row, onChain, null)
    const committedAt = Number(
      (await chain.publicClient.readContract({
        address: chain.contracts.TrackRegistry,
        abi: chain.abi,
        functionName: 'commitmentTime',
        args: [this.#commitment(row)],
      })) as bigint,
    )
    if (committedAt === 0) return this.#newRound(row, 'commitment not found on chain (reorged out?)')
    const ages = await this.#commitAges()
    // The reveal lands in a later block: the pending block's time where the RPC knows it, else the head's or the
    // clock's, whichever is later.
    const latest = await chain.publicClient.getBlock({ blockTag: 'latest' })
    const pending = await chain.publicClient.getBlock({ blockTag: 'pending' }).catch(() => latest)
    const now = Math.max(Number(pending.timestamp), Number(latest.timestamp), Math.floor(Date.now() / 1000))
    const margin = Math.min(this.#init.revealMarginSec, Math.floor((ages.max - ages.min) / 2))
    if (now + margin > committedAt + ages.max) return this.#newRound(row, 'commitment expired before its reveal')
    if (now < committedAt + ages.min) return // re-driven by the timer
    if (row.mode === 'relayed' && BigInt(row.deadline as string) <= BigInt(now)) {
      return this.#fail(row, `TrackSignatureExpired(${row.deadline}, ${now})`)
    }
    this.#afterReveal(row, this.#enqueueReveal(row))
  }

  async #afterReveal(row: Row, job: Job): Promise<void> {
    if (job.status === 'done') {
      if (job.result?.startsWith('already done')) {
        return this.#alreadyRegistered(row, await this.#artistOf(row.content_hash), job.txHash)
      }
      this.#set(row, { state: 'registered', register_tx: job.txHash, reason: null })
      this.#log.info({ hash: row.content_hash, tx: job.txHash }, 'track registered')
      return
    }
    if (job.status !== 'failed') return
    const reason = job.result ?? 'reveal failed'
    // The commitment expired or vanished before the reveal landed: commit again with a fresh salt.
    if (/TrackCommitment(Expired|NotFound)/.test(reason)) return this.#newRound(row, reason)
    this.#fail(row, reason, job.txHash)
  }

  /** TrackAlreadyRegistered: done when by the requested artist, otherwise failed with the decoded reason. */
  #alreadyRegistered(row: Row, artist: Address, tx: Hex | null): void {
    if (artist.toLowerCase() === row.artist.toLowerCase()) {
      this.#set(row, { state: 'registered', register_tx: tx ?? row.register_tx, reason: null })
      return
    }
    this.#fail(row, `TrackAlreadyRegistered(0x${row.content_hash}, ${artist})`, tx)
  }

  #newRound(row: Row, why: string): void {
    this.#log.warn({ hash: row.content_hash, round: row.round, why }, 'committing again with a fresh salt')
    this.#c.db
      .prepare(
        `UPDATE registrations SET salt = ?, round = round + 1, state = 'pending', commit_tx = NULL, reason = ?, updated_at = ?
         WHERE content_hash = ? AND round = ?`,
      )
      .run(freshSalt(), why, Date.now(), row.content_hash, row.round)
    const next = this.#row(row.content_hash) as Row
    this.#enqueueCommit(next)
  }

  #fail(row: Row, reason: string, tx: Hex | null = null): void {
    this.#set(row, { state: 'failed', reason, register_tx: tx ?? row.register_tx })
    this.#log.warn({ hash: row.content_hash, reason }, 'registration failed')
  }

  async #artistOf(hash: string): Promise<Address> {
    const { chain } = this.#c
    return (await chain.publicClient.readContract({
      address: chain.contracts.TrackRegistry,
      abi: chain.abi,
      functionName: 'artistOf',
      args: [`0x${hash}`],
    })) as Address
  }

  async #commitAges(): Promise<{ min: number; max: number }> {
    // Re-read every drive would cost two calls; governance changes them rarely, so cache per process run.
    if (this.#ages) return this.#ages
    const { chain } = this.#c
    const read = (functionName: string) =>
      chain.publicClient.readContract({ address: chain.contracts.TrackRegistry, abi: chain.abi, functionName }) as Promise<number>
    const [min, max] = await Promise.all([read('minCommitAge'), read('maxCommitAge')])
    this.#ages = { min: Number(min), max: Number(max) }
    return this.#ages
  }

  #row(hash: string): Row | undefined {
    return this.#c.db.prepare('SELECT * FROM registrations WHERE content_hash = ?').get(hash) as Row | undefined
  }

  #set(row: Row, patch: Partial<Pick<Row, 'state' | 'reason' | 'commit_tx' | 'register_tx'>>): void {
    const next = { ...row, ...patch }
    this.#c.db
      .prepare('UPDATE registrations SET state = ?, reason = ?, commit_tx = ?, register_tx = ?, updated_at = ? WHERE content_hash = ? AND round = ?')
      .run(next.state, next.reason, next.commit_tx, next.register_tx, Date.now(), row.content_hash, row.round)
    Object.assign(row, next)
  }

  #toWire(r: Row | undefined): TrackRegistration | undefined {
    if (!r) return undefined
    return {
      state: r.state,
      mode: r.mode,
      artist: r.artist,
      round: r.round,
      reason: r.reason,
      commit_tx: r.commit_tx,
      register_tx: r.register_tx,
      updated_at: new Date(r.updated_at).toISOString(),
    }
  }
}

function freshSalt(): Hex {
  return `0x${randomBytes(32).toString('hex')}`
}
