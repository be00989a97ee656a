import { encodeAbiParameters, getAddress, isAddress, keccak256, concat, type Hex } from 'viem'

/** OpenZeppelin standard-tree leaf for one address, as Editions checks it: keccak256(keccak256(abi.encode(addr))). */
export function allowlistLeaf(address: string): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: 'address' }], [getAddress(address)])))
}

const hashPair = (a: Hex, b: Hex): Hex => (BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a])))

/** Parses pasted addresses or CSV: the first column of each line (a header line `address` is skipped; several
 * addresses on one line separated by spaces are accepted too). Returns unique addresses and what is not one. */
export function parseAllowlist(text: string): { addresses: `0x${string}`[]; invalid: string[] } {
  const seen = new Set<string>()
  const addresses: `0x${string}`[] = []
  const invalid: string[] = []
  const fields = text.split(/\r?\n/).flatMap((line) => {
    const first = line.split(/[,;\t]/)[0] ?? ''
    return first.trim().split(/\s+/)
  })
  for (const raw of fields) {
    const v = raw.trim().replace(/^"|"$/g, '')
    if (!v || /^address$/i.test(v)) continue
    if (!isAddress(v, { strict: false })) {
      invalid.push(v)
      continue
    }
    const a = getAddress(v)
    if (!seen.has(a)) {
      seen.add(a)
      addresses.push(a)
    }
  }
  return { addresses, invalid }
}

/** Layers of a sorted-pair Merkle tree over the sorted leaves (an odd node is carried up unchanged). */
function layers(addresses: readonly string[]): Hex[][] {
  if (addresses.length === 0) throw new Error('an allowlist needs at least one address')
  const out: Hex[][] = [addresses.map(allowlistLeaf).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))]
  while (out[out.length - 1].length > 1) {
    const prev = out[out.length - 1]
    const next: Hex[] = []
    for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? hashPair(prev[i], prev[i + 1]) : prev[i])
    out.push(next)
  }
  return out
}

export function allowlistRoot(addresses: readonly string[]): Hex {
  const l = layers(addresses)
  return l[l.length - 1][0]
}

/** The proof for `address`, or null when it is not on the list. */
export function allowlistProof(addresses: readonly string[], address: string): Hex[] | null {
  const l = layers(addresses)
  let index = l[0].indexOf(allowlistLeaf(address))
  if (index < 0) return null
  const proof: Hex[] = []
  for (let level = 0; level < l.length - 1; level++) {
    const sibling = index ^ 1
    if (sibling < l[level].length) proof.push(l[level][sibling])
    index >>= 1
  }
  return proof
}
