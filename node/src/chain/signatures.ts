import { parseSignature } from 'viem'
import type { Hex } from 'viem'

import { ValidationError } from '../core/errors.ts'

/** secp256k1's order halved: a canonical (low-s) signature has s at most this (EIP-2). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/**
 * Refuses a signature the contracts cannot take in compact (ERC-2098) form: not 65 bytes, a high s, or a v other
 * than 27/28 (or 0/1). viem's recovery accepts a malleated high-s twin; storing one would make the later on-chain
 * batch fail to encode, so a peer could block this node's submissions with it.
 */
export function assertCanonicalSignature(signature: Hex): void {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw new ValidationError('Expected a 65-byte signature')
  const { s, v, yParity } = parseSignature(signature)
  if (BigInt(s) > HALF_N) throw new ValidationError('Signature is not canonical (high s)')
  if (v !== undefined && v !== 27n && v !== 28n && yParity !== 0 && yParity !== 1) throw new ValidationError('Signature has an invalid v')
}
