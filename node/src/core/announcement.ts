import { createHash } from 'node:crypto'

import { getAddress, recoverMessageAddress } from 'viem/utils'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { SignedPeer } from '../api.ts'
import { InvalidAnnouncementError } from './errors.ts'

export type { SignedPeer }

/**
 * Key of a verified (signature, message) pair in the verifiers' caches: its SHA-256, not the pair itself. With
 * 10,000 tracks known the pairs alone held ~5 MiB of strings in the heap; a digest is 44 characters.
 */
export function cacheKey(signature: string, message: string): string {
  return createHash('sha256').update(signature).update('|').update(message).digest('base64')
}

/**
 * The digest a peer record signs over its track list: SHA-256 of the distinct 32-byte hashes in ascending order,
 * so the list travels in any order but cannot be swapped, shortened or padded under a valid record.
 */
export function tracksDigest(hashes: Iterable<string>): string {
  const sorted = [...new Set(hashes)].sort()
  const h = createHash('sha256')
  for (const x of sorted) h.update(Buffer.from(x, 'hex'))
  return h.digest('hex')
}

/** The exact text signed with EIP-191 personal_sign; one field per line, fixed order. */
export function announcementMessage(p: { peer_id: string; host: string; port: number; timestamp: number; tracks_digest: string }): string {
  return `dcmx-peer-announcement:v2\npeer_id:${getAddress(p.peer_id)}\nhost:${p.host}\nport:${p.port}\ntimestamp:${p.timestamp}\ntracks:${p.tracks_digest}`
}

export async function signAnnouncement(
  account: PrivateKeyAccount,
  at: { host: string; port: number },
  nowSec = Math.floor(Date.now() / 1000),
  tracks: Iterable<string> = [],
): Promise<SignedPeer> {
  const base = { peer_id: account.address, host: at.host, port: at.port, timestamp: nowSec, tracks_digest: tracksDigest(tracks) }
  const signature = await account.signMessage({ message: announcementMessage(base) })
  return { ...base, signature }
}

/**
 * Verifies signed peer records; a bounded cache of verified signatures keeps gossip cheap
 * (the same record is forwarded many times until its owner re-signs it).
 */
export class AnnouncementVerifier {
  readonly maxAgeSec: number
  readonly maxSkewSec = 60
  #cache = new Map<string, string>()
  #cacheSize: number

  constructor(init: { maxAgeSec: number; cacheSize?: number }) {
    this.maxAgeSec = init.maxAgeSec
    this.#cacheSize = init.cacheSize ?? 8192
  }

  /** Returns the record with a checksummed peer_id, or throws InvalidAnnouncementError. */
  async verify(p: SignedPeer, nowSec = Math.floor(Date.now() / 1000)): Promise<SignedPeer> {
    if (p.timestamp > nowSec + this.maxSkewSec) throw new InvalidAnnouncementError('Announcement timestamp is in the future')
    if (nowSec - p.timestamp > this.maxAgeSec) throw new InvalidAnnouncementError('Announcement is stale', { details: `older than ${this.maxAgeSec}s` })
    const peerId = getAddress(p.peer_id)
    const message = announcementMessage(p)
    const key = cacheKey(p.signature, message)
    if (this.#cache.get(key) === peerId) return { ...p, peer_id: peerId }
    let recovered: string
    try {
      recovered = await recoverMessageAddress({ message, signature: p.signature as `0x${string}` })
    } catch (err) {
      throw new InvalidAnnouncementError('Announcement signature is malformed', { cause: err })
    }
    if (recovered !== peerId) throw new InvalidAnnouncementError('Announcement is not signed by its peer_id')
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string)
    this.#cache.set(key, peerId)
    return { ...p, peer_id: peerId }
  }
}
