import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { fileURLToPath } from "node:url";
import { encodeFunctionData, getAddress, keccak256, parseEther, stringToHex, toHex, zeroAddress, zeroHash } from "viem";
import EconomyModule from "../ignition/modules/Economy.ts";
import { defaultParameters, MiB, nodeKey } from "./helpers/economy.ts";
import { rewardsDomain, signReceipt, signRegistration, stakingDomain } from "./helpers/receipts.ts";

const { viem, networkHelpers, ignition } = await network.create();

const role = (name: string) => keccak256(toHex(name));
const DAY = 86_400;
// Seconds (timestamp clock). The unbonding delay alone (1 day) is far shorter than the governance latency (5 days):
// without NodeStaking adding that latency, an operator could leave before a slash proposal executes.
const VOTING_DELAY = DAY;
const VOTING_PERIOD = 3 * DAY;
const MIN_DELAY = DAY;
const UNBONDING_DELAY = DAY;
const MIN_STAKE = parseEther("1000");
const localParameters = fileURLToPath(new URL("../ignition/parameters/local.json", import.meta.url));
const Vote = { Against: 0, For: 1, Abstain: 2 } as const;

async function fixture() {
  const [deployer, voter, operatorA, operatorB] = await viem.getWalletClients();
  const contracts = await ignition.deploy(EconomyModule, {
    parameters: {
      Economy: {
        timelockMinDelay: MIN_DELAY,
        votingDelay: VOTING_DELAY,
        votingPeriod: VOTING_PERIOD,
        proposalThreshold: parseEther("1000"),
        minStake: MIN_STAKE,
        unbondingDelay: UNBONDING_DELAY,
        settlementDelay: 3_600,
        // The deployer stands in for a distributor that hands out tokens in these tests (never in a deployment).
        allocations: [{ account: deployer.account.address, amount: parseEther("50000000") }],
      },
    },
  });
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  return { ...contracts, publicClient, deployer, voter, operatorA, operatorB, chainId };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

async function registerNode(f: Fixture, operator: Fixture["voter"], node: ReturnType<typeof nodeKey>, amount = MIN_STAKE) {
  await f.token.write.transfer([operator.account.address, amount]);
  await f.token.write.approve([f.staking.address, amount], { account: operator.account });
  const signature = await signRegistration(node, stakingDomain(f.chainId, f.staking.address), operator.account.address);
  await f.staking.write.registerNode([node.address, "/dns4/n.example/tcp/4001", amount, signature], { account: operator.account });
}

/** Proposes, votes For with `voters`, queues and executes one call through the governor and timelock. */
async function pass(f: Fixture, target: `0x${string}`, calldata: `0x${string}`, description: string, voters: Fixture["voter"][]) {
  const descriptionHash = keccak256(stringToHex(description));
  const args = [[target], [0n], [calldata]] as const;
  await f.governor.write.propose([...args, description], { account: voters[0].account });
  const proposalId = await f.governor.read.hashProposal([...args, descriptionHash]);
  await networkHelpers.time.increase(VOTING_DELAY + 1);
  for (const voter of voters) await f.governor.write.castVote([proposalId, Vote.For], { account: voter.account });
  await networkHelpers.time.increase(VOTING_PERIOD);
  await f.governor.write.queue([...args, descriptionHash]);
  await networkHelpers.time.increase(MIN_DELAY);
  await f.governor.write.execute([...args, descriptionHash]);
  return proposalId;
}

describe("Governance", () => {
  describe("the Economy Ignition module", () => {
    it("hands every role and ownership to the timelock", async () => {
      const { token, staking, rewards, governor, timelock, deployer } = await networkHelpers.loadFixture(fixture);
      assert.equal(await staking.read.owner(), getAddress(timelock.address));
      assert.equal(await rewards.read.owner(), getAddress(timelock.address));
      assert.equal(await token.read.hasRole([zeroHash, timelock.address]), true);
      assert.equal(await token.read.hasRole([zeroHash, deployer.account.address]), false);
      assert.equal(await token.read.hasRole([role("MINTER_ROLE"), rewards.address]), true);
      assert.equal(await timelock.read.hasRole([zeroHash, timelock.address]), true);
      assert.equal(await timelock.read.hasRole([zeroHash, deployer.account.address]), false);
      assert.equal(await timelock.read.hasRole([role("PROPOSER_ROLE"), governor.address]), true);
      assert.equal(await timelock.read.hasRole([role("CANCELLER_ROLE"), governor.address]), true);
      assert.equal(await timelock.read.hasRole([role("EXECUTOR_ROLE"), zeroAddress]), true);
      assert.equal(await governor.read.timelock(), getAddress(timelock.address));
      assert.equal(await governor.read.staking(), getAddress(staking.address));
      assert.equal(await token.read.balanceOf([timelock.address]), parseEther("50000000"));
      assert.equal(await token.read.balanceOf([deployer.account.address]), parseEther("50000000"));
      assert.equal(await rewards.read.staking(), getAddress(staking.address));
      assert.equal(await staking.read.governor(), getAddress(governor.address));
    });
  });

  describe("the Economy Ignition module's defaults", () => {
    it("deploys with the documented defaults, in seconds on the timestamp clock", async () => {
      const { token, staking, rewards, governor, timelock } = await ignition.deploy(EconomyModule, { parameters: localParameters });
      assert.equal(await staking.read.minStake(), parseEther("10000"));
      assert.equal(await staking.read.unbondingDelay(), 14 * DAY);
      const parameters = await rewards.read.parametersOf([0]);
      assert.equal(parameters.rewardPerUnit, parseEther("1"));
      assert.equal(parameters.perClientCap, 2n * 1024n * MiB);
      assert.equal(await governor.read.CLOCK_MODE(), "mode=timestamp");
      assert.equal(await governor.read.votingDelay(), BigInt(DAY));
      assert.equal(await governor.read.votingPeriod(), BigInt(7 * DAY));
      assert.equal(await timelock.read.getMinDelay(), BigInt(2 * DAY));
      assert.equal(await governor.read.quorumNumerator(), 4n);
      // An unstake request waits the unbonding delay plus the 10-day governance latency.
      assert.equal(await staking.read.unstakeDelay(), BigInt(24 * DAY));
      assert.equal(await token.read.balanceOf([timelock.address]), parseEther("50000000"));
    });

    it("refuses to deploy without explicit allocations", async () => {
      await assert.rejects(ignition.deploy(EconomyModule), /allocations/);
    });
  });

  describe("staked voting power", () => {
    it("lets an operator vote with the tokens it staked", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await registerNode(f, f.operatorA, nodeKey("gov-A"), 5n * MIN_STAKE);
      const stakedAt = BigInt(await networkHelpers.time.latest());
      await networkHelpers.time.increase(1);
      assert.equal(await f.token.read.getVotes([f.operatorA.account.address]), 0n);
      assert.equal(await f.governor.read.getVotes([f.operatorA.account.address, stakedAt]), 5n * MIN_STAKE);
      // A proposal by a delegated holder; the operator votes with stake alone.
      await f.token.write.transfer([f.voter.account.address, parseEther("5000000")]);
      await f.token.write.delegate([f.voter.account.address], { account: f.voter.account });
      const calldata = encodeFunctionData({ abi: f.staking.abi, functionName: "setMinStake", args: [2n * MIN_STAKE] });
      const description = "Raise minStake";
      await f.governor.write.propose([[f.staking.address], [0n], [calldata], description], { account: f.voter.account });
      const proposalId = await f.governor.read.hashProposal([[f.staking.address], [0n], [calldata], keccak256(stringToHex(description))]);
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      await viem.assertions.emitWithArgs(f.governor.write.castVote([proposalId, Vote.Against], { account: f.operatorA.account }), f.governor, "VoteCast", [
        getAddress(f.operatorA.account.address),
        proposalId,
        Vote.Against,
        5n * MIN_STAKE,
        "",
      ]);
      const [against] = await f.governor.read.proposalVotes([proposalId]);
      assert.equal(against, 5n * MIN_STAKE);
    });
  });

  describe("the governance story", () => {
    it("delegates, proposes, votes, queues and executes a reward rate that applies from the next epoch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = nodeKey("gov-A");
      const B = nodeKey("gov-B");
      await registerNode(f, f.operatorA, A);
      await registerNode(f, f.operatorB, B);
      // Delegate: the voter's liquid tokens become votes; quorum is 4% of 100M.
      await f.token.write.transfer([f.voter.account.address, parseEther("5000000")]);
      await f.token.write.delegate([f.voter.account.address], { account: f.voter.account });

      const doubled = { ...defaultParameters, settlementDelay: 3_600, perClientCap: 10n * 1024n * MiB, rewardPerUnit: parseEther("2") };
      const calldata = encodeFunctionData({ abi: f.rewards.abi, functionName: "scheduleParameters", args: [doubled] });
      const proposalId = await pass(f, f.rewards.address, calldata, "Double the bandwidth reward rate", [f.voter, f.operatorA]);
      assert.equal(await f.governor.read.state([proposalId]), 7); // Executed

      const now = await f.rewards.read.currentEpoch();
      assert.equal((await f.rewards.read.parametersOf([now])).rewardPerUnit, parseEther("1"));
      assert.equal((await f.rewards.read.parametersOf([now + 1])).rewardPerUnit, parseEther("2"));

      // Next epoch: B downloads 100 MiB from A; A is paid at the new rate.
      const [, end] = await f.rewards.read.epochTimes([now]);
      await networkHelpers.time.increaseTo(end);
      const epoch = now + 1;
      assert.equal(await f.rewards.read.currentEpoch(), epoch);
      const domain = rewardsDomain(f.chainId, f.rewards.address);
      const servedRoot = keccak256(stringToHex("served"));
      const receipt = await signReceipt(B, domain, { server: A.address, client: B.address, epoch, cumulativeBytes: 100n * MiB, servedRoot, nonce: 1n });
      await f.rewards.write.submitReceipts([A.address, epoch, [receipt]], { account: f.operatorA.account });
      const [, , settlesAt] = await f.rewards.read.epochTimes([epoch]);
      await networkHelpers.time.increaseTo(settlesAt);
      const before = await f.token.read.balanceOf([f.operatorA.account.address]);
      await f.rewards.write.claim([A.address, epoch]);
      // 100 MiB at 2 DCMX per 100 MiB, +1% diversity (one client of ten).
      assert.equal((await f.token.read.balanceOf([f.operatorA.account.address])) - before, parseEther("2.02"));
    });

    it("slashes a node's stake to the treasury through a proposal", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = nodeKey("gov-A");
      await registerNode(f, f.operatorA, A);
      await f.token.write.transfer([f.voter.account.address, parseEther("5000000")]);
      await f.token.write.delegate([f.voter.account.address], { account: f.voter.account });
      const evidence = keccak256(stringToHex("receipts for content A never held"));
      const calldata = encodeFunctionData({ abi: f.staking.abi, functionName: "slash", args: [A.address, MIN_STAKE, f.timelock.address, evidence] });
      const treasuryBefore = await f.token.read.balanceOf([f.timelock.address]);
      await pass(f, f.staking.address, calldata, "Slash gov-A", [f.voter]);
      assert.equal((await f.staking.read.nodeOf([A.address])).stake, 0n);
      assert.equal((await f.token.read.balanceOf([f.timelock.address])) - treasuryBefore, MIN_STAKE);
      assert.equal(await f.staking.read.stakedVotes([f.operatorA.account.address]), 0n);
    });
  });

  describe("the slash escape", () => {
    it("keeps an operator who starts leaving when a slash is proposed from withdrawing before the slash executes", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = nodeKey("gov-A");
      await registerNode(f, f.operatorA, A, 3n * MIN_STAKE);
      await f.token.write.transfer([f.voter.account.address, parseEther("5000000")]);
      await f.token.write.delegate([f.voter.account.address], { account: f.voter.account });
      const evidence = keccak256(stringToHex("receipts for content A never held"));
      const calldata = encodeFunctionData({ abi: f.staking.abi, functionName: "slash", args: [A.address, 3n * MIN_STAKE, f.timelock.address, evidence] });
      const description = "Slash gov-A";
      const descriptionHash = keccak256(stringToHex(description));
      const args = [[f.staking.address], [0n], [calldata]] as const;
      await f.governor.write.propose([...args, description], { account: f.voter.account });
      const proposalId = await f.governor.read.hashProposal([...args, descriptionHash]);

      // The operator sees the proposal and requests its whole stake out at once.
      await f.staking.write.requestUnstake([A.address, 3n * MIN_STAKE], { account: f.operatorA.account });
      const [{ unbondedAt }] = await f.staking.read.unstakeRequestsOf([A.address]);
      const withdrawableAt = unbondedAt + VOTING_DELAY + VOTING_PERIOD + MIN_DELAY + 1;
      const stillUnbonding = async () =>
        viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.withdraw([A.address], { account: f.operatorA.account }), f.staking, "NodeStakingStillUnbonding", [
          getAddress(A.address),
          BigInt(withdrawableAt),
        ]);

      // Its unbonding stake no longer votes: it cannot vote against its own slash.
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      await stillUnbonding(); // after the unbonding delay alone (1 day)
      await viem.assertions.emitWithArgs(f.governor.write.castVote([proposalId, Vote.Against], { account: f.operatorA.account }), f.governor, "VoteCast", [
        getAddress(f.operatorA.account.address),
        proposalId,
        Vote.Against,
        0n,
        "",
      ]);
      await f.governor.write.castVote([proposalId, Vote.For], { account: f.voter.account });
      await networkHelpers.time.increase(VOTING_PERIOD);
      await stillUnbonding();
      await f.governor.write.queue([...args, descriptionHash]);
      await networkHelpers.time.increase(MIN_DELAY);
      await stillUnbonding(); // the last moment before the slash executes

      const treasuryBefore = await f.token.read.balanceOf([f.timelock.address]);
      await f.governor.write.execute([...args, descriptionHash]);
      assert.equal((await f.token.read.balanceOf([f.timelock.address])) - treasuryBefore, 3n * MIN_STAKE);
      assert.deepEqual(await f.staking.read.nodeOf([A.address]), { operator: getAddress(f.operatorA.account.address), stake: 0n, unbonding: 0n });
      await networkHelpers.time.increaseTo(withdrawableAt);
      await viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.withdraw([A.address], { account: f.operatorA.account }), f.staking, "NodeStakingNothingToWithdraw", [
        getAddress(A.address),
      ]);
    });

    /** Operator A with 3 * MIN_STAKE at stake and a voter holding 5M delegated DCMX. */
    async function slashable(f: Fixture) {
      const A = nodeKey("gov-A");
      await registerNode(f, f.operatorA, A, 3n * MIN_STAKE);
      await f.token.write.transfer([f.voter.account.address, parseEther("5000000")]);
      await f.token.write.delegate([f.voter.account.address], { account: f.voter.account });
      return A;
    }

    async function propose(f: Fixture, target: `0x${string}`, calldata: `0x${string}`, description: string) {
      const args = [[target], [0n], [calldata]] as const;
      const descriptionHash = keccak256(stringToHex(description));
      await f.governor.write.propose([...args, description], { account: f.voter.account });
      const proposalId = await f.governor.read.hashProposal([...args, descriptionHash]);
      return { proposalId, args, descriptionHash };
    }

    /**
     * A change of governance delays proposed before an unstake request, and a slash of all of node A proposed a minute
     * before that request's unbonding ends; both voted for, queued at their earliest, and the change executed first.
     */
    async function slashRacing(f: Fixture, node: `0x${string}`, target: `0x${string}`, calldata: `0x${string}`, description: string) {
      const change = await propose(f, target, calldata, description);
      await f.staking.write.requestUnstake([node, 3n * MIN_STAKE], { account: f.operatorA.account });
      const [{ unbondedAt }] = await f.staking.read.unstakeRequestsOf([node]);
      await networkHelpers.time.increaseTo(unbondedAt - 60);
      const slash = await propose(f, f.staking.address, slashCall(f, node, 3n * MIN_STAKE), "slash A");
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      await f.governor.write.castVote([change.proposalId, Vote.For], { account: f.voter.account });
      await f.governor.write.castVote([slash.proposalId, Vote.For], { account: f.voter.account });
      await networkHelpers.time.increaseTo(Number(await f.governor.read.proposalDeadline([change.proposalId])) + 1);
      await f.governor.write.queue([...change.args, change.descriptionHash]);
      await networkHelpers.time.increaseTo(Number(await f.governor.read.proposalDeadline([slash.proposalId])) + 1);
      await f.governor.write.queue([...slash.args, slash.descriptionHash]);
      const slashEta = Number(await f.governor.read.proposalEta([slash.proposalId]));
      await networkHelpers.time.increaseTo(Number(await f.governor.read.proposalEta([change.proposalId])));
      await f.governor.write.execute([...change.args, change.descriptionHash]);
      return { slash, unbondedAt, slashEta };
    }

    const slashCall = (f: Fixture, node: `0x${string}`, amount: bigint) =>
      encodeFunctionData({ abi: f.staking.abi, functionName: "slash", args: [node, amount, f.timelock.address, keccak256(stringToHex("fraud"))] });

    it("keeps the stake of a request made before a latency increase until a slash proposed within the unbonding delay executes", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = await slashable(f);
      // Governance raises the voting period 3d -> 10d; the proposal is public for days before it executes.
      const raise = await propose(f, f.governor.address, encodeFunctionData({ abi: f.governor.abi, functionName: "setVotingPeriod", args: [10 * DAY] }), "longer votes");
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      await f.governor.write.castVote([raise.proposalId, Vote.For], { account: f.voter.account });
      await networkHelpers.time.increase(VOTING_PERIOD);
      await f.governor.write.queue([...raise.args, raise.descriptionHash]);
      await networkHelpers.time.increase(MIN_DELAY);
      // The operator requests everything just before the change executes (latency 5 days then).
      await f.staking.write.requestUnstake([A.address, 3n * MIN_STAKE], { account: f.operatorA.account });
      const requestedAt = await networkHelpers.time.latest();
      await f.governor.write.execute([...raise.args, raise.descriptionHash]);
      assert.equal(await f.governor.read.governanceLatency(), BigInt(12 * DAY));
      // Fraud is noticed and a slash proposed one minute inside the unbonding delay of the request.
      await networkHelpers.time.increaseTo(requestedAt + UNBONDING_DELAY - 60);
      const slash = await propose(f, f.staking.address, slashCall(f, A.address, 3n * MIN_STAKE), "slash A");
      const proposedAt = await networkHelpers.time.latest();
      await networkHelpers.time.increaseTo(requestedAt + UNBONDING_DELAY + 5 * DAY); // the maturity with the old latency
      await viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.withdraw([A.address], { account: f.operatorA.account }), f.staking, "NodeStakingStillUnbonding", [
        getAddress(A.address),
        BigInt(requestedAt + UNBONDING_DELAY + 12 * DAY + 1),
      ]);
      await f.governor.write.castVote([slash.proposalId, Vote.For], { account: f.voter.account });
      await networkHelpers.time.increaseTo(proposedAt + VOTING_DELAY + 10 * DAY + 1);
      await f.governor.write.queue([...slash.args, slash.descriptionHash]);
      await networkHelpers.time.increase(MIN_DELAY);
      await viem.assertions.emitWithArgs(f.governor.write.execute([...slash.args, slash.descriptionHash]), f.staking, "NodeSlashed", [
        getAddress(A.address),
        3n * MIN_STAKE,
        getAddress(f.timelock.address),
        keccak256(stringToHex("fraud")),
      ]);
      assert.equal((await f.staking.read.nodeOf([A.address])).unbonding, 0n);
    });

    it("slashes what is left when the operator withdrew a matured request before a slash of everything executes", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = await slashable(f);
      // Long before any fraud: a legitimate request of 1 of the 3.
      await f.staking.write.requestUnstake([A.address, MIN_STAKE], { account: f.operatorA.account });
      const requestedAt = await networkHelpers.time.latest();
      const matured = requestedAt + UNBONDING_DELAY + VOTING_DELAY + VOTING_PERIOD + MIN_DELAY + 1;
      // Fraud: a slash of all 3 is proposed two days before request 1 matures; the operator requests the rest at once.
      await networkHelpers.time.increaseTo(matured - 2 * DAY);
      const slash = await propose(f, f.staking.address, slashCall(f, A.address, 3n * MIN_STAKE), "slash A all");
      const proposedAt = await networkHelpers.time.latest();
      await f.staking.write.requestUnstake([A.address, 2n * MIN_STAKE], { account: f.operatorA.account });
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      await f.governor.write.castVote([slash.proposalId, Vote.For], { account: f.voter.account });
      await networkHelpers.time.increaseTo(matured);
      await f.staking.write.withdraw([A.address], { account: f.operatorA.account }); // request 1 leaves, by design
      await networkHelpers.time.increaseTo(proposedAt + VOTING_DELAY + VOTING_PERIOD + 1);
      await f.governor.write.queue([...slash.args, slash.descriptionHash]);
      await networkHelpers.time.increase(MIN_DELAY);
      const treasuryBefore = await f.token.read.balanceOf([f.timelock.address]);
      await viem.assertions.emitWithArgs(f.governor.write.execute([...slash.args, slash.descriptionHash]), f.staking, "NodeSlashed", [
        getAddress(A.address),
        2n * MIN_STAKE,
        getAddress(f.timelock.address),
        keccak256(stringToHex("fraud")),
      ]);
      assert.equal((await f.token.read.balanceOf([f.timelock.address])) - treasuryBefore, 2n * MIN_STAKE);
      assert.deepEqual(await f.staking.read.nodeOf([A.address]), { operator: getAddress(f.operatorA.account.address), stake: 0n, unbonding: 0n });
    });

    it("executes a slash proposed in the last second of the unbonding delay before the stake can leave", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = await slashable(f);
      await f.staking.write.requestUnstake([A.address, 3n * MIN_STAKE], { account: f.operatorA.account });
      const requestedAt = await networkHelpers.time.latest();
      // Proposed strictly within the unbonding delay: its last second.
      await networkHelpers.time.setNextBlockTimestamp(requestedAt + UNBONDING_DELAY - 1);
      const slash = await propose(f, f.staking.address, slashCall(f, A.address, 3n * MIN_STAKE), "slash A late");
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      await f.governor.write.castVote([slash.proposalId, Vote.For], { account: f.voter.account });
      // The earliest the Governor queues: one second after the deadline; the earliest execution: MIN_DELAY later.
      const earliestQueue = requestedAt + UNBONDING_DELAY - 1 + VOTING_DELAY + VOTING_PERIOD + 1;
      await networkHelpers.time.setNextBlockTimestamp(earliestQueue);
      await f.governor.write.queue([...slash.args, slash.descriptionHash]);
      // At the earliest execution time the operator cannot withdraw first.
      await networkHelpers.time.setNextBlockTimestamp(earliestQueue + MIN_DELAY);
      await viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.withdraw([A.address], { account: f.operatorA.account }), f.staking, "NodeStakingStillUnbonding", [
        getAddress(A.address),
        BigInt(earliestQueue + MIN_DELAY + 1),
      ]);
      await f.governor.write.execute([...slash.args, slash.descriptionHash]);
      assert.equal((await f.staking.read.nodeOf([A.address])).unbonding, 0n);
    });

    it("keeps the stake until an in-flight slash executes when governance shortens the voting period meanwhile", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = await slashable(f);
      // Slash proposed within the unbonding delay, under the 3-day voting period (latency 5 days).
      const { slash, unbondedAt, slashEta } = await slashRacing(
        f,
        A.address,
        f.governor.address,
        encodeFunctionData({ abi: f.governor.abi, functionName: "setVotingPeriod", args: [DAY] }),
        "shorter votes",
      );
      const changedAt = await networkHelpers.time.latest();
      // Live latency is 3 days now, but the slash in flight still runs on the 3-day period: 5 days hold.
      assert.equal(await f.governor.read.votingPeriod(), BigInt(DAY));
      assert.equal(await f.governor.read.governanceLatency(), BigInt(5 * DAY));
      assert.deepEqual(await f.governor.read.heldLatency(), [BigInt(5 * DAY), BigInt(changedAt + 5 * DAY + 1)]);
      assert.ok(changedAt > unbondedAt + 3 * DAY && changedAt < slashEta - 1); // withdrawable at once with the live latency
      await viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.withdraw([A.address], { account: f.operatorA.account }), f.staking, "NodeStakingStillUnbonding", [
        getAddress(A.address),
        BigInt(unbondedAt + 5 * DAY + 1),
      ]);
      await networkHelpers.time.increaseTo(slashEta);
      await f.governor.write.execute([...slash.args, slash.descriptionHash]);
      assert.equal((await f.staking.read.nodeOf([A.address])).unbonding, 0n);
      // Once every proposal made before the change has had its chance, the shorter latency applies.
      await networkHelpers.time.increaseTo(changedAt + 5 * DAY + 2);
      assert.equal(await f.governor.read.governanceLatency(), BigInt(3 * DAY));
    });

    it("keeps the stake until a queued slash executes when governance lowers the timelock delay meanwhile", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = await slashable(f);
      const { slash, unbondedAt, slashEta } = await slashRacing(
        f,
        A.address,
        f.timelock.address,
        encodeFunctionData({ abi: f.timelock.abi, functionName: "updateDelay", args: [0n] }),
        "no timelock delay",
      );
      assert.equal(await f.timelock.read.getMinDelay(), 0n);
      // With the live latency (4 days) the stake would be withdrawable now, before the slash can execute.
      const now = await networkHelpers.time.latest();
      assert.ok(now >= unbondedAt + 4 * DAY && now < slashEta - 1);
      await viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.withdraw([A.address], { account: f.operatorA.account }), f.staking, "NodeStakingStillUnbonding", [
        getAddress(A.address),
        BigInt(unbondedAt + 5 * DAY + 1),
      ]);
      await networkHelpers.time.increaseTo(slashEta);
      await f.governor.write.execute([...slash.args, slash.descriptionHash]);
      assert.equal((await f.staking.read.nodeOf([A.address])).unbonding, 0n);
    });

    it("keeps the stake until a queued slash executes when governance shortens the voting period and lengthens the timelock delay meanwhile", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = await slashable(f);
      const shorter = await propose(f, f.governor.address, encodeFunctionData({ abi: f.governor.abi, functionName: "setVotingPeriod", args: [DAY] }), "shorter votes");
      const longer = await propose(f, f.timelock.address, encodeFunctionData({ abi: f.timelock.abi, functionName: "updateDelay", args: [5n * BigInt(DAY)] }), "longer timelock");
      await networkHelpers.time.increase(3_600);
      await f.staking.write.requestUnstake([A.address, 3n * MIN_STAKE], { account: f.operatorA.account });
      const [{ unbondedAt }] = await f.staking.read.unstakeRequestsOf([A.address]);
      await networkHelpers.time.increaseTo(unbondedAt - 60);
      // Proposed under a 3-day period; it will be queued under a 5-day timelock delay: 9 days + 1 s at the earliest.
      const slash = await propose(f, f.staking.address, slashCall(f, A.address, 3n * MIN_STAKE), "slash A");
      const proposedAt = await networkHelpers.time.latest();
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      for (const { proposalId } of [shorter, longer, slash]) await f.governor.write.castVote([proposalId, Vote.For], { account: f.voter.account });
      await networkHelpers.time.increaseTo(Number(await f.governor.read.proposalDeadline([longer.proposalId])) + 1);
      await f.governor.write.queue([...shorter.args, shorter.descriptionHash]);
      await f.governor.write.queue([...longer.args, longer.descriptionHash]);
      await networkHelpers.time.increaseTo(Number(await f.governor.read.proposalEta([longer.proposalId])));
      await f.governor.write.execute([...shorter.args, shorter.descriptionHash]);
      await f.governor.write.execute([...longer.args, longer.descriptionHash]);
      await networkHelpers.time.setNextBlockTimestamp(Number(await f.governor.read.proposalDeadline([slash.proposalId])) + 1);
      await f.governor.write.queue([...slash.args, slash.descriptionHash]);
      const slashEta = Number(await f.governor.read.proposalEta([slash.proposalId]));
      assert.equal(slashEta, proposedAt + 9 * DAY + 1);
      // Live latency: 1 + 1 + 5 = 7 days, which would free the stake two days before the slash can execute; the
      // slash's own latency (1 + 3 + 5 days) holds until its eta.
      assert.equal(await f.governor.read.votingPeriod(), BigInt(DAY));
      assert.equal(await f.timelock.read.getMinDelay(), BigInt(5 * DAY));
      assert.equal(await f.governor.read.governanceLatency(), BigInt(9 * DAY));
      await networkHelpers.time.increaseTo(unbondedAt + 7 * DAY + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(f.staking.write.withdraw([A.address], { account: f.operatorA.account }), f.staking, "NodeStakingStillUnbonding", [
        getAddress(A.address),
        BigInt(unbondedAt + 9 * DAY + 1),
      ]);
      await networkHelpers.time.increaseTo(slashEta);
      await f.governor.write.execute([...slash.args, slash.descriptionHash]);
      assert.equal((await f.staking.read.nodeOf([A.address])).unbonding, 0n);
    });

    it("does not let anyone stretch an old latency hold by queueing proposals made after the change", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const A = await slashable(f);
      const shorter = encodeFunctionData({ abi: f.governor.abi, functionName: "setVotingPeriod", args: [DAY] });
      await pass(f, f.governor.address, shorter, "shorter votes", [f.voter]);
      const changedAt = await networkHelpers.time.latest();
      // Three proposals made after the change: their own latency is the new, shorter one (1 + 1 + 1 days).
      const later = [];
      for (let i = 0; i < 3; i++) {
        const description = `after the change ${i}`;
        const calldata = encodeFunctionData({ abi: f.staking.abi, functionName: "setMinStake", args: [MIN_STAKE] });
        const args = [[f.staking.address], [0n], [calldata]] as const;
        await f.governor.write.propose([...args, description], { account: f.voter.account });
        const descriptionHash = keccak256(stringToHex(description));
        later.push({ args, descriptionHash, id: await f.governor.read.hashProposal([...args, descriptionHash]) });
      }
      await networkHelpers.time.increase(VOTING_DELAY + 1);
      for (const p of later) await f.governor.write.castVote([p.id, Vote.For], { account: f.voter.account });
      await networkHelpers.time.increase(DAY + 1);
      // The operator starts leaving 3 days after the change: nothing proposed before it can reach this stake.
      await networkHelpers.time.increaseTo(changedAt + 3 * DAY);
      await f.staking.write.requestUnstake([A.address, 3n * MIN_STAKE], { account: f.operatorA.account });
      const [{ unbondedAt }] = await f.staking.read.unstakeRequestsOf([A.address]);
      // A third party queues each proposal in the last second of the current hold.
      for (const p of later) {
        const [, until] = await f.governor.read.heldLatency();
        await networkHelpers.time.setNextBlockTimestamp(Math.max(Number(until), (await networkHelpers.time.latest()) + 1));
        await f.governor.write.queue([...p.args, p.descriptionHash], { account: f.operatorB.account });
      }
      // The live 3-day latency applies: withdrawable one second after unbondedAt + 3 days.
      await networkHelpers.time.increaseTo(Number(unbondedAt) + 3 * DAY + 1);
      const before = await f.token.read.balanceOf([f.operatorA.account.address]);
      await f.staking.write.withdraw([A.address], { account: f.operatorA.account });
      assert.equal((await f.token.read.balanceOf([f.operatorA.account.address])) - before, 3n * MIN_STAKE);
      assert.equal((await f.staking.read.nodeOf([A.address])).unbonding, 0n);
    });
  });
});
