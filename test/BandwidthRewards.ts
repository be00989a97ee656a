import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { getAddress, hashTypedData, keccak256, stringToHex, verifyTypedData, zeroAddress } from "viem";
import EconomyModule from "../ignition/modules/Economy.ts";
import { defaultParameters, deployEconomy, MiB, MIN_STAKE, nodeKey, seedReward } from "./helpers/economy.ts";
import { ALL_SLOTS, byAddress, rewardsDomain as makeRewardsDomain, receiptTypes, signReceipt, signUptime, toCompact, uptimeTypes, type SubmittedReceipt } from "./helpers/receipts.ts";

const { viem, networkHelpers } = await network.create();

const A = nodeKey("A"); // server, operator 0
const A2 = nodeKey("A2"); // second node of operator 0
const B = nodeKey("B"); // client, operator 1
const C = nodeKey("C"); // operator 2
const C2 = nodeKey("C2"); // second node of operator 2
const D = nodeKey("D"); // operator 3
const stranger = nodeKey("stranger"); // never staked
const servedRoot = keccak256(stringToHex("tracks served"));

async function fixture() {
  const economy = await deployEconomy(viem);
  const opA = await economy.register(0, A);
  await economy.register(0, A2);
  const opB = await economy.register(1, B);
  const opC = await economy.register(2, C);
  await economy.register(2, C2);
  const opD = await economy.register(3, D);
  const epoch = await economy.rewards.read.currentEpoch();
  return { ...economy, opA, opB, opC, opD, epoch };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

const receiptFrom = (f: Fixture, client: typeof B, cumulativeBytes: bigint, epoch = f.epoch, server = A.address) =>
  signReceipt(client, f.rewardsDomain, { server, client: client.address, epoch, cumulativeBytes, servedRoot, nonce: 1n });

/** Governance raises the minimum stake by 1 wei; every node but `B` is topped up, so only B falls below it. */
async function dropBBelowMinimum(f: Fixture) {
  for (const [node, operator] of [[A, f.opA], [A2, f.opA], [C, f.opC], [D, f.opD]] as const) await topUp(f, node, operator);
  await f.staking.write.setMinStake([MIN_STAKE + 1n]);
  assert.equal(await f.staking.read.activeOperatorOf([B.address]), zeroAddress);
}

async function topUp(f: Fixture, node: typeof A, operator: Fixture["opA"]) {
  await f.token.write.transfer([operator.account.address, 1n]);
  await f.token.write.approve([f.staking.address, 1n], { account: operator.account });
  await f.staking.write.increaseStake([node.address, 1n], { account: operator.account });
}

async function endSettlement(f: Fixture, epoch = f.epoch) {
  const [, , settlesAt] = await f.rewards.read.epochTimes([epoch]);
  await networkHelpers.time.increaseTo(settlesAt);
}

describe("BandwidthRewards", () => {
  describe("the story", () => {
    it("stakes two nodes, pays exactly the seed's formula for the client's latest receipt, once", async () => {
      // Two nodes, two operators: A serves, B downloads.
      const economy = await deployEconomy(viem);
      const { rewards, token, rewardsDomain } = economy;
      const opA = await economy.register(0, A);
      await economy.register(1, B);
      const epoch = await rewards.read.currentEpoch();

      // Off chain: after each verified chunk B signs a cumulative receipt; A checks it and keeps the latest.
      let latest: SubmittedReceipt | undefined;
      for (const [nonce, mib] of [100n, 200n, 250n].entries()) {
        const message = { server: A.address, client: B.address, epoch, cumulativeBytes: mib * MiB, servedRoot, nonce: BigInt(nonce) };
        const signature = await B.signTypedData({ domain: rewardsDomain, types: receiptTypes, primaryType: "Receipt", message });
        assert.ok(await verifyTypedData({ address: B.address, domain: rewardsDomain, types: receiptTypes, primaryType: "Receipt", message, signature }));
        latest = { client: B.address, cumulativeBytes: message.cumulativeBytes, nonce: message.nonce, servedRoot, ...toCompact(signature) };
      }
      assert.ok(latest);

      // A submits one batch with B's latest receipt.
      await viem.assertions.emitWithArgs(
        rewards.write.submitReceipts([A.address, epoch, [latest]], { account: opA.account }),
        rewards,
        "ReceiptsSubmitted",
        [getAddress(A.address), epoch, 1n, 250n * MiB, 1],
      );

      // The epoch ends (and its settlement delay passes); A's operator claims.
      const [, , settlesAt] = await rewards.read.epochTimes([epoch]);
      await networkHelpers.time.increaseTo(settlesAt);
      await viem.assertions.emitWithArgs(rewards.write.claim([A.address, epoch], { account: opA.account }), rewards, "RewardClaimed", [
        getAddress(A.address),
        epoch,
        getAddress(opA.account.address),
        2_525_000_000_000_000_000n,
      ]);
      // 250 MiB / 100 MiB = 2.5 DCMX, no uptime bonus, diversity 1/10 * 10% = 1%: 2.5 * 1.01 = 2.525 DCMX.
      assert.equal(await token.read.balanceOf([opA.account.address]), 2_525_000_000_000_000_000n);
      assert.equal(seedReward(250n * MiB, 1, false), 2_525_000_000_000_000_000n);

      await viem.assertions.revertWithCustomErrorWithArgs(
        rewards.write.claim([A.address, epoch], { account: opA.account }),
        rewards,
        "BandwidthRewardsAlreadyClaimed",
        [getAddress(A.address), epoch],
      );
    });

    it("adds the uptime bonus for slots attested by two peers and the full diversity bonus at ten clients", async () => {
      const economy = await deployEconomy(viem);
      const opA = await economy.register(0, A);
      const clients = Array.from({ length: 10 }, (_, i) => nodeKey(`client${i}`));
      for (const [i, client] of clients.entries()) await economy.register(i + 1, client);
      const epoch = await economy.rewards.read.currentEpoch();
      const batch = await Promise.all(
        clients.map((c) =>
          signReceipt(c, economy.rewardsDomain, { server: A.address, client: c.address, epoch, cumulativeBytes: 100n * MiB, servedRoot, nonce: 1n }),
        ),
      );
      batch.sort(byAddress((r) => r.client));
      await economy.rewards.write.submitReceipts([A.address, epoch, batch], { account: opA.account });
      const attestations = await Promise.all(clients.slice(0, 2).map((p) => signUptime(p, economy.rewardsDomain, { node: A.address, epoch, slots: ALL_SLOTS })));
      attestations.sort(byAddress((a) => a.peer));
      await viem.assertions.emitWithArgs(
        economy.rewards.write.submitUptime([A.address, epoch, attestations], { account: opA.account }),
        economy.rewards,
        "UptimeSubmitted",
        [getAddress(A.address), epoch, 256, 2n],
      );
      const [, , settlesAt] = await economy.rewards.read.epochTimes([epoch]);
      await networkHelpers.time.increaseTo(settlesAt);
      const before = await economy.token.read.balanceOf([opA.account.address]);
      await economy.rewards.write.claim([A.address, epoch]);
      // 1000 MiB = 10 DCMX * (1 + 0.2 + 0.1) = 13 DCMX.
      assert.equal((await economy.token.read.balanceOf([opA.account.address])) - before, 13_000_000_000_000_000_000n);
    });

    it("accepts later batches above the high-water mark", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const [low, high] = [B, C].sort(byAddress((k) => k.address));
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, low, MiB)]], { account: f.opA.account });
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, high, 2n * MiB)]], { account: f.opA.account });
      const credit = await f.rewards.read.serverEpoch([A.address, f.epoch]);
      assert.deepEqual(credit, { lastClient: getAddress(high.address), bytesServed: 3n * MiB, clients: 2, claimed: false });
    });

    it("shares the epoch's emission cap pro rata", async () => {
      const economy = await deployEconomy(viem, { ...defaultParameters, emissionCap: 1_000_000n });
      const opA = await economy.register(0, A);
      await economy.register(1, B);
      const opC = await economy.register(2, C);
      const epoch = await economy.rewards.read.currentEpoch();
      const sign = (client: typeof B, server: typeof A, bytes: bigint) =>
        signReceipt(client, economy.rewardsDomain, { server: server.address, client: client.address, epoch, cumulativeBytes: bytes, servedRoot, nonce: 1n });
      await economy.rewards.write.submitReceipts([A.address, epoch, [await sign(B, A, 300n * MiB)]], { account: opA.account });
      await economy.rewards.write.submitReceipts([C.address, epoch, [await sign(B, C, 100n * MiB)]], { account: opC.account });
      const [, , settlesAt] = await economy.rewards.read.epochTimes([epoch]);
      await networkHelpers.time.increaseTo(settlesAt);
      await viem.assertions.emitWithArgs(economy.rewards.write.settleEpoch([epoch]), economy.rewards, "EpochSettled", [
        epoch,
        seedReward(400n * MiB, 1, false),
        1_000_000n,
      ]);
      await economy.rewards.write.claim([A.address, epoch]);
      await economy.rewards.write.claim([C.address, epoch]);
      assert.equal(await economy.token.read.balanceOf([opA.account.address]), 750_000n);
      assert.equal(await economy.token.read.balanceOf([opC.account.address]), 250_000n);
      await viem.assertions.revertWithCustomErrorWithArgs(economy.rewards.write.settleEpoch([epoch]), economy.rewards, "BandwidthRewardsAlreadySettled", [
        epoch,
      ]);
    });
  });

  describe("attacks", () => {
    it("reverts when a receipt is replayed in a later batch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const receipt = await receiptFrom(f, B, 100n * MiB);
      await f.rewards.write.submitReceipts([A.address, f.epoch, [receipt]], { account: f.opA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [receipt]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsNotAscending",
        [getAddress(B.address), getAddress(B.address)],
      );
    });

    it("reverts when a receipt is repeated within a batch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const receipt = await receiptFrom(f, B, 100n * MiB);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [receipt, receipt]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsNotAscending",
        [getAddress(B.address), getAddress(B.address)],
      );
    });

    it("reverts when a later, larger receipt of an already submitted client is replayed", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, 100n * MiB)]], { account: f.opA.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, 200n * MiB)]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsNotAscending",
        [getAddress(B.address), getAddress(B.address)],
      );
    });

    it("reverts when the server signs a receipt for itself", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, A, 100n * MiB)]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsSelfDealing",
        [getAddress(A.address)],
      );
    });

    it("reverts when the server signs a receipt in a client's name", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const forged = await signReceipt(A, f.rewardsDomain, { server: A.address, client: B.address, epoch: f.epoch, cumulativeBytes: MiB, servedRoot, nonce: 1n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [forged]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsInvalidSignature",
        [getAddress(B.address)],
      );
    });

    it("credits nothing for a receipt signed by a never-staked address, and says so", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.emitWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, stranger, MiB)]], { account: f.opA.account }),
        f.rewards,
        "ReceiptSkipped",
        [getAddress(A.address), f.epoch, getAddress(stranger.address)],
      );
      assert.deepEqual(await f.rewards.read.serverEpoch([A.address, f.epoch]), {
        lastClient: getAddress(stranger.address),
        bytesServed: 0n,
        clients: 0,
        claimed: false,
      });
    });

    it("reverts when the server forges the receipt of a client that fell below the minimum stake", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await dropBBelowMinimum(f);
      const forged = await signReceipt(A, f.rewardsDomain, { server: A.address, client: B.address, epoch: f.epoch, cumulativeBytes: MiB, servedRoot, nonce: 1n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [forged]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsInvalidSignature",
        [getAddress(B.address)],
      );
    });

    it("credits k colluding nodes k per-client caps per epoch, not k * (k - 1)", async () => {
      // Three colluding operators, each node the client of both others: 3 caps, not 3 * 2.
      const f = await networkHelpers.loadFixture(fixture);
      const cap = defaultParameters.perClientCap;
      const ring = [
        { node: A, operator: f.opA },
        { node: B, operator: f.opB },
        { node: C, operator: f.opC },
      ];
      for (const server of ring) {
        const batch = await Promise.all(
          ring.filter((c) => c.node !== server.node).map((c) => receiptFrom(f, c.node, cap, f.epoch, server.node.address)),
        );
        batch.sort(byAddress((r) => r.client));
        await f.rewards.write.submitReceipts([server.node.address, f.epoch, batch], { account: server.operator.account });
      }
      let total = 0n;
      for (const { node } of ring) {
        total += (await f.rewards.read.serverEpoch([node.address, f.epoch])).bytesServed;
        assert.equal(await f.rewards.read.clientCredited([node.address, f.epoch]), cap);
      }
      assert.equal(total, 3n * cap);
    });

    it("reverts when the server is not staked", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const receipt = await receiptFrom(f, B, MiB, f.epoch, stranger.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([stranger.address, f.epoch, [receipt]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsNodeNotStaked",
        [getAddress(stranger.address)],
      );
    });

    it("reverts when the client is a node of the same operator", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, A2, MiB)]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsSameOperator",
        [getAddress(A2.address), getAddress(f.opA.account.address)],
      );
    });

    it("reverts when the receipt was signed for another chain id", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const otherChain = makeRewardsDomain(1, f.rewards.address);
      const receipt = await signReceipt(B, otherChain, { server: A.address, client: B.address, epoch: f.epoch, cumulativeBytes: MiB, servedRoot, nonce: 1n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [receipt]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsInvalidSignature",
        [getAddress(B.address)],
      );
    });

    it("reverts when the receipt was signed for another epoch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const receipt = await receiptFrom(f, B, MiB, f.epoch + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [receipt]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsInvalidSignature",
        [getAddress(B.address)],
      );
    });

    it("reverts when the batch is for an epoch that has not started", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const receipt = await receiptFrom(f, B, MiB, f.epoch + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch + 1, [receipt]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsEpochNotOpen",
        [f.epoch + 1],
      );
    });

    it("reverts when the batch is for an epoch past its settlement time", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const receipt = await receiptFrom(f, B, MiB);
      await endSettlement(f);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [receipt]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsEpochNotOpen",
        [f.epoch],
      );
    });

    it("reverts when claiming before the epoch ends", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, MiB)]], { account: f.opA.account });
      const [, end, settlesAt] = await f.rewards.read.epochTimes([f.epoch]);
      await viem.assertions.revertWithCustomErrorWithArgs(f.rewards.write.claim([A.address, f.epoch]), f.rewards, "BandwidthRewardsEpochNotSettled", [
        f.epoch,
        settlesAt,
      ]);
      // Still too early after the end, while late receipts may change the epoch's total.
      await networkHelpers.time.increaseTo(end);
      await viem.assertions.revertWithCustomErrorWithArgs(f.rewards.write.claim([A.address, f.epoch]), f.rewards, "BandwidthRewardsEpochNotSettled", [
        f.epoch,
        settlesAt,
      ]);
    });

    it("credits a second server only what the client's cap has left this epoch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const cap = defaultParameters.perClientCap;
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, cap - 100n * MiB)]], { account: f.opA.account });
      await viem.assertions.emitWithArgs(
        f.rewards.write.submitReceipts([C.address, f.epoch, [await receiptFrom(f, B, cap, f.epoch, C.address)]], { account: f.opC.account }),
        f.rewards,
        "ReceiptsSubmitted",
        [getAddress(C.address), f.epoch, 1n, 100n * MiB, 1],
      );
      // Nothing left for a third server: credited zero, not counted for diversity.
      await f.rewards.write.submitReceipts([D.address, f.epoch, [await receiptFrom(f, B, cap, f.epoch, D.address)]], { account: f.opD.account });
      assert.deepEqual(await f.rewards.read.serverEpoch([D.address, f.epoch]), { lastClient: getAddress(B.address), bytesServed: 0n, clients: 0, claimed: false });
      assert.equal(await f.rewards.read.clientCredited([B.address, f.epoch]), cap);
    });

    it("credits at most the per-client cap however many bytes the client signs", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const cap = defaultParameters.perClientCap;
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, cap * 1_000n)]], { account: f.opA.account });
      assert.equal((await f.rewards.read.serverEpoch([A.address, f.epoch])).bytesServed, cap);
      await endSettlement(f);
      await f.rewards.write.claim([A.address, f.epoch]);
      assert.equal(await f.token.read.balanceOf([f.opA.account.address]), seedReward(cap, 1, false));
    });

    it("reverts when a node claims an epoch twice", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, MiB)]], { account: f.opA.account });
      await endSettlement(f);
      await f.rewards.write.claim([A.address, f.epoch]);
      await viem.assertions.revertWithCustomErrorWithArgs(f.rewards.write.claim([A.address, f.epoch]), f.rewards, "BandwidthRewardsAlreadyClaimed", [
        getAddress(A.address),
        f.epoch,
      ]);
    });

    it("reverts when an uptime attestation is forged in a peer's name", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      // A signs an attestation claiming to be C.
      const forged = { ...(await signUptime(A, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS })), peer: C.address };
      const genuine = await signUptime(B, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS });
      const attestations = [forged, genuine].sort(byAddress((a) => a.peer));
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitUptime([A.address, f.epoch, attestations], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsInvalidSignature",
        [getAddress(C.address)],
      );
    });

    it("reverts when an attestation comes from the node itself", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const self = await signUptime(A, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitUptime([A.address, f.epoch, [self]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsSelfDealing",
        [getAddress(A.address)],
      );
    });

    it("reverts when an attestation comes from a node of the same operator", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const sibling = await signUptime(A2, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitUptime([A.address, f.epoch, [sibling]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsSameOperator",
        [getAddress(A2.address), getAddress(f.opA.account.address)],
      );
    });

    it("reverts when an attestation comes from an unstaked peer", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const unstaked = await signUptime(stranger, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitUptime([A.address, f.epoch, [unstaked]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsNodeNotStaked",
        [getAddress(stranger.address)],
      );
    });

    it("reverts when two attesters belong to the same operator", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const attestations = [
        await signUptime(C, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS }),
        await signUptime(C2, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS }),
      ].sort(byAddress((a) => a.peer));
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitUptime([A.address, f.epoch, attestations], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsDuplicateAttesterOperator",
        [getAddress(attestations[1].peer), getAddress(f.opC.account.address)],
      );
    });

    it("reverts when one peer's attestation is listed twice to count as two", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const once = await signUptime(B, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS });
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitUptime([A.address, f.epoch, [once, once]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsNotAscending",
        [getAddress(B.address), getAddress(B.address)],
      );
    });

    it("counts only the slots that two peers attest", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const attestations = [
        await signUptime(B, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: ALL_SLOTS }),
        await signUptime(C, f.rewardsDomain, { node: A.address, epoch: f.epoch, slots: (1n << 200n) - 1n }),
      ].sort(byAddress((a) => a.peer));
      await f.rewards.write.submitUptime([A.address, f.epoch, attestations], { account: f.opA.account });
      assert.equal(await f.rewards.read.uptimeSlots([A.address, f.epoch]), 200);
      await f.rewards.write.submitUptime([A.address, f.epoch, [attestations[0]]], { account: f.opA.account });
      assert.equal(await f.rewards.read.uptimeSlots([A.address, f.epoch]), 0);
    });
  });

  describe("inactive clients", () => {
    it("skips a client that fell below the minimum stake and credits the rest of the batch", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await dropBBelowMinimum(f);
      const batch = [await receiptFrom(f, B, 100n * MiB), await receiptFrom(f, C, 200n * MiB)].sort(byAddress((r) => r.client));
      const hash = f.rewards.write.submitReceipts([A.address, f.epoch, batch], { account: f.opA.account });
      await viem.assertions.emitWithArgs(hash, f.rewards, "ReceiptSkipped", [getAddress(A.address), f.epoch, getAddress(B.address)]);
      await viem.assertions.emitWithArgs(hash, f.rewards, "ReceiptsSubmitted", [getAddress(A.address), f.epoch, 2n, 200n * MiB, 1]);
      assert.equal(await f.rewards.read.clientCredited([B.address, f.epoch]), 0n);
      assert.equal((await f.rewards.read.serverEpoch([A.address, f.epoch])).lastClient, getAddress(batch[1].client));
    });

    it("keeps a skipped client final for the epoch even after it stakes again", async () => {
      // The high-water mark moves past skipped clients: one rule for every submitted client, wherever it sits.
      const f = await networkHelpers.loadFixture(fixture);
      await dropBBelowMinimum(f);
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, 100n * MiB)]], { account: f.opA.account });
      await topUp(f, B, f.opB);
      assert.equal(await f.staking.read.activeOperatorOf([B.address]), getAddress(f.opB.account.address));
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, 100n * MiB)]], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsNotAscending",
        [getAddress(B.address), getAddress(B.address)],
      );
    });

    it("still reverts the whole batch for a same-operator client after a skipped one", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await dropBBelowMinimum(f);
      const batch = [await receiptFrom(f, B, MiB), await receiptFrom(f, A2, MiB)].sort(byAddress((r) => r.client));
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, batch], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsSameOperator",
        [getAddress(A2.address), getAddress(f.opA.account.address)],
      );
    });
  });

  describe("diversity", () => {
    async function tenClients(bytes: (i: number) => bigint) {
      const economy = await deployEconomy(viem);
      const opA = await economy.register(0, A);
      const clients = Array.from({ length: 10 }, (_, i) => nodeKey(`client${i}`));
      for (const [i, client] of clients.entries()) await economy.register(i + 1, client);
      const epoch = await economy.rewards.read.currentEpoch();
      const batch = await Promise.all(
        clients.map((c, i) =>
          signReceipt(c, economy.rewardsDomain, { server: A.address, client: c.address, epoch, cumulativeBytes: bytes(i), servedRoot, nonce: 1n }),
        ),
      );
      batch.sort(byAddress((r) => r.client));
      await economy.rewards.write.submitReceipts([A.address, epoch, batch], { account: opA.account });
      const [, , settlesAt] = await economy.rewards.read.epochTimes([epoch]);
      await networkHelpers.time.increaseTo(settlesAt);
      await economy.rewards.write.claim([A.address, epoch]);
      return { paid: await economy.token.read.balanceOf([opA.account.address]), credit: await economy.rewards.read.serverEpoch([A.address, epoch]) };
    }

    it("pays no diversity bonus for nine zero-byte receipts", async () => {
      const { paid, credit } = await tenClients((i) => (i === 0 ? 100n * MiB : 0n));
      assert.equal(credit.clients, 1);
      // 1 DCMX * (1 + 1/10 * 10%): the one real client's 1%, not the full 10%.
      assert.equal(paid, seedReward(100n * MiB, 1, false));
      assert.equal(paid, 1_010_000_000_000_000_000n);
    });

    it("counts a client only from minClientBytes credited", async () => {
      const min = defaultParameters.minClientBytes;
      const { paid, credit } = await tenClients((i) => (i < 5 ? min : min - 1n));
      assert.equal(credit.clients, 5);
      assert.equal(paid, seedReward(10n * min - 5n, 5, false));
    });
  });

  describe("epochs and the cross-server cap", () => {
    it("gives each client a fresh cap in each epoch, while two epochs take receipts at once", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const cap = defaultParameters.perClientCap;
      const [, end] = await f.rewards.read.epochTimes([f.epoch]);
      await f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, cap / 2n)]], { account: f.opA.account });
      await networkHelpers.time.increaseTo(end); // epoch + 1 starts; epoch still settles for an hour
      await f.rewards.write.submitReceipts([A.address, f.epoch + 1, [await receiptFrom(f, B, cap, f.epoch + 1)]], { account: f.opA.account });
      await f.rewards.write.submitReceipts([C.address, f.epoch, [await receiptFrom(f, B, cap, f.epoch, C.address)]], { account: f.opC.account });
      assert.equal((await f.rewards.read.serverEpoch([C.address, f.epoch])).bytesServed, cap / 2n);
      assert.equal(await f.rewards.read.clientCredited([B.address, f.epoch]), cap);
      assert.equal(await f.rewards.read.clientCredited([B.address, f.epoch + 1]), cap);
      // Epoch + 2 reuses epoch's half of the slot: a full cap again, and epoch's figure is gone.
      const [start2] = await f.rewards.read.epochTimes([f.epoch + 2]);
      await networkHelpers.time.increaseTo(start2);
      await f.rewards.write.submitReceipts([A.address, f.epoch + 2, [await receiptFrom(f, B, cap, f.epoch + 2)]], { account: f.opA.account });
      assert.equal((await f.rewards.read.serverEpoch([A.address, f.epoch + 2])).bytesServed, cap);
      assert.equal(await f.rewards.read.clientCredited([B.address, f.epoch + 2]), cap);
      assert.equal(await f.rewards.read.clientCredited([B.address, f.epoch + 1]), cap);
      assert.equal(await f.rewards.read.clientCredited([B.address, f.epoch]), 0n);
    });

    it("reverts when the settlement delay exceeds the epoch length", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, epochLength: 3_600, settlementDelay: 3_601 }]),
        f.rewards,
        "BandwidthRewardsSettlementDelayExceedsEpoch",
        [3_601, 3_600],
      );
    });

    it("reverts when the next epoch is shorter than the settlement delay in force", async () => {
      // Otherwise epoch e would still take receipts when e + 2 starts: three open epochs, one client slot for two.
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, epochLength: 1_800, settlementDelay: 600 }]),
        f.rewards,
        "BandwidthRewardsSettlementDelayExceedsEpoch",
        [3_600, 1_800],
      );
    });

    it("checks a replacement set against the set in force, not the one it replaces", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await f.rewards.write.scheduleParameters([{ ...defaultParameters, epochLength: 7_200, settlementDelay: 7_200 }]);
      await f.rewards.write.scheduleParameters([{ ...defaultParameters, epochLength: 3_600, settlementDelay: 600 }]);
      assert.equal((await f.rewards.read.parametersOf([f.epoch + 1])).epochLength, 3_600);
    });

    it("reverts when minClientBytes is zero or above the per-client cap", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const cap = defaultParameters.perClientCap;
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, minClientBytes: 0n }]),
        f.rewards,
        "BandwidthRewardsInvalidMinClientBytes",
        [0n, cap],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, minClientBytes: cap + 1n }]),
        f.rewards,
        "BandwidthRewardsInvalidMinClientBytes",
        [cap + 1n, cap],
      );
    });
  });

  describe("rounding", () => {
    it("leaves less than one wei per claim in the contract once every node has claimed", async () => {
      const economy = await deployEconomy(viem, { ...defaultParameters, emissionCap: 1_000_000n });
      const servers = [nodeKey("dust0"), nodeKey("dust1"), nodeKey("dust2")];
      for (const [i, server] of servers.entries()) await economy.register(i, server);
      await economy.register(3, B);
      const epoch = await economy.rewards.read.currentEpoch();
      for (const [i, server] of servers.entries()) {
        const receipt = await signReceipt(B, economy.rewardsDomain, { server: server.address, client: B.address, epoch, cumulativeBytes: 100n * MiB, servedRoot, nonce: 1n });
        await economy.rewards.write.submitReceipts([server.address, epoch, [receipt]], { account: economy.operators[i].account });
      }
      const [, , settlesAt] = await economy.rewards.read.epochTimes([epoch]);
      await networkHelpers.time.increaseTo(settlesAt);
      for (const server of servers) await economy.rewards.write.claim([server.address, epoch]);
      // 1,000,000 wei shared by three equal claims: 333,333 each, 1 wei of dust (< 3 claims).
      for (const i of [0, 1, 2]) assert.equal(await economy.token.read.balanceOf([economy.operators[i].account.address]), 333_333n);
      assert.equal(await economy.token.read.balanceOf([economy.rewards.address]), 1n);
    });
  });

  describe("the deployment's defaults", () => {
    const localParameters = fileURLToPath(new URL("../ignition/parameters/local.json", import.meta.url));
    it("keep minStake at least ten times what a node can fabricate while its stake is still slashable", async () => {
      const { ignition } = await network.create();
      const { staking, rewards } = await ignition.deploy(EconomyModule, { parameters: localParameters });
      const p = await rewards.read.parametersOf([0]);
      const minStake = await staking.read.minStake();
      // U: the whole unstake delay (unbonding delay + governance latency), during which the stake stays slashable.
      const unbondingDelay = await staking.read.unstakeDelay();
      // F(U) = (ceil(U / epochLength) + 2) * perClientCap / 100 MiB * rewardPerUnit * (1 + uptime + diversity): an
      // epoch takes submissions for epochLength + settlementDelay, so a window of U touches ceil(U / length) + 2.
      const epochs = (unbondingDelay + BigInt(p.epochLength) - 1n) / BigInt(p.epochLength) + 2n;
      const fabricated = (epochs * p.perClientCap * p.rewardPerUnit * (10_000n + BigInt(p.uptimeBonusBps) + BigInt(p.diversityBonusBps))) / (10_000n * 100n * MiB);
      assert.ok(minStake >= 10n * fabricated, `minStake ${minStake} < 10 * F(U) = ${10n * fabricated}`);
      assert.ok(p.settlementDelay <= p.epochLength);
      assert.ok(p.minClientBytes > 0n && p.minClientBytes <= p.perClientCap);
    });
  });

  describe("access and inputs", () => {
    it("reverts when someone else submits for a server", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.submitReceipts([A.address, f.epoch, [await receiptFrom(f, B, MiB)]], { account: f.opB.account }),
        f.rewards,
        "BandwidthRewardsNotNodeOperator",
        [getAddress(A.address), getAddress(f.opB.account.address)],
      );
    });

    it("reverts when the batch is empty", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomError(
        f.rewards.write.submitReceipts([A.address, f.epoch, []], { account: f.opA.account }),
        f.rewards,
        "BandwidthRewardsEmptyBatch",
      );
    });

    it("reverts when a node with nothing credited claims", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await endSettlement(f);
      await viem.assertions.revertWithCustomErrorWithArgs(f.rewards.write.claim([C.address, f.epoch]), f.rewards, "BandwidthRewardsNothingToClaim", [
        getAddress(C.address),
        f.epoch,
      ]);
    });

    it("reverts when anyone but the owner schedules parameters", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([defaultParameters], { account: f.opA.account }),
        f.rewards,
        "OwnableUnauthorizedAccount",
        [getAddress(f.opA.account.address)],
      );
    });

    it("reverts when the epoch length is out of range", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, epochLength: 255 }]),
        f.rewards,
        "BandwidthRewardsInvalidEpochLength",
        [255],
      );
    });

    it("reverts when the settlement delay exceeds 30 days", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, settlementDelay: 30 * 86_400 + 1 }]),
        f.rewards,
        "BandwidthRewardsInvalidSettlementDelay",
        [30 * 86_400 + 1],
      );
    });

    it("reverts when a bonus exceeds 100% or the diversity target is zero", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, diversityTarget: 0 }]),
        f.rewards,
        "BandwidthRewardsInvalidBonus",
        [2_000, 1_000, 0],
      );
    });

    it("applies scheduled parameters from the next epoch without renumbering epochs", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const [start, end] = await f.rewards.read.epochTimes([f.epoch]);
      await viem.assertions.emitWithArgs(
        f.rewards.write.scheduleParameters([{ ...defaultParameters, epochLength: 3_600, rewardPerUnit: 2n * 10n ** 18n }]),
        f.rewards,
        "ParametersScheduled",
        [f.epoch + 1, Number(end), { ...defaultParameters, epochLength: 3_600, rewardPerUnit: 2n * 10n ** 18n }],
      );
      assert.equal((await f.rewards.read.parametersOf([f.epoch])).rewardPerUnit, 10n ** 18n);
      assert.deepEqual(await f.rewards.read.epochTimes([f.epoch]), [start, end, end + 3_600n]);
      assert.deepEqual(await f.rewards.read.epochTimes([f.epoch + 3]), [end + 2n * 3_600n, end + 3n * 3_600n, end + 4n * 3_600n]);
      await networkHelpers.time.increaseTo(end + 3_600n * 2n + 1n);
      assert.equal(await f.rewards.read.currentEpoch(), f.epoch + 3);
      assert.equal((await f.rewards.read.parametersOf([f.epoch + 3])).rewardPerUnit, 2n * 10n ** 18n);
    });

    it("exposes the typed-data digest a peer signs for uptime", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const message = { node: A.address, epoch: f.epoch, slots: 5n };
      assert.equal(
        await f.rewards.read.uptimeDigest([A.address, f.epoch, 5n]),
        hashTypedData({ domain: f.rewardsDomain, types: uptimeTypes, primaryType: "UptimeAttestation", message }),
      );
    });

    it("exposes the typed-data digest the client signs", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const message = { server: A.address, client: B.address, epoch: f.epoch, cumulativeBytes: MiB, servedRoot, nonce: 3n };
      assert.equal(
        await f.rewards.read.receiptDigest([A.address, B.address, f.epoch, MiB, servedRoot, 3n]),
        hashTypedData({ domain: f.rewardsDomain, types: receiptTypes, primaryType: "Receipt", message }),
      );
    });
  });
});
