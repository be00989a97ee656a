import type { PrivateKeyAccount } from 'viem/accounts'

import type { SignedPeer } from '../api.ts'
import { signAnnouncement, tracksDigest } from '../core/announcement.ts'

/** How far ahead of the clock a re-signed record's timestamp may run when the track list changes fast. */
const MAX_LEAD_SEC = 30

/** A signed record and the exact track list its `tracks_digest` covers (they always travel together). */
export interface CurrentRecord {
  record: SignedPeer
  tracks: string[]
}

/**
 * Holds this node's signed peer record and re-signs it before peers would consider it stale, and whenever the
 * local track list changes (the record signs its digest). Timestamps strictly increase, so a peer can always tell
 * the newer list; a burst of changes within one second runs the clock ahead by at most MAX_LEAD_SEC, after
 * which the last record (with its own list) is served until the clock catches up.
 */
export class Announcer {
  readonly account: PrivateKeyAccount
  #at: { host: string; port: number }
  #maxAgeSec: number
  #current: CurrentRecord | undefined
  #queue: Promise<unknown> = Promise.resolve()

  constructor(components: { account: PrivateKeyAccount }, init: { host: string; port: number; maxAgeSec: number }) {
    this.account = components.account
    this.#at = { host: init.host, port: init.port }
    this.#maxAgeSec = init.maxAgeSec
  }

  get peerId(): string {
    return this.account.address
  }

  get address(): { host: string; port: number } {
    return this.#at
  }

  /** Called once the server is bound (port 0 resolves to a real port). */
  setAddress(at: { host: string; port: number }): void {
    this.#at = at
    this.#current = undefined
  }

  /** The record to send with `tracks`, this node's local hashes now. Calls are serialized: one timestamp, one list. */
  current(tracks: readonly string[] = [], nowSec = Math.floor(Date.now() / 1000)): Promise<CurrentRecord> {
    const p = this.#queue.then(() => this.#resign(tracks, nowSec))
    this.#queue = p.catch(() => {})
    return p
  }

  async #resign(tracks: readonly string[], nowSec: number): Promise<CurrentRecord> {
    const cur = this.#current
    if (cur && nowSec - cur.record.timestamp <= this.#maxAgeSec / 2 && cur.record.tracks_digest === tracksDigest(tracks)) return cur
    const ts = cur ? Math.max(nowSec, cur.record.timestamp + 1) : nowSec
    if (cur && ts > nowSec + MAX_LEAD_SEC) return cur
    this.#current = { record: await signAnnouncement(this.account, this.#at, ts, tracks), tracks: [...tracks] }
    return this.#current
  }
}
