import { typedData } from '@dcmx/deployments'
import { hashDomain, keccak256, toBytes } from 'viem'
import type { Address, Hex } from 'viem'

import { recoverAddress } from '../core/secp256k1.ts'

/**
 * The receipt's EIP-712 digest and its signature check, cheap enough to run for every receipt on the hot path
 * (issue 8): viem's generic `hashTypedData` + `recoverTypedDataAddress` cost ~3-4 ms per receipt here, most of it the
 * recovery in JavaScript and the generic typed-data encoding. Here the domain separator and type hash are computed
 * once, the struct (six static 32-byte words) is encoded by hand, and the recovery is libsecp256k1's (~0.2 ms). The
 * digest is tested against viem's `hashTypedData` and the check against viem's signatures
 * (test/chain/receipts-crypto.test.ts).
 */

export interface ReceiptFields {
  server: string
  client: string
  epoch: number
  cumulativeBytes: string | bigint
  servedRoot: string
  nonce: string | bigint
}

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

/**
 * Checks receipt (and content header) signatures the way the contract's `ecrecover` does: the canonical signature
 * recovers to the claimed address (src/core/secp256k1.ts: libsecp256k1, ~0.2 ms a check).
 */
export class ReceiptSignatures {
  /** Whether `signature` over `digest` is `signer`'s. */
  async verify(signer: Address, digest: Uint8Array, signature: Hex): Promise<boolean> {
    return (await recoverAddress(digest, signature)) === signer.toLowerCase()
  }
}
