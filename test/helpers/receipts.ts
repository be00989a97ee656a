// Signing helpers for the token economy's EIP-712 messages; the definitions come from @dcmx/deployments.
import { typedData } from "@dcmx/deployments";
import { parseSignature, signatureToCompactSignature, type Address, type Hex, type LocalAccount } from "viem";

/** Domain name/version of BandwidthRewards receipts and uptime attestations. */
export const REWARDS_DOMAIN = typedData.receipt.domain;
/** Domain name/version of NodeStaking registrations. */
export const STAKING_DOMAIN = typedData.nodeRegistration.domain;

/** Signed by the downloading node (the client), never by the server. */
export const receiptTypes = typedData.receipt.types;

/** Signed by a peer: bit i of `slots` set means it reached `node` in slot i of the epoch's 256 slots. */
export const uptimeTypes = typedData.uptimeAttestation.types;

/** Signed by a node key to let `operator` register it. */
export const registrationTypes = typedData.nodeRegistration.types;

export interface Eip712Domain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

export const rewardsDomain = (chainId: number, verifyingContract: Address): Eip712Domain => ({
  ...REWARDS_DOMAIN,
  chainId,
  verifyingContract,
});

export const stakingDomain = (chainId: number, verifyingContract: Address): Eip712Domain => ({
  ...STAKING_DOMAIN,
  chainId,
  verifyingContract,
});

export interface ReceiptMessage {
  server: Address;
  client: Address;
  epoch: number;
  cumulativeBytes: bigint;
  servedRoot: Hex;
  nonce: bigint;
}

/** A receipt as `submitReceipts` takes it (ERC-2098 compact signature). */
export interface SubmittedReceipt {
  client: Address;
  cumulativeBytes: bigint;
  nonce: bigint;
  servedRoot: Hex;
  r: Hex;
  vs: Hex;
}

/** An attestation as `submitUptime` takes it. */
export interface SubmittedAttestation {
  peer: Address;
  slots: bigint;
  r: Hex;
  vs: Hex;
}

export function toCompact(signature: Hex): { r: Hex; vs: Hex } {
  const { r, yParityAndS } = signatureToCompactSignature(parseSignature(signature));
  return { r, vs: yParityAndS };
}

export async function signReceipt(client: LocalAccount, domain: Eip712Domain, message: ReceiptMessage): Promise<SubmittedReceipt> {
  const signature = await client.signTypedData({ domain, types: receiptTypes, primaryType: "Receipt", message });
  const { client: address, cumulativeBytes, nonce, servedRoot } = message;
  return { client: address, cumulativeBytes, nonce, servedRoot, ...toCompact(signature) };
}

export async function signUptime(
  peer: LocalAccount,
  domain: Eip712Domain,
  message: { node: Address; epoch: number; slots: bigint },
): Promise<SubmittedAttestation> {
  const signature = await peer.signTypedData({ domain, types: uptimeTypes, primaryType: "UptimeAttestation", message });
  return { peer: peer.address, slots: message.slots, ...toCompact(signature) };
}

export function signRegistration(node: LocalAccount, domain: Eip712Domain, operator: Address): Promise<Hex> {
  return node.signTypedData({ domain, types: registrationTypes, primaryType: "NodeRegistration", message: { node: node.address, operator } });
}

/** Batches and attestation lists must be strictly ascending by address. */
export function byAddress<T>(key: (item: T) => Address): (a: T, b: T) => number {
  return (a, b) => {
    const x = BigInt(key(a));
    const y = BigInt(key(b));
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/** All 256 uptime slots set. */
export const ALL_SLOTS = (1n << 256n) - 1n;
