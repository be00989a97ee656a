import { keccak256, parseEther, stringToHex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { network } from "hardhat";
import { rewardsDomain, signRegistration, stakingDomain } from "./receipts.ts";

type Connection = Awaited<ReturnType<typeof network.create>>;
type Viem = Connection["viem"];

export const MiB = 1024n * 1024n;
export const DAY = 86_400;
export const TOKEN_CAP = parseEther("1000000000");
export const INITIAL_SUPPLY = parseEther("100000000");
export const MIN_STAKE = parseEther("1000");
export const UNBONDING_DELAY = 7 * DAY;

/** The seed's reward model (whitepaper 10.1) with a one-day epoch. */
export const defaultParameters = {
  epochLength: DAY,
  settlementDelay: 3_600,
  uptimeBonusBps: 2_000,
  diversityBonusBps: 1_000,
  diversityTarget: 10,
  perClientCap: 10_240n * MiB,
  minClientBytes: MiB,
  rewardPerUnit: parseEther("1"),
  emissionCap: parseEther("100000"),
};
export type Parameters = typeof defaultParameters;

/** A deterministic node identity key (the mesh peer id is its address). */
export const nodeKey = (label: string): PrivateKeyAccount => privateKeyToAccount(keccak256(stringToHex(`dcmx-node:${label}`)));

/** Token, staking and rewards with `deployer` as admin/owner standing in for the timelock. */
export async function deployEconomy(viem: Viem, parameters: Parameters = defaultParameters) {
  const publicClient = await viem.getPublicClient();
  const [deployer, ...operators] = await viem.getWalletClients();
  const token = await viem.deployContract("DCMXToken", [deployer.account.address, deployer.account.address, INITIAL_SUPPLY, [], TOKEN_CAP]);
  const staking = await viem.deployContract("NodeStaking", [token.address, deployer.account.address, MIN_STAKE, UNBONDING_DELAY]);
  const rewards = await viem.deployContract("BandwidthRewards", [token.address, staking.address, deployer.account.address, parameters]);
  await token.write.grantRole([await token.read.MINTER_ROLE(), rewards.address]);
  const chainId = await publicClient.getChainId();

  /** Funds `operator` and registers `node` for it with `amount` at stake. */
  async function register(operatorIndex: number, node: PrivateKeyAccount, amount = MIN_STAKE, endpoint = "/dns4/node.example/tcp/4001") {
    const operator = operators[operatorIndex];
    await token.write.transfer([operator.account.address, amount]);
    await token.write.approve([staking.address, amount], { account: operator.account });
    const signature = await signRegistration(node, stakingDomain(chainId, staking.address), operator.account.address);
    await staking.write.registerNode([node.address, endpoint, amount, signature], { account: operator.account });
    return operator;
  }

  return {
    publicClient,
    deployer,
    operators,
    token,
    staking,
    rewards,
    chainId,
    rewardsDomain: rewardsDomain(chainId, rewards.address),
    stakingDomain: stakingDomain(chainId, staking.address),
    register,
  };
}

/** The seed's formula in wei, for asserting claims: bytes/100MiB * rate * (1 + uptime + diversity). */
export function seedReward(bytes: bigint, clients: number, uptime: boolean, p: Parameters = defaultParameters): bigint {
  const target = BigInt(p.diversityTarget);
  const counted = BigInt(Math.min(clients, p.diversityTarget));
  const multiplier = 10_000n * target + counted * BigInt(p.diversityBonusBps) + (uptime ? target * BigInt(p.uptimeBonusBps) : 0n);
  return (bytes * p.rewardPerUnit * multiplier) / (10_000n * target * 100n * MiB);
}

