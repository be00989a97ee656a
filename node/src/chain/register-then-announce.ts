import type { RegistrationRequest, Track } from '../api.ts'
import { ForbiddenError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Db } from '../storage/db.ts'
import type { TrackStore } from '../storage/track-store.ts'
import type { RegistrationService } from './registration.ts'

export interface RegisterThenAnnounceComponents {
  registration: RegistrationService
  tracks: TrackStore
  /** Makes tracks public: released, unreserved, pinned if held back, announced (node.publish). */
  announce: (tracks: Track[]) => Promise<void>
  /** Deletes a local track outright: its rows and its bytes (a reserved upload nobody registered in time). */
  discard: (hash: string) => Promise<void>
  db: Db
  logger: Logger
  now?: () => number
}

/** How long a wallet's upload is reserved for that wallet's own registration. */
export const RESERVATION_MS = 24 * 3600 * 1000
/** How often lapsed reservations are swept. */
const SWEEP_MS = 3600 * 1000

/**
 * Registers an upload on chain BEFORE the mesh hears of it (issue 8): while its registration is pending or committed
 * the track is withheld (left out of gossip, of `available_tracks` and of the public `/tracks`), and it is announced
 * once registered. Announcing first would let anyone fetch the bytes and commit them as their own ahead of the
 * reveal. A failed registration keeps the track withheld (logged): the operator retries it, or announces by hand
 * (`/local/announce_content` releases it). Tracks withheld when the node stopped are withheld again at start.
 */
export class RegisterThenAnnounce {
  readonly #c: RegisterThenAnnounceComponents
  readonly #log: Logger
  readonly #stop = new AbortController()
  readonly #waiting = new Set<Promise<void>>()
  #sweeper: NodeJS.Timeout | undefined
  #sweeping: Promise<{ released: string[]; discarded: string[] }> | undefined

  constructor(components: RegisterThenAnnounceComponents) {
    this.#c = components
    this.#log = components.logger.child({ component: 'register-then-announce' })
    components.db.exec('CREATE TABLE IF NOT EXISTS upload_reservations (content_hash TEXT PRIMARY KEY, wallet TEXT NOT NULL, reserved_at INTEGER NOT NULL)')
  }

  /**
   * A wallet's upload (web app): withheld from the mesh and reserved for that wallet's own relayed registration, so
   * nobody who learns of the upload can register it first; announced once registered. Persisted across restarts.
   */
  reserve(track: Track, wallet: string): void {
    this.#c.tracks.withhold(track.content_hash)
    this.#c.db
      .prepare('INSERT OR IGNORE INTO upload_reservations (content_hash, wallet, reserved_at) VALUES (?, ?, ?)')
      .run(track.content_hash, wallet.toLowerCase(), (this.#c.now ?? Date.now)())
  }

  /** Refuses to register a reserved upload for anyone but the wallet that uploaded it: no other signer, and not the
   * operator as the artist (the operator may still relay, or retry, the uploader's own signature). A reservation
   * holds until the sweep ends it, so nobody slips in between its lapse and the sweep's verdict. */
  check(hash: string, input: RegistrationRequest): void {
    const r = this.#reservation(hash)
    if (!r) return
    if (!input.signature || input.artist?.toLowerCase() !== r.wallet) {
      throw new ForbiddenError('This upload is reserved for the registration of the wallet that uploaded it', {
        details: `until ${new Date(r.reserved_at + RESERVATION_MS).toISOString()}, then deleted unless registered`,
      })
    }
  }

  /** Ends a reservation (the operator released or uploaded the track itself); true if there was one. */
  unreserve(hash: string): boolean {
    return this.#c.db.prepare('DELETE FROM upload_reservations WHERE content_hash = ?').run(hash).changes > 0
  }

  /** A registration of a withheld upload was requested: announce it once it lands. */
  watch(hash: string): void {
    if (this.#c.tracks.isWithheld(hash)) this.#follow(hash)
  }

  /** A new upload to register as the operator; announced when its registration lands. */
  async upload(track: Track): Promise<void> {
    this.#c.tracks.withhold(track.content_hash)
    try {
      await this.#c.registration.request(track.content_hash, {}, { operator: true })
    } catch (err) {
      this.#log.warn({ hash: track.content_hash, err: (err as Error).message.split('\n')[0] }, 'registration not requested: the upload stays withheld')
      return
    }
    this.#follow(track.content_hash)
  }

  /** At start: local tracks whose registration is still open, and reserved uploads not yet registered, are
   * withheld until their registration lands; lapsed reservations are swept now and every hour. */
  resume(): void {
    const reserved = new Set((this.#c.db.prepare('SELECT content_hash FROM upload_reservations').all() as Array<{ content_hash: string }>).map((r) => r.content_hash))
    for (const hash of this.#c.tracks.localHashes({ all: true })) {
      const state = this.#c.registration.get(hash)?.state
      if (state === 'pending' || state === 'committed') {
        this.#c.tracks.withhold(hash)
        this.#follow(hash)
      } else if (reserved.has(hash) && state !== 'registered') {
        this.#c.tracks.withhold(hash)
      }
    }
    const sweep = (): void => void this.sweep().catch((err: unknown) => this.#log.warn({ err: (err as Error).message.split('\n')[0] }, 'reservation sweep failed'))
    sweep()
    this.#sweeper = setInterval(sweep, SWEEP_MS)
    this.#sweeper.unref()
  }

  /**
   * Ends lapsed reservations (older than RESERVATION_MS): a wallet that uploaded and never registered does not keep
   * the node's disk. A track registered meanwhile (here, or by its artist elsewhere: the bytes are anchored on chain
   * and nobody can take them any more) is announced; one whose registration is under way waits for it; one the
   * operator released is left alone; anything else is deleted, rows and bytes. When the chain cannot say, nothing is
   * deleted this time. One sweep at a time.
   */
  sweep(now = (this.#c.now ?? Date.now)()): Promise<{ released: string[]; discarded: string[] }> {
    this.#sweeping ??= this.#sweep(now).finally(() => (this.#sweeping = undefined))
    return this.#sweeping
  }

  async #sweep(now: number): Promise<{ released: string[]; discarded: string[] }> {
    const lapsed = this.#c.db
      .prepare('SELECT content_hash FROM upload_reservations WHERE reserved_at <= ?')
      .all(now - RESERVATION_MS) as Array<{ content_hash: string }>
    const out = { released: [] as string[], discarded: [] as string[] }
    const inFlight = (hash: string): boolean => ['pending', 'committed'].includes(this.#c.registration.get(hash)?.state ?? '')
    for (const { content_hash: hash } of lapsed) {
      if (this.#stop.signal.aborted) break
      try {
        if (!this.#c.tracks.isWithheld(hash)) {
          this.unreserve(hash) // released by the operator (or registered and announced): not ours to delete
          continue
        }
        if (inFlight(hash)) continue
        let registered = this.#c.registration.get(hash)?.state === 'registered'
        if (!registered) {
          try {
            registered = (await this.#c.registration.onChain(hash)) !== undefined
          } catch (err) {
            this.#log.warn({ hash, err: (err as Error).message.split('\n')[0] }, 'lapsed reservation kept: the chain cannot say whether it is registered')
            continue
          }
          // Asked or released while the chain was read: decide next time.
          if (inFlight(hash) || !this.#c.tracks.isWithheld(hash)) continue
        }
        if (registered) {
          await this.#release(hash)
          out.released.push(hash)
        } else {
          await this.#c.discard(hash)
          this.#log.info({ hash }, 'reservation lapsed without a registration: upload deleted')
          out.discarded.push(hash)
        }
        this.unreserve(hash) // only once the verdict is carried out: a failed step is retried by the next sweep
      } catch (err) {
        this.#log.warn({ hash, err: (err as Error).message.split('\n')[0] }, 'lapsed reservation not swept; retried next time')
      }
    }
    return out
  }

  #reservation(hash: string): { wallet: string; reserved_at: number } | undefined {
    return this.#c.db.prepare('SELECT wallet, reserved_at FROM upload_reservations WHERE content_hash = ?').get(hash) as { wallet: string; reserved_at: number } | undefined
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper)
    this.#stop.abort()
    await this.#sweeping?.catch(() => {})
    await Promise.allSettled([...this.#waiting])
  }

  async #release(hash: string): Promise<void> {
    const t = this.#c.tracks.get(hash)
    if (!t?.local) return this.#c.tracks.release(hash)
    const { local: _local, ...track } = t
    await this.#c.announce([track])
  }

  #follow(hash: string): void {
    const p = (async () => {
      const r = await this.#c.registration.settled(hash, { signal: this.#stop.signal })
      if (r.state !== 'registered') {
        this.#log.warn({ hash, reason: r.reason }, 'registration failed: the upload stays withheld from the mesh')
        return
      }
      this.#log.info({ hash, register_tx: r.register_tx }, 'registered on chain: announcing')
      await this.#release(hash)
    })().catch((err: unknown) => {
      if (!this.#stop.signal.aborted) this.#log.warn({ hash, err: (err as Error).message.split('\n')[0] }, 'announce after registration failed')
    })
    this.#waiting.add(p)
    void p.finally(() => this.#waiting.delete(p))
  }
}
