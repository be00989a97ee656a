import { InvalidContentHashError } from './errors.ts'

/** Content hashes travel as 64 lowercase hex chars (no 0x); on chain they are bytes32. */

export type ContentHash = string

export function isContentHash(value: unknown): value is ContentHash {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}

export function parseContentHash(value: string): ContentHash {
  if (!isContentHash(value)) throw new InvalidContentHashError(value)
  return value
}

/** The bytes32 form the on-chain registry stores. */
export function toBytes32(hash: ContentHash): `0x${string}` {
  return `0x${parseContentHash(hash)}`
}
