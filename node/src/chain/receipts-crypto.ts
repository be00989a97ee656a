import { secp256k1 } from '@noble/curves/secp256k1'
import { invert, mod } from '@noble/curves/abstract/modular'
import { typedData } from '@dcmx/deployments'
import { hashDomain, keccak256, toBytes } from 'viem'
import type { Address, Hex } from 'viem'

/**
 * The receipt's EIP-712 digest and its signature check, cheap enough to run for every receipt on the hot path
 * (issue 8): viem's generic `hashTypedData` + `recoverTypedDataAddress` cost ~3-4 ms per receipt here, most of it the
 * recovery (one unprecomputed scalar multiplication of a fresh point, a square root) and the generic typed-data
 * encoding. Here the domain separator and type hash are computed once, the struct (six static 32-byte words) is
 * encoded by hand, and a client's public key, once recovered, is kept with a precomputed multiplication table, so each
 * later receipt is a plain ECDSA verification against it (~0.5 ms). The digest is tested against viem's
 * `hashTypedData` and the check against viem's recovery (test/chain/receipts-crypto.test.ts).
 */

export interface ReceiptFields {
  server: string
  client: string
  epoch: number
  cumulativeBytes: string | bigint
  servedRoot: string
  nonce: string | bigint
}

const N = secp256k1.CURVE.n
const HALF_N = N >> 1n
const Point = secp256k1.ProjectivePoint
const FIELDS = typedData.receipt.types.Receipt as readonly { name: string; type: string }[]
const ORDER = ['server', 'client', 'epoch', 'cumulativeBytes', 'servedRoot', 'nonce'] as const
// The hand encoding below holds for exactly this struct: refuse to run against a different one.
if (FIELDS.map((f) => f.name).join() !== ORDER.join() || FIELDS.some((f) => !/^(address|uint(8|16|32|64|128|256)|bytes32)$/.test(f.type))) {
  throw new Error('typedData.receipt changed: update src/chain/receipts-crypto.ts')
}
const TYPE_HASH = toBytes(keccak256(toBytes(`${typedData.receipt.primaryType}(${FIELDS.map((f) => `${f.type} ${f.name}`).join(',')})`)))
const MAX_UINT = Object.fromEntries(FIELDS.filter((f) => f.type.startsWith('uint')).map((f) => [f.name, (1n << BigInt(f.type.slice(4))) - 1n]))

/** The EIP-712 domain separator of receipts on `chainId` for the BandwidthRewards contract (computed once per domain). */
export function receiptDomainSeparator(chainId: number, verifyingContract: Address): Uint8Array {
  return toBytes(hashDomain({ domain: { ...typedData.receipt.domain, chainId: BigInt(chainId), verifyingContract }, types: { EIP712Domain: [
    { name: 'name', type: 'string' },
    { name: 'version', type: 'string' },
    { name: 'chainId', type: 'uint256' },
    { name: 'verifyingContract', type: 'address' },
  ] } }))
}

function word(out: Uint8Array, at: number, value: bigint): void {
  for (let i = 31; i >= 0; i--) {
    out[at + i] = Number(value & 0xffn)
    value >>= 8n
  }
}

/** keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(receipt)), as the contract's `receiptDigest`. */
export function receiptDigest(domainSeparator: Uint8Array, r: ReceiptFields): Uint8Array {
  const struct = new Uint8Array(32 * 7)
  struct.set(TYPE_HASH, 0)
  ORDER.forEach((name, i) => {
    const raw = r[name]
    let v: bigint
    if (name === 'server' || name === 'client' || name === 'servedRoot') {
      if (!/^0x[0-9a-fA-F]+$/.test(raw as string) || (raw as string).length !== (name === 'servedRoot' ? 66 : 42)) throw new Error(`receipt ${name} is malformed`)
      v = BigInt(raw as string)
    } else {
      v = BigInt(raw)
      if (v < 0n || v > (MAX_UINT[name] as bigint)) throw new Error(`receipt ${name} is out of range`)
    }
    word(struct, 32 * (i + 1), v)
  })
  const msg = new Uint8Array(66)
  msg[0] = 0x19
  msg[1] = 0x01
  msg.set(domainSeparator, 2)
  msg.set(toBytes(keccak256(struct)), 34)
  return toBytes(keccak256(msg))
}

/** The Ethereum address of an uncompressed public key point. */
function addressOf(p: InstanceType<typeof Point>): string {
  return `0x${keccak256(p.toRawBytes(false).subarray(1)).slice(-40)}`
}

function parse(signature: Hex): { r: bigint; s: bigint; bit: number } | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined
  const r = BigInt(`0x${signature.slice(2, 66)}`)
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = Number.parseInt(signature.slice(130), 16)
  const bit = v === 27 || v === 0 ? 0 : v === 28 || v === 1 ? 1 : -1
  // Only canonical signatures (low s, as the contracts require); r and s in range.
  if (bit < 0 || r <= 0n || r >= N || s <= 0n || s > HALF_N) return undefined
  return { r, s, bit }
}

/**
 * Checks receipt signatures; keeps the public keys of the last `limit` clients (each with a precomputed table of
 * ~100 KiB). A key enters the cache only by recovery from a signature that recovers to the claimed address, so a
 * peer cannot plant a key for another address.
 */
export class ReceiptSignatures {
  readonly #keys = new Map<string, { point: InstanceType<typeof Point>; uses: number; table: boolean }>()
  readonly #limit: number

  constructor(limit = 256) {
    this.#limit = limit
  }

  /** Whether `signature` over `digest` is `signer`'s (canonical, recovery bit consistent with the key). */
  verify(signer: Address, digest: Uint8Array, signature: Hex): boolean {
    const sig = parse(signature)
    if (!sig) return false
    const key = signer.toLowerCase()
    const hit = this.#keys.get(key)
    if (!hit) {
      let point: InstanceType<typeof Point>
      try {
        point = new secp256k1.Signature(sig.r, sig.s).addRecoveryBit(sig.bit).recoverPublicKey(digest)
      } catch {
        return false
      }
      if (addressOf(point) !== key) return false
      this.#remember(key, point)
      return true
    }
    // A client that signs again gets its table (~4 ms once), built after this check, off the receipt's path: the
    // checks after it cost a fifth of a recovery.
    if (++hit.uses === 2) {
      setImmediate(() => {
        secp256k1.utils.precompute(4, hit.point)
        hit.table = true
      })
    }
    this.#keys.delete(key)
    this.#keys.set(key, hit)
    try {
      // ECDSA verification (SEC 1, 4.1.4): R = (h/s)·G + (r/s)·Q must have x = r.
      const h = mod(BigInt(`0x${Buffer.from(digest).toString('hex')}`), N)
      const is = invert(sig.s, N)
      const u1 = mod(h * is, N)
      const u2 = mod(sig.r * is, N)
      // With its table the key is multiplied by `multiply` (noble 1.9's `multiplyUnsafe` gives wrong results on a
      // point with a table); without, by noble's own verification path.
      const sum = hit.table ? (u1 === 0n ? hit.point.multiply(u2) : Point.BASE.multiply(u1).add(hit.point.multiply(u2))) : Point.BASE.multiplyAndAddUnsafe(hit.point, u1, u2)
      if (!sum) return false
      const R = sum.toAffine()
      // R.x must be r exactly (the R.x >= n case would not recover to this key on chain) and the recovery bit must
      // name R's y parity, or the contract's ecrecover would find another address.
      return R.x === sig.r && Number(R.y & 1n) === sig.bit
    } catch {
      return false
    }
  }

  #remember(key: string, point: InstanceType<typeof Point>): void {
    this.#keys.set(key, { point, uses: 1, table: false })
    while (this.#keys.size > this.#limit) this.#keys.delete(this.#keys.keys().next().value as string)
  }
}
