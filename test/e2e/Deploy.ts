import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, keccak256, parseEther, stringToHex } from "viem";
import DCMXModule from "../../ignition/modules/DCMX.ts";

const localParameters = fileURLToPath(new URL("../../ignition/parameters/local.json", import.meta.url));
const DAY = 86_400;
const Vote = { Against: 0, For: 1, Abstain: 2 } as const;
const State = { Defeated: 3, Succeeded: 4, Executed: 7 } as const;

describe("The DCMX Ignition module", () => {
  it("deploys the whole protocol with every parameter owned by the governance timelock", async () => {
    const { ignition, viem } = await network.create();
    const [deployer] = await viem.getWalletClients();
    const { editions, trackRegistry, marketplace, timelock, token, rewards, staking, governor } = await ignition.deploy(DCMXModule, {
      parameters: localParameters,
    });
    const governance = getAddress(timelock.address);
    assert.equal(await editions.read.owner(), governance);
    assert.equal(await editions.read.treasury(), governance);
    assert.equal(await editions.read.registry(), getAddress(trackRegistry.address));
    assert.equal(await editions.read.contentBaseURI(), "http://127.0.0.1:8080/content/");
    const admin = await timelock.read.DEFAULT_ADMIN_ROLE();
    assert.equal(await timelock.read.hasRole([admin, deployer.account.address]), false);
    assert.equal(await token.read.hasRole([admin, deployer.account.address]), false);
    assert.equal(await token.read.hasRole([await token.read.MINTER_ROLE(), rewards.address]), true);
    assert.equal(await staking.read.owner(), governance);
    assert.equal(await staking.read.governor(), getAddress(governor.address));
    assert.deepEqual(await marketplace.read.creditsOf([deployer.account.address]), 0n);
  });

  it("leaves no single account able to pass a proposal, while a coalition of allocation holders can", async () => {
    const { ignition, viem, networkHelpers } = await network.create();
    const [deployer, ...others] = await viem.getWalletClients();
    const { token, staking, governor } = await ignition.deploy(DCMXModule, { parameters: localParameters });
    const holders = others.slice(0, 5);

    // The deployer got nothing: even self-delegated it cannot reach the proposal threshold, let alone the quorum.
    assert.equal(await token.read.balanceOf([deployer.account.address]), 0n);
    await token.write.delegate([deployer.account.address]);
    for (const holder of holders) await token.write.delegate([holder.account.address], { account: holder.account });
    await networkHelpers.time.increase(1);

    const timepoint = BigInt(await networkHelpers.time.latest()) - 1n;
    const quorum = await governor.read.quorum([timepoint]);
    for (const holder of holders) {
      const votes = await governor.read.getVotes([holder.account.address, timepoint]);
      assert.equal(votes, parseEther("2000000"));
      assert.ok(votes < quorum, "every allocation is below the quorum");
    }

    // The proposal a lone key would want: grant itself the minter role and mint the rest of the cap.
    const grab = encodeFunctionData({ abi: token.abi, functionName: "grantRole", args: [await token.read.MINTER_ROLE(), deployer.account.address] });
    const grabArgs = [[token.address], [0n], [grab]] as const;
    await viem.assertions.revertWithCustomErrorWithArgs(
      governor.write.propose([...grabArgs, "Mint for me"]),
      governor,
      "GovernorInsufficientProposerVotes",
      [getAddress(deployer.account.address), 0n, await governor.read.proposalThreshold()],
    );

    // A single allocation holder proposes and votes alone: defeated for want of quorum.
    const [alice, bob] = holders;
    await governor.write.propose([...grabArgs, "Mint for alice"], { account: alice.account });
    const aloneId = await governor.read.hashProposal([...grabArgs, keccak256(stringToHex("Mint for alice"))]);
    await networkHelpers.time.increase(DAY + 1);
    await governor.write.castVote([aloneId, Vote.For], { account: alice.account });
    await networkHelpers.time.increase(7 * DAY);
    const [, forVotes] = await governor.read.proposalVotes([aloneId]);
    assert.ok(forVotes < (await governor.read.quorum([await governor.read.proposalSnapshot([aloneId])])), "below quorum");
    assert.equal(await governor.read.state([aloneId]), State.Defeated);

    // Two holders together pass an ordinary proposal through the timelock.
    const raise = encodeFunctionData({ abi: staking.abi, functionName: "setMinStake", args: [parseEther("20000")] });
    const raiseArgs = [[staking.address], [0n], [raise]] as const;
    const raiseHash = keccak256(stringToHex("Raise minStake"));
    await governor.write.propose([...raiseArgs, "Raise minStake"], { account: alice.account });
    const coalitionId = await governor.read.hashProposal([...raiseArgs, raiseHash]);
    await networkHelpers.time.increase(DAY + 1);
    await governor.write.castVote([coalitionId, Vote.For], { account: alice.account });
    await governor.write.castVote([coalitionId, Vote.For], { account: bob.account });
    await networkHelpers.time.increase(7 * DAY);
    assert.equal(await governor.read.state([coalitionId]), State.Succeeded);
    await governor.write.queue([...raiseArgs, raiseHash]);
    await networkHelpers.time.increase(2 * DAY);
    await governor.write.execute([...raiseArgs, raiseHash]);
    assert.equal(await governor.read.state([coalitionId]), State.Executed);
    assert.equal(await staking.read.minStake(), parseEther("20000"));
  });
});
