import { getAddress, recoverMessageAddress } from 'viem/utils'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { Track } from '../api.ts'
import { cacheKey } from '../core/announcement.ts'

/** The metadata fields an uploader signs; node-local fields (cid, media type, registration) are not covered. */
type Signed = Pick<Track, 'content_hash' | 'size' | 'manifest_root' | 'title' | 'artist' | 'album' | 'duration' | 'created_at'>

/** The exact text signed with EIP-191 personal_sign; strings JSON-quoted so no field can forge a line. */
export function trackMetadataMessage(t: Signed, uploader: string): string {
  return [
    'dcmx-track-metadata:v1',
    `content_hash:${t.content_hash}`,
    `size:${t.size}`,
    `manifest_root:${t.manifest_root ?? ''}`,
    `title:${JSON.stringify(t.title)}`,
    `artist:${JSON.stringify(t.artist)}`,
    `album:${JSON.stringify(t.album)}`,
    `duration:${t.duration}`,
    `created_at:${JSON.stringify(t.created_at)}`,
    `uploader:${getAddress(uploader)}`,
  ].join('\n')
}

/** Signs `track` as its uploader (the node that first stored the bytes). */
export async function signTrackMetadata(account: PrivateKeyAccount, track: Track): Promise<Track> {
  const uploader_signature = await account.signMessage({ message: trackMetadataMessage(track, account.address) })
  return { ...track, uploader: account.address, uploader_signature }
}

/**
 * Checks uploader signatures on gossiped metadata. A bounded cache of verified (signature, message) pairs keeps
 * re-forwarded metadata cheap: the same entry reaches a node many times.
 */
export class TrackMetadataVerifier {
  #cache = new Set<string>()
  #cacheSize: number

  constructor(init: { cacheSize?: number } = {}) {
    this.#cacheSize = init.cacheSize ?? 16_384
  }

  /** True when `track` carries an uploader signature over exactly these fields. */
  async verify(track: Track): Promise<boolean> {
    if (!track.uploader || !track.uploader_signature) return false
    const message = trackMetadataMessage(track, track.uploader)
    const key = cacheKey(track.uploader_signature, message)
    if (this.#cache.has(key)) return true
    let signer: string
    try {
      signer = await recoverMessageAddress({ message, signature: track.uploader_signature as `0x${string}` })
    } catch {
      return false
    }
    if (signer !== getAddress(track.uploader)) return false
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.values().next().value as string)
    this.#cache.add(key)
    return true
  }
}
