import { typedData } from "@dcmx/deployments";
import { keccak256, stringToHex, type Address, type Hex } from "viem";

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

export interface EditionParams {
  contentHash: Hex;
  name: string;
  price: bigint;
  maxSupply: number;
  royaltyBps: number;
  saleStart: number;
  saleEnd: number;
  perWalletCap: number;
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
