import type { network } from "hardhat";
import { keccak256, parseEther, stringToHex, type Hash } from "viem";
import { defaultParameters, INITIAL_SUPPLY, MiB, MIN_STAKE, nodeKey, TOKEN_CAP, UNBONDING_DELAY } from "../../test/helpers/economy.ts";
import { byAddress, rewardsDomain, signReceipt, signRegistration, stakingDomain, type SubmittedReceipt } from "../../test/helpers/receipts.ts";
import type { GasRow } from "./types.ts";

type Viem = Awaited<ReturnType<typeof network.create>>["viem"];

/**
 * Deploys the token economy and measures the issue's operations: receipt batches of 1, 10 and 100 in steady state
 * (each the server's first batch of the epoch, so it pays the fresh aggregate slot; its clients had receipts in the
 * previous epoch, so their cross-server credit slots are nonzero), the same 100 clients' first-ever receipts, a claim
 * of a settled epoch, the claim that settles the epoch (mints its pool), and registering a node (an operator's
 * first, and its third).
 */
export async function measureEconomy(viem: Viem): Promise<GasRow[]> {
  const publicClient = await viem.getPublicClient();
  const [deployer, serverOperator, clientOperator] = await viem.getWalletClients();
  const gas = async (hash: Promise<Hash>) => (await publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed;

  const token = await viem.deployContract("DCMXToken", [deployer.account.address, deployer.account.address, INITIAL_SUPPLY, [], TOKEN_CAP]);
  const staking = await viem.deployContract("NodeStaking", [token.address, deployer.account.address, MIN_STAKE, UNBONDING_DELAY]);
  const rewards = await viem.deployContract("BandwidthRewards", [token.address, staking.address, deployer.account.address, defaultParameters]);
  await token.write.grantRole([await token.read.MINTER_ROLE(), rewards.address]);
  const chainId = await publicClient.getChainId();
  const sDomain = stakingDomain(chainId, staking.address);
  const rDomain = rewardsDomain(chainId, rewards.address);

  for (const operator of [serverOperator, clientOperator]) {
    await token.write.transfer([operator.account.address, parseEther("1000000")]);
    await token.write.approve([staking.address, parseEther("1000000")], { account: operator.account });
  }
  const register = async (operator: typeof serverOperator, label: string) => {
    const node = nodeKey(label);
    const signature = await signRegistration(node, sDomain, operator.account.address);
    const gasUsed = await gas(staking.write.registerNode([node.address, "/dns4/node.example/tcp/4001", MIN_STAKE, signature], { account: operator.account }));
    return { node, gasUsed };
  };

  const servers = [await register(serverOperator, "bench-server-1"), await register(serverOperator, "bench-server-10"), await register(serverOperator, "bench-server-100")];
  const stakeNodeFirstOfOperator = servers[0].gasUsed;
  const stakeNode = servers[2].gasUsed;
  const warmUpServer = await register(serverOperator, "bench-server-first-ever");
  const clients: ReturnType<typeof nodeKey>[] = [];
  for (let i = 0; i < 100; i++) clients.push((await register(clientOperator, `bench-client-${i}`)).node);

  const servedRoot = keccak256(stringToHex("served set"));
  let epoch = await rewards.read.currentEpoch();
  const batch = async (server: (typeof servers)[number], size: number) => {
    const receipts: SubmittedReceipt[] = await Promise.all(
      clients.slice(0, size).map((c, i) =>
        signReceipt(c, rDomain, { server: server.node.address, client: c.address, epoch, cumulativeBytes: (300n + BigInt(i)) * MiB, servedRoot, nonce: 42n }),
      ),
    );
    receipts.sort(byAddress((r) => r.client));
    return gas(rewards.write.submitReceipts([server.node.address, epoch, receipts], { account: serverOperator.account }));
  };
  // The clients' first-ever receipts, then the next epoch in steady state.
  const proofsFirstEver100 = await batch(warmUpServer, 100);
  const [, end] = await rewards.read.epochTimes([epoch]);
  await publicClient.request({ method: "evm_setNextBlockTimestamp" as never, params: [`0x${end.toString(16)}`] as never });
  await publicClient.request({ method: "evm_mine" as never, params: [] as never });
  epoch = await rewards.read.currentEpoch();
  const proofsBatch1 = await batch(servers[0], 1);
  const proofsBatch10 = await batch(servers[1], 10);
  const proofsBatch100 = await batch(servers[2], 100);

  const [, , settlesAt] = await rewards.read.epochTimes([epoch]);
  await publicClient.request({ method: "evm_setNextBlockTimestamp" as never, params: [`0x${settlesAt.toString(16)}`] as never });
  const claimEpochSettling = await gas(rewards.write.claim([servers[0].node.address, epoch], { account: serverOperator.account }));
  const claimEpoch = await gas(rewards.write.claim([servers[1].node.address, epoch], { account: serverOperator.account }));
  await token.write.delegate([serverOperator.account.address], { account: serverOperator.account });
  const claimEpochDelegated = await gas(rewards.write.claim([servers[2].node.address, epoch], { account: serverOperator.account }));

  return [
    {
      operation: "proofsPerReceipt100",
      gasUsed: proofsBatch100 / 100n,
      target: 16_000,
      anchor: "per receipt, clients seen last epoch: ecrecover 3,000 + calldata ~2,200 + client's stake 2,100 + cross-server cap 5,000",
    },
    { operation: "proofsPerReceipt100FirstEver", gasUsed: proofsFirstEver100 / 100n, anchor: "informative: clients' first-ever receipts (fresh cap slot, 20,000)" },
    { operation: "proofsBatch1", gasUsed: proofsBatch1, anchor: "informative: whole tx, server's first batch of the epoch" },
    { operation: "proofsBatch10", gasUsed: proofsBatch10, anchor: "informative: whole tx" },
    { operation: "proofsBatch100", gasUsed: proofsBatch100, anchor: "informative: whole tx" },
    { operation: "claimEpoch", gasUsed: claimEpoch, target: 80_000, anchor: "settled epoch, operator not delegating" },
    { operation: "claimEpochSettling", gasUsed: claimEpochSettling, anchor: "informative: the epoch's first claim mints its pool" },
    { operation: "claimEpochDelegated", gasUsed: claimEpochDelegated, anchor: "informative: operator delegates liquid DCMX (ERC20Votes checkpoint)" },
    { operation: "stakeNode", gasUsed: stakeNode, target: 150_000, anchor: "operator's third node" },
    { operation: "stakeNodeFirstOfOperator", gasUsed: stakeNodeFirstOfOperator, anchor: "informative: first vote checkpoint of the operator" },
  ];
}
