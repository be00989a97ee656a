import { encodeFunctionData, parseSignature, signatureToCompactSignature, zeroAddress } from 'viem'
import type { Address, Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { RewardsStatus } from '../api/receipts.ts'
import { ValidationError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { PeerTable } from '../mesh/peer-table.ts'
import type { Db } from '../storage/db.ts'
import { protocolAbi } from './contracts.ts'
import { ReceiptService } from './receipts.ts'
import type { ReceiptsInit } from './receipts.ts'
import type { ChainService } from './service.ts'
import { UptimeService } from './uptime.ts'

export interface RewardsComponents {
  db: Db
  account: PrivateKeyAccount
  logger: Logger
  chain: ChainService
  peers: PeerTable
}

export interface RewardsInit extends ReceiptsInit {
  /** Submit after each epoch ends and claim after settlement, without the operator. */
  auto: boolean
  /** Gas one `submitReceipts` batch may use; the batch size follows from it. */
  gasBudget: number
  /** Warn this many seconds before an epoch's submission window closes if it is not submitted. */
  warnBeforeSec: number
}

/** Gas of `submitReceipts` beyond its receipts, and per receipt (measured on the local chain, rounded up). */
export const SUBMIT_BASE_GAS = 80_000
export const SUBMIT_GAS_PER_RECEIPT = 45_000
/** Automatic submission waits this long after an epoch ends (at most a quarter of the settlement delay). */
const SUBMIT_GRACE_SEC = 600

function popcount(x: bigint): number {
  let n = 0
  for (let v = x; v > 0n; v &= v - 1n) n++
  return n
}

function compact(sig: Hex): { r: Hex; vs: Hex } {
  const c = signatureToCompactSignature(parseSignature(sig))
  return { r: c.r, vs: c.yParityAndS }
}

/**
 * Proofs and claims: after an epoch ends, the receipts held for it go on chain in batches sized to the gas budget
 * (ascending by client; jobs `receipts:<epoch>:<batch>`, each after the previous), then the uptime attestations
 * (`uptime:<epoch>`, ascending by peer), then the claim once the epoch settles (`claim:<epoch>`). Everything goes
 * through the outbox, so a restart or an RPC outage neither loses nor doubles a submission.
 */
export class RewardsService {
  readonly receipts: ReceiptService
  readonly uptime: UptimeService
  readonly #c: RewardsComponents
  readonly #init: RewardsInit
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #warned = new Set<number>()
  /** Epochs whose submission window closes soon with nothing submitted (metric). */
  windowWarnings = 0
  lastSubmittedEpoch = -1

  constructor(components: RewardsComponents, init: RewardsInit) {
    this.#c = components
    this.#init = init
    this.#log = components.logger.child({ component: 'rewards' })
    this.receipts = new ReceiptService(components, init)
    this.uptime = new UptimeService({ ...components, receipts: this.receipts }, { pollMs: init.pollMs })
  }

  get batchSize(): number {
    return Math.max(1, Math.floor((this.#init.gasBudget - SUBMIT_BASE_GAS) / SUBMIT_GAS_PER_RECEIPT))
  }

  async start(): Promise<void> {
    await this.receipts.start()
    await this.receipts.stakeOf(this.#c.account.address).catch(() => {})
    // Once this node's own stake changes through the outbox, the cached (unstaked) answer is replaced at once...
    this.#c.chain.outbox.on('job', (job) => {
      // ... and read it again right away, so the next download's client header does not wait on that read.
      if (job.key.startsWith('stake:') && job.status === 'done') {
        this.receipts.forgetStake(this.#c.account.address)
        void this.receipts.stakeOf(this.#c.account.address, { fresh: true }).catch(() => {})
      }
    })
    this.uptime.start()
    if (this.#init.auto) {
      this.#timer = setInterval(() => {
        this.#running ??= this.autoTick().catch((err: unknown) => this.#log.warn({ err: (err as Error).message.split('\n')[0] }, 'rewards tick failed')).finally(() => (this.#running = undefined))
      }, Math.max(this.#init.pollMs, 500))
      this.#timer.unref()
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
    await this.uptime.stop()
    await this.receipts.stop()
  }

  async #times(epoch: number): Promise<{ start: number; end: number; settlesAt: number }> {
    const known = this.receipts.epochTimes(epoch)
    if (known) return known
    const { publicClient, contracts } = this.#c.chain
    const [start, end, settlesAt] = (await publicClient.readContract({ address: contracts.BandwidthRewards, abi: protocolAbi, functionName: 'epochTimes', args: [epoch] })) as [bigint, bigint, bigint]
    return { start: Number(start), end: Number(end), settlesAt: Number(settlesAt) }
  }

  #lastEnded(epoch: number | undefined): number {
    const current = this.receipts.epoch
    if (current === undefined) throw new ValidationError('The current epoch is unknown (chain unreachable)')
    const e = epoch ?? current - 1
    if (e >= current || e < 0) throw new ValidationError(`Epoch ${e} has not ended (current ${current})`)
    return e
  }

  /** Enqueues the receipts (and uptime) of an ended epoch (default: the last one). Idempotent by job key. */
  async submit(epoch?: number): Promise<{ epoch: number; jobs: string[] }> {
    const e = this.#lastEnded(epoch)
    const server = this.#c.account.address
    const held = this.receipts.held(e)
    const outbox = this.#c.chain.outbox
    const { BandwidthRewards } = this.#c.chain.contracts
    const jobs: string[] = []
    const size = this.batchSize
    for (let i = 0; i * size < held.length; i++) {
      const batch = held.slice(i * size, (i + 1) * size).map((h) => ({ client: h.client, cumulativeBytes: h.cumulativeBytes, nonce: h.nonce, servedRoot: h.servedRoot, ...compact(h.signature) }))
      const key = `receipts:${e}:${i}`
      outbox.enqueue({
        key,
        to: BandwidthRewards,
        data: encodeFunctionData({ abi: protocolAbi, functionName: 'submitReceipts', args: [server, e, batch] }),
        // A batch that already landed (a re-run after a crash) now hits the replay guard: done.
        doneErrors: ['BandwidthRewardsNotAscending'],
        after: i > 0 ? `receipts:${e}:${i - 1}` : undefined,
      })
      jobs.push(key)
    }
    const attestations = await this.#eligibleAttestations(e)
    if (attestations.length >= 2) {
      const key = `uptime:${e}`
      outbox.enqueue({
        key,
        to: BandwidthRewards,
        data: encodeFunctionData({
          abi: protocolAbi,
          functionName: 'submitUptime',
          args: [server, e, attestations.map((a) => ({ peer: a.peer, slots: a.slots, ...compact(a.signature) }))],
        }),
      })
      jobs.push(key)
    }
    if (jobs.length > 0) this.lastSubmittedEpoch = Math.max(this.lastSubmittedEpoch, e)
    this.#log.info({ epoch: e, receipts: held.length, batches: jobs.length }, 'rewards submitted to the outbox')
    return { epoch: e, jobs }
  }

  /** Enqueues the claim of an ended epoch (default: the last one); it waits in the outbox until `settlesAt`. */
  async claim(epoch?: number): Promise<{ epoch: number; jobs: string[] }> {
    const e = this.#lastEnded(epoch)
    const outbox = this.#c.chain.outbox
    const last = outbox.list({ prefix: `receipts:${e}:`, limit: 1000 }).map((j) => j.key).sort((a, b) => Number(b.split(':')[2]) - Number(a.split(':')[2]))[0]
    const key = `claim:${e}`
    outbox.enqueue({
      key,
      to: this.#c.chain.contracts.BandwidthRewards,
      data: encodeFunctionData({ abi: protocolAbi, functionName: 'claim', args: [this.#c.account.address, e] }),
      doneErrors: ['BandwidthRewardsAlreadyClaimed'],
      retryErrors: ['BandwidthRewardsEpochNotSettled'],
      // Not after the uptime job: an uptime batch that fails must not cost the epoch's claim.
      after: last,
    })
    return { epoch: e, jobs: [key] }
  }

  /** Automatic mode: submit each ended epoch with receipts, claim once settled; warn before a window closes. */
  async autoTick(): Promise<void> {
    const current = this.receipts.epoch
    if (current === undefined) return
    const now = this.receipts.chainNow()
    for (const { epoch } of this.receipts.heldEpochs()) {
      if (epoch >= current) continue
      // One epoch's trouble (a bad stored signature, an RPC error) must not stop the others.
      try {
        await this.#autoEpoch(epoch, now)
      } catch (err) {
        this.#log.warn({ epoch, err: (err as Error).message.split('\n')[0] }, 'automatic rewards step failed for this epoch')
      }
    }
  }

  async #autoEpoch(epoch: number, now: number): Promise<void> {
    const outbox = this.#c.chain.outbox
    const t = await this.#times(epoch)
    const batches = outbox.list({ prefix: `receipts:${epoch}:`, limit: 1000 })
    const submitted = batches.length > 0
    // Clients' final receipts arrive after the epoch ends: submit a little later, well inside the window.
    const submitAt = t.end + Math.min((t.settlesAt - t.end) / 4, SUBMIT_GRACE_SEC)
    if (!submitted && now >= submitAt) await this.submit(epoch)
    // Enqueued is not on chain: a batch stuck in the outbox (no gas money, the RPC down) needs the operator too.
    const landed = submitted && batches.every((j) => j.status === 'done')
    if (!landed && now > t.settlesAt - this.#init.warnBeforeSec && !this.#warned.has(epoch)) {
      this.#warned.add(epoch)
      this.windowWarnings++
      this.#log.warn({ epoch, settlesAt: t.settlesAt }, 'receipts not yet on chain and the submission window closes soon')
    }
    if (now >= t.settlesAt && !outbox.get(`claim:${epoch}`)) await this.claim(epoch)
  }

  /**
   * Attestations the contract will take: from peers still active, one per operator (the one with the most slots).
   * `submitUptime` reverts the whole batch on a duplicate operator or an inactive attester.
   */
  async #eligibleAttestations(epoch: number): Promise<{ peer: Address; slots: bigint; signature: Hex }[]> {
    const best = new Map<string, { peer: Address; slots: bigint; signature: Hex; count: number }>()
    // Without the chain there is no telling who is eligible: no uptime batch now (a later submit adds it).
    const mine = await this.receipts.stakeOf(this.#c.account.address).catch(() => undefined)
    if (!mine) return []
    for (const a of this.uptime.received(epoch)) {
      const stake = await this.receipts.stakeOf(a.peer).catch(() => undefined)
      if (!stake || stake.active === zeroAddress || stake.active.toLowerCase() === mine.operator.toLowerCase()) continue
      const count = popcount(a.slots)
      const key = stake.active.toLowerCase()
      const held = best.get(key)
      if (!held || count > held.count) best.set(key, { ...a, count })
    }
    return [...best.values()].map(({ peer, slots, signature }) => ({ peer, slots, signature })).sort((x, y) => (x.peer.toLowerCase() < y.peer.toLowerCase() ? -1 : 1))
  }

  async status(): Promise<RewardsStatus> {
    const outbox = this.#c.chain.outbox
    return {
      node: this.#c.account.address as Address,
      current_epoch: this.receipts.epoch ?? -1,
      auto: this.#init.auto,
      epochs: this.receipts.heldEpochs().map(({ epoch, clients, bytes }) => {
        const jobs = [...outbox.list({ prefix: `receipts:${epoch}:` }), outbox.get(`uptime:${epoch}`), outbox.get(`claim:${epoch}`)]
          .filter((j) => j !== undefined)
          .map((j) => ({ key: j.key, status: j.status, result: j.result }))
        const claim = jobs.find((j) => j.key.startsWith('claim:'))
        const status = claim?.status === 'done' ? 'claimed' : jobs.length > 0 ? 'submitted' : epoch === this.receipts.epoch ? 'open' : 'ended'
        return { epoch, clients, bytes_held: String(bytes), status, jobs }
      }),
      metering: (({ accepted, refused, signed, cutOff, windowWaits, windowWaitMs, acceptMs }) => ({
        accepted,
        refused,
        signed,
        cut_off: cutOff,
        window_waits: windowWaits,
        window_wait_ms: Math.round(windowWaitMs),
        accept_ms: Math.round(acceptMs),
      }))(this.receipts.stats),
    }
  }
}
