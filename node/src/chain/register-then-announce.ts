import type { Track } from '../api.ts'
import type { Logger } from '../core/logger.ts'
import type { TrackStore } from '../storage/track-store.ts'
import type { RegistrationService } from './registration.ts'

export interface RegisterThenAnnounceComponents {
  registration: RegistrationService
  tracks: TrackStore
  announce: (tracks: Track[]) => Promise<void>
  logger: Logger
}

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

  constructor(components: RegisterThenAnnounceComponents) {
    this.#c = components
    this.#log = components.logger.child({ component: 'register-then-announce' })
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

  /** At start: local tracks whose registration is still open are withheld until it lands. */
  resume(): void {
    for (const hash of this.#c.tracks.localHashes()) {
      const state = this.#c.registration.get(hash)?.state
      if (state === 'pending' || state === 'committed') {
        this.#c.tracks.withhold(hash)
        this.#follow(hash)
      }
    }
  }

  async stop(): Promise<void> {
    this.#stop.abort()
    await Promise.allSettled([...this.#waiting])
  }

  #follow(hash: string): void {
    const p = (async () => {
      const r = await this.#c.registration.settled(hash, { signal: this.#stop.signal })
      if (r.state !== 'registered') {
        this.#log.warn({ hash, reason: r.reason }, 'registration failed: the upload stays withheld from the mesh')
        return
      }
      this.#c.tracks.release(hash)
      const t = this.#c.tracks.get(hash)
      if (!t?.local) return
      const { local: _local, ...track } = t
      this.#log.info({ hash, register_tx: r.register_tx }, 'registered on chain: announcing')
      await this.#c.announce([track])
    })().catch((err: unknown) => {
      if (!this.#stop.signal.aborted) this.#log.warn({ hash, err: (err as Error).message.split('\n')[0] }, 'announce after registration failed')
    })
    this.#waiting.add(p)
    void p.finally(() => this.#waiting.delete(p))
  }
}
