import { typedData } from "@dcmx/deployments";
import { concat, encodeAbiParameters, keccak256, stringToHex, type Address, type Hex } from "viem";

/** EIP-712 types of `TrackRegistry.registerWithSig`, from the generated deployments module. */
export const registerTypes = typedData.register.types;

export interface Registration {
  contentHash: Hex;
  manifestRoot: Hex;
  size: bigint;
  duration: number;
  title: string;
  artistName: string;
  album: string;
  metadataURI: string;
}

/** A realistic registration whose hashes derive from `seed`, so each call gives a distinct track. */
export function sampleRegistration(seed: string, overrides: Partial<Registration> = {}): Registration {
  return {
    contentHash: keccak256(stringToHex(`audio:${seed}`)),
    manifestRoot: keccak256(stringToHex(`manifest:${seed}`)),
    size: 7_340_032n,
    duration: 241,
    title: "Midnight Drive",
    artistName: "Nova Lune",
    album: "Night Drives",
    metadataURI: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    ...overrides,
  };
}

/** The production default reveal window (Music.ts): 60 s (~5 L1 blocks, ~30 L2 blocks) to 1 day. */
export const COMMIT_AGES = { min: 60, max: 86_400 } as const;

/** `TrackRegistry.commitmentOf`: `keccak256(abi.encode(contentHash, artist, salt))`. */
export function commitmentOf(contentHash: Hex, artist: Address, salt: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "bytes32" }], [contentHash, artist, salt]));
}

/** A deterministic salt per seed for tests (real clients MUST use 32 random bytes). */
export function saltOf(seed: string): Hex {
  return keccak256(stringToHex(`salt:${seed}`));
}

export interface Presale {
  merkleRoot: Hex;
  price: bigint;
  start: number;
  perWalletCap: number;
}

export const noPresale: Presale = { merkleRoot: `0x${"00".repeat(32)}`, price: 0n, start: 0, perWalletCap: 0 };

export interface EditionParams {
  contentHash: Hex;
  name: string;
  price: bigint;
  maxSupply: number;
  royaltyBps: number;
  saleStart: number;
  saleEnd: number;
  perWalletCap: number;
  presale: Presale;
}

export function sampleEdition(contentHash: Hex, overrides: Partial<EditionParams> = {}): EditionParams {
  return {
    contentHash,
    name: "Midnight Drive",
    price: 10_000_000_000_000_000n, // 0.01 ETH
    maxSupply: 100,
    royaltyBps: 1_000,
    saleStart: 0,
    saleEnd: 0,
    perWalletCap: 0,
    presale: noPresale,
    ...overrides,
  };
}

/** `tokenId = editionId << 32 | serial`, as Editions packs it. */
export function tokenIdOf(editionId: bigint, serial: bigint): bigint {
  return (editionId << 32n) | serial;
}

export function registerDomain(chainId: number, verifyingContract: Address) {
  return { ...typedData.register.domain, chainId, verifyingContract } as const;
}

/** OpenZeppelin's standard Merkle leaf of an address: `keccak256(bytes.concat(keccak256(abi.encode(wallet))))`. */
export function allowlistLeaf(wallet: Address): Hex {
  return keccak256(concat([keccak256(encodeAbiParameters([{ type: "address" }], [wallet]))]));
}

function hashPair(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/**
 * An allowlist Merkle tree of standard leaves with sorted-pair hashing, as OpenZeppelin's MerkleProof verifies;
 * `StandardMerkleTree.of(wallets.map((w) => [w]), ["address"])` orders leaves differently but its proofs verify the
 * same way. Returns the root and a proof per wallet.
 */
export function allowlist(wallets: Address[]): { root: Hex; proof: (wallet: Address) => Hex[] } {
  const levels: Hex[][] = [wallets.map(allowlistLeaf)];
  while (levels.at(-1)!.length > 1) {
    const level = levels.at(-1)!;
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? hashPair(level[i]!, level[i + 1]!) : level[i]!);
    levels.push(next);
  }
  const proof = (wallet: Address): Hex[] => {
    let index = wallets.findIndex((w) => w.toLowerCase() === wallet.toLowerCase());
    if (index < 0) return [];
    const path: Hex[] = [];
    for (const level of levels.slice(0, -1)) {
      const sibling = index ^ 1;
      if (sibling < level.length) path.push(level[sibling]!);
      index >>= 1;
    }
    return path;
  };
  return { root: levels.at(-1)![0]!, proof };
}
