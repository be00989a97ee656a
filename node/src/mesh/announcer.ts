import type { PrivateKeyAccount } from 'viem/accounts'

import type { SignedPeer } from '../api.ts'
import { signAnnouncement } from '../core/announcement.ts'

/** Holds this node's signed peer record and re-signs it before peers would consider it stale. */
export class Announcer {
  readonly account: PrivateKeyAccount
  #at: { host: string; port: number }
  #maxAgeSec: number
  #current: SignedPeer | undefined

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

  async current(nowSec = Math.floor(Date.now() / 1000)): Promise<SignedPeer> {
    if (!this.#current || nowSec - this.#current.timestamp > this.#maxAgeSec / 2) {
      this.#current = await signAnnouncement(this.account, this.#at, nowSec)
    }
    return this.#current
  }
}
