import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, hashTypedData, keccak256, stringToHex, zeroAddress } from "viem";
import { DAY, deployEconomy, MIN_STAKE, nodeKey, UNBONDING_DELAY } from "./helpers/economy.ts";
import { registrationTypes, signRegistration } from "./helpers/receipts.ts";

const { viem, networkHelpers } = await network.create();

const N = nodeKey("N");
const M = nodeKey("M");
const ENDPOINT = "/dns4/n.dcmx.example/tcp/4001";
const evidence = keccak256(stringToHex("fraudulent receipts"));

async function fixture() {
  const economy = await deployEconomy(viem);
  const [operator, other] = economy.operators;
  for (const account of [operator, other]) {
    await economy.token.write.transfer([account.account.address, 10n * MIN_STAKE]);
    await economy.token.write.approve([economy.staking.address, 10n * MIN_STAKE], { account: account.account });
  }
  const register = async (node = N, amount = MIN_STAKE, by = operator) =>
    economy.staking.write.registerNode([node.address, ENDPOINT, amount, await signRegistration(node, economy.stakingDomain, by.account.address)], {
      account: by.account,
    });
  return { ...economy, operator, other, register };
}

describe("NodeStaking", () => {
  describe("registerNode", () => {
    it("registers the node, takes the stake and emits NodeRegistered", async () => {
      const { staking, token, operator, register } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.emitWithArgs(register(), staking, "NodeRegistered", [getAddress(N.address), getAddress(operator.account.address), ENDPOINT, MIN_STAKE]);
      assert.deepEqual(await staking.read.nodeOf([N.address]), { operator: getAddress(operator.account.address), stake: MIN_STAKE, unbonding: 0n });
      assert.equal(await staking.read.activeOperatorOf([N.address]), getAddress(operator.account.address));
      assert.equal(await token.read.balanceOf([staking.address]), MIN_STAKE);
      assert.equal(await staking.read.stakedVotes([operator.account.address]), MIN_STAKE);
    });

    it("exposes the typed-data digest the node key signs", async () => {
      const { staking, operator, stakingDomain } = await networkHelpers.loadFixture(fixture);
      const message = { node: N.address, operator: operator.account.address };
      assert.equal(
        await staking.read.registrationDigest([N.address, operator.account.address]),
        hashTypedData({ domain: stakingDomain, types: registrationTypes, primaryType: "NodeRegistration", message }),
      );
    });

    it("reverts when the node is already registered", async () => {
      const { staking, operator, other, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomErrorWithArgs(register(N, MIN_STAKE, other), staking, "NodeStakingAlreadyRegistered", [
        getAddress(N.address),
        getAddress(operator.account.address),
      ]);
    });

    it("reverts when the node key did not sign the registration for this operator", async () => {
      const { staking, operator, other, stakingDomain } = await networkHelpers.loadFixture(fixture);
      const signedForOther = await signRegistration(N, stakingDomain, other.account.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        staking.write.registerNode([N.address, ENDPOINT, MIN_STAKE, signedForOther], { account: operator.account }),
        staking,
        "NodeStakingInvalidNodeSignature",
        [getAddress(N.address)],
      );
    });

    it("reverts when the stake is below the minimum", async () => {
      const { staking, register } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(register(N, MIN_STAKE - 1n), staking, "NodeStakingStakeBelowMinimum", [MIN_STAKE - 1n, MIN_STAKE]);
    });

    it("reverts when the endpoint is empty", async () => {
      const { staking, operator, stakingDomain } = await networkHelpers.loadFixture(fixture);
      const signature = await signRegistration(N, stakingDomain, operator.account.address);
      await viem.assertions.revertWithCustomError(
        staking.write.registerNode([N.address, "", MIN_STAKE, signature], { account: operator.account }),
        staking,
        "NodeStakingEmptyEndpoint",
      );
    });
  });

  describe("increaseStake", () => {
    it("adds stake and voting power", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.emitWithArgs(staking.write.increaseStake([N.address, 5n], { account: operator.account }), staking, "StakeIncreased", [
        getAddress(N.address),
        5n,
        MIN_STAKE + 5n,
      ]);
      assert.equal(await staking.read.stakedVotes([operator.account.address]), MIN_STAKE + 5n);
    });

    it("reverts when the caller is not the operator", async () => {
      const { staking, other, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.increaseStake([N.address, 5n], { account: other.account }), staking, "NodeStakingNotOperator", [
        getAddress(N.address),
        getAddress(other.account.address),
      ]);
    });

    it("reverts when the amount is zero", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomError(staking.write.increaseStake([N.address, 0n], { account: operator.account }), staking, "NodeStakingZeroAmount");
    });

    it("reverts when a node that left comes back below the minimum", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.increaseStake([N.address, 1n], { account: operator.account }), staking, "NodeStakingStakeBelowMinimum", [
        1n,
        MIN_STAKE,
      ]);
    });
  });

  describe("requestUnstake and withdraw", () => {
    it("queues the stake, deactivates a leaving node, stops its votes and pays back after the delay", async () => {
      const { staking, token, operator, register, publicClient } = await networkHelpers.loadFixture(fixture);
      await register();
      const hash = await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      const { timestamp } = await publicClient.getBlock({ blockHash: (await publicClient.getTransactionReceipt({ hash })).blockHash });
      const unbondedAt = Number(timestamp) + UNBONDING_DELAY;
      const [request] = await staking.read.unstakeRequestsOf([N.address]);
      assert.deepEqual(request, { amount: MIN_STAKE, unbondedAt });
      assert.equal(await staking.read.activeOperatorOf([N.address]), zeroAddress);
      assert.equal(await staking.read.operatorOf([N.address]), getAddress(operator.account.address));
      assert.equal((await staking.read.nodeOf([N.address])).unbonding, MIN_STAKE);
      // Still slashable, but no longer voting.
      assert.equal(await staking.read.stakedVotes([operator.account.address]), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.withdraw([N.address], { account: operator.account }), staking, "NodeStakingStillUnbonding", [
        getAddress(N.address),
        BigInt(unbondedAt + 1),
      ]);
      await networkHelpers.time.increaseTo(unbondedAt); // the next block is strictly after the delay
      const before = await token.read.balanceOf([operator.account.address]);
      await viem.assertions.emitWithArgs(staking.write.withdraw([N.address], { account: operator.account }), staking, "StakeWithdrawn", [
        getAddress(N.address),
        getAddress(operator.account.address),
        MIN_STAKE,
      ]);
      assert.equal((await token.read.balanceOf([operator.account.address])) - before, MIN_STAKE);
      assert.equal((await staking.read.nodeOf([N.address])).unbonding, 0n);
    });

    it("keeps each request's own clock: a new request does not restart an earlier one", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register(N, 3n * MIN_STAKE);
      await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      const [first] = await staking.read.unstakeRequestsOf([N.address]);
      await networkHelpers.time.increase(3 * DAY);
      await viem.assertions.emitWithArgs(staking.write.requestUnstake([N.address, 2n * MIN_STAKE], { account: operator.account }), staking, "UnstakeRequested", [
        getAddress(N.address),
        2n * MIN_STAKE,
        first.unbondedAt + 3 * DAY + 1,
      ]);
      const requests = await staking.read.unstakeRequestsOf([N.address]);
      assert.deepEqual(requests, [first, { amount: 2n * MIN_STAKE, unbondedAt: first.unbondedAt + 3 * DAY + 1 }]);
      await networkHelpers.time.increaseTo(first.unbondedAt + 1);
      assert.equal(await staking.read.withdrawableOf([N.address]), MIN_STAKE);
      await staking.write.withdraw([N.address], { account: operator.account });
      assert.deepEqual(await staking.read.unstakeRequestsOf([N.address]), [requests[1]]);
    });

    it("reverts when the remaining stake would be below the minimum", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register(N, MIN_STAKE + 10n);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.requestUnstake([N.address, 11n], { account: operator.account }), staking, "NodeStakingStakeBelowMinimum", [
        MIN_STAKE - 1n,
        MIN_STAKE,
      ]);
    });

    it("reverts when unstaking more than the stake", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomErrorWithArgs(
        staking.write.requestUnstake([N.address, MIN_STAKE + 1n], { account: operator.account }),
        staking,
        "NodeStakingInsufficientStake",
        [getAddress(N.address), MIN_STAKE + 1n, MIN_STAKE],
      );
    });

    it("reverts when unstaking zero", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomError(staking.write.requestUnstake([N.address, 0n], { account: operator.account }), staking, "NodeStakingZeroAmount");
    });

    it("reverts when there is nothing to withdraw", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.withdraw([N.address], { account: operator.account }), staking, "NodeStakingNothingToWithdraw", [
        getAddress(N.address),
      ]);
    });
  });

  describe("setEndpoint", () => {
    it("updates the endpoint", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.emitWithArgs(staking.write.setEndpoint([N.address, "/ip4/1.2.3.4/tcp/9"], { account: operator.account }), staking, "EndpointUpdated", [
        getAddress(N.address),
        "/ip4/1.2.3.4/tcp/9",
      ]);
    });

    it("reverts when the endpoint is empty", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomError(staking.write.setEndpoint([N.address, ""], { account: operator.account }), staking, "NodeStakingEmptyEndpoint");
    });
  });

  describe("slash", () => {
    it("takes active stake first, then unbonding stake, and removes the active stake's voting power", async () => {
      const { staking, token, deployer, operator, register } = await networkHelpers.loadFixture(fixture);
      await register(N, 3n * MIN_STAKE);
      await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      const [request] = await staking.read.unstakeRequestsOf([N.address]);
      const treasury = getAddress(deployer.account.address);
      const before = await token.read.balanceOf([treasury]);
      await viem.assertions.emitWithArgs(staking.write.slash([N.address, 2n * MIN_STAKE + 7n, treasury, evidence]), staking, "NodeSlashed", [
        getAddress(N.address),
        2n * MIN_STAKE + 7n,
        treasury,
        evidence,
      ]);
      const record = await staking.read.nodeOf([N.address]);
      assert.equal(record.stake, 0n);
      assert.equal(record.unbonding, MIN_STAKE - 7n);
      assert.deepEqual(await staking.read.unstakeRequestsOf([N.address]), [{ amount: MIN_STAKE - 7n, unbondedAt: request.unbondedAt }]);
      assert.equal((await token.read.balanceOf([treasury])) - before, 2n * MIN_STAKE + 7n);
      assert.equal(await staking.read.stakedVotes([operator.account.address]), 0n);
      // The slashed request pays what is left of it.
      await networkHelpers.time.increaseTo(request.unbondedAt + 1);
      assert.equal(await staking.read.withdrawableOf([N.address]), MIN_STAKE - 7n);
    });

    it("reverts when anyone but governance slashes", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomErrorWithArgs(
        staking.write.slash([N.address, 1n, operator.account.address, evidence], { account: operator.account }),
        staking,
        "OwnableUnauthorizedAccount",
        [getAddress(operator.account.address)],
      );
    });

    it("takes everything that is left when slashing more than is at stake", async () => {
      const { staking, token, deployer, operator, register } = await networkHelpers.loadFixture(fixture);
      await register(N, 2n * MIN_STAKE);
      await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      const treasury = getAddress(deployer.account.address);
      const before = await token.read.balanceOf([treasury]);
      const { result } = await staking.simulate.slash([N.address, 5n * MIN_STAKE, treasury, evidence]);
      assert.equal(result, 2n * MIN_STAKE);
      await viem.assertions.emitWithArgs(staking.write.slash([N.address, 5n * MIN_STAKE, treasury, evidence]), staking, "NodeSlashed", [
        getAddress(N.address),
        2n * MIN_STAKE,
        treasury,
        evidence,
      ]);
      assert.equal((await token.read.balanceOf([treasury])) - before, 2n * MIN_STAKE);
      assert.deepEqual(await staking.read.nodeOf([N.address]), { operator: getAddress(operator.account.address), stake: 0n, unbonding: 0n });
      assert.deepEqual(await staking.read.unstakeRequestsOf([N.address]), []);
    });

    it("takes nothing and still emits NodeSlashed when nothing is left at stake", async () => {
      const { staking, token, deployer, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      const [request] = await staking.read.unstakeRequestsOf([N.address]);
      await networkHelpers.time.increaseTo(request.unbondedAt + 1);
      await staking.write.withdraw([N.address], { account: operator.account });
      const treasury = getAddress(deployer.account.address);
      const before = await token.read.balanceOf([treasury]);
      await viem.assertions.emitWithArgs(staking.write.slash([N.address, MIN_STAKE, treasury, evidence]), staking, "NodeSlashed", [
        getAddress(N.address),
        0n,
        treasury,
        evidence,
      ]);
      assert.equal(await token.read.balanceOf([treasury]), before);
    });

    it("reverts when slashing zero", async () => {
      const { staking, deployer, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.revertWithCustomError(staking.write.slash([N.address, 0n, deployer.account.address, evidence]), staking, "NodeStakingZeroAmount");
    });
  });

  describe("governance parameters", () => {
    it("sets the minimum stake, deactivating nodes below it", async () => {
      const { staking, register } = await networkHelpers.loadFixture(fixture);
      await register();
      await viem.assertions.emitWithArgs(staking.write.setMinStake([MIN_STAKE + 1n]), staking, "MinStakeUpdated", [MIN_STAKE + 1n]);
      assert.equal(await staking.read.activeOperatorOf([N.address]), zeroAddress);
    });

    it("sets the unbonding delay", async () => {
      const { staking } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.emitWithArgs(staking.write.setUnbondingDelay([2 * DAY]), staking, "UnbondingDelayUpdated", [2 * DAY]);
      assert.equal(await staking.read.unbondingDelay(), 2 * DAY);
    });

    it("reverts when the unbonding delay is out of range", async () => {
      const { staking } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.setUnbondingDelay([DAY - 1]), staking, "NodeStakingInvalidUnbondingDelay", [DAY - 1]);
    });

    it("reverts when anyone but governance sets parameters", async () => {
      const { staking, operator } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.setMinStake([1n], { account: operator.account }), staking, "OwnableUnauthorizedAccount", [
        getAddress(operator.account.address),
      ]);
    });
  });

  describe("setGovernor", () => {
    async function governance(staking: `0x${string}`, token: `0x${string}`, votingPeriod = 7 * DAY) {
      const timelock = await viem.deployContract("DCMXTimelock", [2n * BigInt(DAY), [], [zeroAddress], zeroAddress]);
      const governor = await viem.deployContract("DCMXGovernor", [token, timelock.address, staking, DAY, votingPeriod, 0n, 4n]);
      return { timelock, governor };
    }

    it("adds the governor's latency (voting delay + voting period + timelock delay), read at withdrawal, to every unstake request", async () => {
      const { staking, token, operator, register } = await networkHelpers.loadFixture(fixture);
      await register(N, 2n * MIN_STAKE);
      // Requested before the governor is set: the latency still reaches it.
      await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      const now = await networkHelpers.time.latest();
      const [{ unbondedAt }] = await staking.read.unstakeRequestsOf([N.address]);
      assert.equal(unbondedAt, now + UNBONDING_DELAY);
      const { governor } = await governance(staking.address, token.address);
      await viem.assertions.emitWithArgs(staking.write.setGovernor([governor.address]), staking, "GovernorUpdated", [getAddress(governor.address)]);
      assert.equal(await staking.read.governor(), getAddress(governor.address));
      assert.equal(await governor.read.governanceLatency(), BigInt(10 * DAY));
      assert.equal(await staking.read.governanceLatency(), BigInt(10 * DAY));
      assert.equal(await staking.read.unstakeDelay(), BigInt(UNBONDING_DELAY + 10 * DAY));
      await networkHelpers.time.increaseTo(unbondedAt + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.withdraw([N.address], { account: operator.account }), staking, "NodeStakingStillUnbonding", [
        getAddress(N.address),
        BigInt(unbondedAt + 10 * DAY + 1),
      ]);
      assert.equal(await staking.read.withdrawableOf([N.address]), 0n);
      await networkHelpers.time.increaseTo(unbondedAt + 10 * DAY);
      assert.equal(await staking.read.withdrawableOf([N.address]), 0n);
      await viem.assertions.emitWithArgs(staking.write.withdraw([N.address], { account: operator.account }), staking, "StakeWithdrawn", [
        getAddress(N.address),
        getAddress(operator.account.address),
        MIN_STAKE,
      ]);
    });

    it("holds the replaced governor's longer latency until its proposals in flight can have executed", async () => {
      const { staking, token, operator, register } = await networkHelpers.loadFixture(fixture);
      await register();
      const { governor: slow } = await governance(staking.address, token.address);
      const { governor: fast } = await governance(staking.address, token.address, DAY);
      await staking.write.setGovernor([slow.address]);
      await staking.write.setUnbondingDelay([DAY]); // shorter than the latencies, so only the held one keeps the stake
      await staking.write.requestUnstake([N.address, MIN_STAKE], { account: operator.account });
      const [{ unbondedAt }] = await staking.read.unstakeRequestsOf([N.address]);
      await staking.write.setGovernor([fast.address]);
      const swappedAt = await networkHelpers.time.latest();
      assert.equal(await fast.read.governanceLatency(), BigInt(4 * DAY));
      assert.equal(await staking.read.governanceLatency(), BigInt(10 * DAY));
      await networkHelpers.time.increaseTo(unbondedAt + 4 * DAY + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.withdraw([N.address], { account: operator.account }), staking, "NodeStakingStillUnbonding", [
        getAddress(N.address),
        BigInt(unbondedAt + 10 * DAY + 1),
      ]);
      await networkHelpers.time.increaseTo(swappedAt + 10 * DAY + 2);
      assert.equal(await staking.read.governanceLatency(), BigInt(4 * DAY));
    });

    it("reverts when the governor counts another staking contract's votes", async () => {
      const { staking, token } = await networkHelpers.loadFixture(fixture);
      const { governor } = await governance(token.address, token.address);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.setGovernor([governor.address]), staking, "NodeStakingGovernorMismatch", [
        getAddress(governor.address),
        getAddress(token.address),
      ]);
    });

    it("reverts when anyone but governance sets the governor", async () => {
      const { staking, token, operator } = await networkHelpers.loadFixture(fixture);
      const { governor } = await governance(staking.address, token.address);
      await viem.assertions.revertWithCustomErrorWithArgs(staking.write.setGovernor([governor.address], { account: operator.account }), staking, "OwnableUnauthorizedAccount", [
        getAddress(operator.account.address),
      ]);
    });
  });

  describe("staked voting power", () => {
    it("checkpoints the operator's active stake by timestamp (ERC-6372 mode=timestamp)", async () => {
      const { staking, operator, register } = await networkHelpers.loadFixture(fixture);
      assert.equal(await staking.read.CLOCK_MODE(), "mode=timestamp");
      await register();
      const registeredAt = BigInt(await networkHelpers.time.latest());
      await register(M, 2n * MIN_STAKE);
      await staking.write.requestUnstake([M.address, 2n * MIN_STAKE], { account: operator.account });
      const unstakedAt = BigInt(await networkHelpers.time.latest());
      await networkHelpers.time.increase(60);
      assert.equal(BigInt(await staking.read.clock()), BigInt(await networkHelpers.time.latest()));
      assert.equal(await staking.read.getPastStakedVotes([operator.account.address, registeredAt - 1n]), 0n);
      assert.equal(await staking.read.getPastStakedVotes([operator.account.address, registeredAt]), MIN_STAKE);
      assert.equal(await staking.read.getPastStakedVotes([operator.account.address, registeredAt + 1n]), 3n * MIN_STAKE);
      assert.equal(await staking.read.getPastStakedVotes([operator.account.address, unstakedAt]), MIN_STAKE);
    });

    it("reverts when looking up the current or a future time", async () => {
      const { staking, operator } = await networkHelpers.loadFixture(fixture);
      const now = await networkHelpers.time.latest();
      await viem.assertions.revertWithCustomErrorWithArgs(
        staking.read.getPastStakedVotes([operator.account.address, BigInt(now) + 1n]),
        staking,
        "NodeStakingFutureLookup",
        [BigInt(now) + 1n, now],
      );
    });
  });
});
