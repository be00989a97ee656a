import { keccak256, recoverAddress as viemRecoverAddress, toBytes, toHex } from 'viem'
import type { Hex } from 'viem'
import { sign as viemSign } from 'viem/accounts'

/**
 * secp256k1 signing and recovery by libsecp256k1 (tiny-secp256k1's WebAssembly build, bitcoinjs), loaded on first
 * use: the node's per-receipt work (issue 8's receipts ratio). Measured here against @noble/curves (viem's): signing a
 * hash 99 vs 296 us, recovery 223 us vs ~1.3 ms, and none of noble's BigInt garbage (the metering server spent as much
 * time in its garbage collector as in its checks). Only raw-hash signing and recovery use it; viem's account keeps
 * every other signature (messages, typed data, transactions).
 */
type Ecc = typeof import('tiny-secp256k1')
let ecc: Promise<Ecc | undefined> | undefined
/**
 * libsecp256k1, or undefined where it cannot load (no WebAssembly: `node --jitless`): then viem's JavaScript
 * (@noble/curves) does the same work, slower, with the same results. Never a refusal of good signatures.
 */
export const libsecp256k1 = (): Promise<Ecc | undefined> => (ecc ??= import('tiny-secp256k1').catch(() => undefined))

/** Signs a 32-byte hash as viem's `account.sign({ hash })` does (RFC 6979, low s): r ‖ s ‖ v with v = 27 + parity. */
export async function signHash(hash: Hex, privateKey: Hex): Promise<Hex> {
  const lib = await libsecp256k1()
  if (!lib) return viemSign({ hash, privateKey, to: 'hex' })
  const { signature, recoveryId } = lib.signRecoverable(toBytes(hash), toBytes(privateKey))
  return `${toHex(signature)}${(27 + recoveryId).toString(16)}` as Hex
}

/**
 * The lower-case address whose key made `signature` (65 bytes, r ‖ s ‖ v, v in 27/28 or 0/1) over `digest`, as
 * `ecrecover` finds it, or undefined. Only canonical signatures: r and s in range, s in the lower half (as the
 * contracts require, so a signature's high-s twin is refused).
 */
export async function recoverAddress(digest: Uint8Array, signature: Hex): Promise<string | undefined> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined
  const r = BigInt(`0x${signature.slice(2, 66)}`)
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = Number.parseInt(signature.slice(130), 16)
  const bit = v === 27 || v === 0 ? 0 : v === 28 || v === 1 ? 1 : -1
  if (bit < 0 || r <= 0n || r >= N || s <= 0n || s > N >> 1n) return undefined
  const lib = await libsecp256k1()
  try {
    if (!lib) return (await viemRecoverAddress({ hash: toHex(digest), signature })).toLowerCase()
    const pub = lib.recover(digest, toBytes(signature).subarray(0, 64), bit as 0 | 1, false)
    return pub ? `0x${keccak256(pub.subarray(1)).slice(-40)}` : undefined
  } catch {
    // No point on the curve for this r (or no key recovers): not anyone's signature.
    return undefined
  }
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
