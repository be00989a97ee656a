import { typedData } from '@dcmx/deployments'
import { recoverTypedDataAddress, zeroAddress } from 'viem'
import type { Address, Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { UptimeAttestationMessage } from '../api/receipts.ts'
import { ForbiddenError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { PeerTable } from '../mesh/peer-table.ts'
import type { Db } from '../storage/db.ts'
import { assertCanonicalSignature } from './signatures.ts'
import type { ChainService } from './service.ts'
import type { ReceiptService } from './receipts.ts'

const SLOTS = 256

const SCHEMA = `
CREATE TABLE IF NOT EXISTS uptime_seen (epoch INTEGER NOT NULL, peer TEXT NOT NULL, slots TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (epoch, peer));
CREATE TABLE IF NOT EXISTS uptime_received (epoch INTEGER NOT NULL, peer TEXT NOT NULL, slots TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (epoch, peer));
`

export interface UptimeComponents {
  db: Db
  account: PrivateKeyAccount
  logger: Logger
  chain: ChainService
  peers: PeerTable
  receipts: ReceiptService
}

/**
 * Peer-attested uptime on the contract's schedule: 256 equal slots per epoch. Once per slot this node pings each
 * peer it knows and records the slot for those that answered; when an epoch ends it signs
 * `UptimeAttestation(peer, epoch, slots)` for each and POSTs it to the peer's `/uptime`. It keeps the attestations
 * peers send it (checked: signature, attester staked and of another operator) for its own `submitUptime`.
 */
export class UptimeService {
  readonly #c: UptimeComponents
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined
  #lastSlot = ''
  #running: Promise<void> | undefined

  constructor(components: UptimeComponents, init: { pollMs: number }) {
    this.#c = components
    this.#log = components.logger.child({ component: 'uptime' })
    this.#c.db.exec(SCHEMA)
    this.#pollMs = init.pollMs
  }
  #pollMs: number

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.tick().catch((err: unknown) => this.#log.debug({ err: (err as Error).message }, 'uptime tick failed')).finally(() => (this.#running = undefined))
    }, this.#pollMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
  }

  /** Probes once per slot; sends the attestations of ended epochs. */
  async tick(): Promise<void> {
    const r = this.#c.receipts
    const epoch = r.epoch
    const t = epoch === undefined ? undefined : r.epochTimes(epoch)
    if (epoch === undefined || !t) return
    const slot = Math.floor(((r.chainNow() - t.start) * SLOTS) / (t.end - t.start))
    if (slot >= 0 && slot < SLOTS && `${epoch}:${slot}` !== this.#lastSlot) {
      this.#lastSlot = `${epoch}:${slot}`
      await this.probe(epoch, slot)
    }
    await this.sendEnded(epoch)
  }

  /** Pings every known peer and sets `slot` for those that answered. */
  async probe(epoch: number, slot: number): Promise<void> {
    await Promise.all(
      this.#c.peers.list().map(async (p) => {
        const host = p.host.includes(':') ? `[${p.host}]` : p.host
        const ok = await fetch(`http://${host}:${p.port}/ping`, { signal: AbortSignal.timeout(5000) })
          .then(async (res) => (await res.json()) as { peer_id?: string })
          .then((b) => b.peer_id?.toLowerCase() === p.peer_id.toLowerCase())
          .catch(() => false)
        if (ok) this.record(epoch, p.peer_id, slot)
      }),
    )
  }

  record(epoch: number, peer: string, slot: number): void {
    const row = this.#c.db.prepare('SELECT slots FROM uptime_seen WHERE epoch = ? AND peer = ?').get(epoch, peer.toLowerCase()) as { slots: string } | undefined
    const slots = BigInt(row?.slots ?? '0x0') | (1n << BigInt(slot))
    this.#c.db
      .prepare('INSERT INTO uptime_seen (epoch, peer, slots) VALUES (?, ?, ?) ON CONFLICT (epoch, peer) DO UPDATE SET slots = excluded.slots')
      .run(epoch, peer.toLowerCase(), `0x${slots.toString(16)}`)
  }

  /** Signs and sends what this node saw of each peer in epochs before `current` (once each). */
  async sendEnded(current: number): Promise<void> {
    const rows = this.#c.db.prepare('SELECT epoch, peer, slots FROM uptime_seen WHERE epoch < ? AND sent = 0').all(current) as { epoch: number; peer: string; slots: string }[]
    for (const row of rows) {
      const message = await this.sign(row.peer as Address, row.epoch, BigInt(row.slots))
      const p = this.#c.peers.get(row.peer) ?? this.#c.peers.list().map((e) => this.#c.peers.get(e.peer_id)).find((e) => e?.record.peer_id.toLowerCase() === row.peer)
      if (p) {
        const host = p.record.host.includes(':') ? `[${p.record.host}]` : p.record.host
        await fetch(`http://${host}:${p.record.port}/uptime`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined)
      }
      this.#c.db.prepare('UPDATE uptime_seen SET sent = 1 WHERE epoch = ? AND peer = ?').run(row.epoch, row.peer)
    }
  }

  #typed(node: Address, epoch: number, slots: bigint) {
    return {
      domain: { ...typedData.uptimeAttestation.domain, chainId: this.#c.chain.chainId, verifyingContract: this.#c.chain.contracts.BandwidthRewards },
      types: typedData.uptimeAttestation.types,
      primaryType: typedData.uptimeAttestation.primaryType,
      message: { node, epoch, slots },
    } as const
  }

  async sign(node: Address, epoch: number, slots: bigint): Promise<UptimeAttestationMessage> {
    const signature = await this.#c.account.signTypedData(this.#typed(node, epoch, slots))
    return { node, peer: this.#c.account.address, epoch, slots: `0x${slots.toString(16)}`, signature }
  }

  /** A peer's attestation of this node (POST /uptime): checked, then the latest per (epoch, peer) kept. */
  async accept(a: UptimeAttestationMessage): Promise<{ accepted: true }> {
    const self = this.#c.account.address
    if (a.node.toLowerCase() !== self.toLowerCase()) throw new ForbiddenError(`Attestation is for ${a.node}, not this node`)
    if (a.peer.toLowerCase() === self.toLowerCase()) throw new ForbiddenError('A node cannot attest itself')
    // Only epochs that can still be submitted: a peer must not fill the table with rows for any of 2^32 epochs.
    const current = this.#c.receipts.epoch
    if (current === undefined || (a.epoch !== current && a.epoch !== current - 1)) {
      throw new ForbiddenError(`Epoch ${a.epoch} is not open for attestations (current ${current ?? 'unknown'})`)
    }
    assertCanonicalSignature(a.signature as Hex)
    const signer = await recoverTypedDataAddress({ ...this.#typed(self, a.epoch, BigInt(a.slots)), signature: a.signature as Hex }).catch(() => undefined)
    if (!signer || signer.toLowerCase() !== a.peer.toLowerCase()) throw new ForbiddenError(`Attestation signature is not ${a.peer}'s`)
    const [peer, mine] = await Promise.all([this.#c.receipts.stakeOf(a.peer), this.#c.receipts.stakeOf(self)])
    if (peer.active === zeroAddress || peer.active.toLowerCase() === mine.operator.toLowerCase()) throw new ForbiddenError(`${a.peer} is not a staked node of another operator`)
    this.#c.db
      .prepare('INSERT INTO uptime_received (epoch, peer, slots, signature) VALUES (?, ?, ?, ?) ON CONFLICT (epoch, peer) DO UPDATE SET slots = excluded.slots, signature = excluded.signature')
      .run(a.epoch, a.peer.toLowerCase(), a.slots, a.signature)
    return { accepted: true }
  }

  /** Attestations of this node for `epoch`, ascending by peer (as `submitUptime` requires). */
  received(epoch: number): { peer: Address; slots: bigint; signature: Hex }[] {
    const rows = this.#c.db.prepare('SELECT peer, slots, signature FROM uptime_received WHERE epoch = ? ORDER BY peer').all(epoch) as { peer: string; slots: string; signature: string }[]
    return rows.map((r) => ({ peer: r.peer as Address, slots: BigInt(r.slots), signature: r.signature as Hex }))
  }
}
