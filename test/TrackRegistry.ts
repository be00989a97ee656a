import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, hashDomain, keccak256, stringToHex, zeroAddress, zeroHash } from "viem";
import { deployMusic } from "./helpers/fixtures.ts";
import { COMMIT_AGES, commitmentOf, saltOf, sampleRegistration } from "./helpers/music.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const fixture = () => deployMusic(connection);

describe("TrackRegistry", () => {
  describe("commit", () => {
    it("stores the commit time, emits RegistrationCommitted and computes commitments as the helpers do", async () => {
      const { registry, artist, relayer } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      const salt = saltOf("a");
      const commitment = commitmentOf(reg.contentHash, artist.account.address, salt);
      assert.equal(await registry.read.commitmentOf([reg.contentHash, artist.account.address, salt]), commitment);
      await viem.assertions.emitWithArgs(registry.write.commit([commitment], { account: relayer.account }), registry, "RegistrationCommitted", [
        commitment,
      ]);
      assert.equal(await registry.read.commitmentTime([commitment]), BigInt(await networkHelpers.time.latest()));
      assert.equal(await registry.read.minCommitAge(), COMMIT_AGES.min);
      assert.equal(await registry.read.maxCommitAge(), COMMIT_AGES.max);
    });

    it("reverts a replayed commit while the commitment is live, naming when it expires, and renews an expired one", async () => {
      const { registry, artist, commitRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      const commitment = await commitRegistration(reg);
      const expiresAt = (await registry.read.commitmentTime([commitment])) + BigInt(COMMIT_AGES.max);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.commit([commitment], { account: artist.account }),
        registry,
        "TrackCommitmentExists",
        [commitment, expiresAt],
      );
      await networkHelpers.time.setNextBlockTimestamp(expiresAt + 1n);
      await registry.write.commit([commitment], { account: artist.account });
      assert.equal(await registry.read.commitmentTime([commitment]), expiresAt + 1n);
    });

    it("commitBatch stores many commitments in one transaction and skips live ones instead of reverting", async () => {
      const { registry, relayer, stranger } = await networkHelpers.loadFixture(fixture);
      const commitments = ["x", "y", "z"].map((s) => keccak256(stringToHex(s)));
      // A front-runner copies one commitment of the relayer's pending batch into their own commit...
      await registry.write.commit([commitments[1]!], { account: stranger.account });
      const copiedAt = await registry.read.commitmentTime([commitments[1]!]);
      // ...and the batch still lands for the others; the copied one keeps its (earlier) time.
      const hash = await registry.write.commitBatch([commitments], { account: relayer.account });
      const receipt = await (await viem.getPublicClient()).waitForTransactionReceipt({ hash });
      const logged = await registry.getEvents.RegistrationCommitted({}, { blockHash: receipt.blockHash });
      assert.deepEqual(
        logged.map((e) => e.args.commitment),
        [commitments[0], commitments[2]],
      );
      assert.equal(await registry.read.commitmentTime([commitments[1]!]), copiedAt);
      assert.ok((await registry.read.commitmentTime([commitments[0]!])) > copiedAt);
    });
  });

  describe("register (reveal)", () => {
    it("registers after the minimum age, consumes the commitment and emits every field for indexers", async () => {
      const { registry, artist, commitRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      const salt = saltOf("a");
      const commitment = await commitRegistration(reg, artist, salt);
      await ageCommitment();
      await viem.assertions.emitWithArgs(registry.write.register([reg, salt], { account: artist.account }), registry, "TrackRegistered", [
        reg.contentHash,
        artist.account.address,
        reg.manifestRoot,
        reg.size,
        reg.duration,
        reg.title,
        reg.artistName,
        reg.album,
        reg.metadataURI,
      ]);
      assert.deepEqual(await registry.read.getTrack([reg.contentHash]), {
        artist: getAddress(artist.account.address),
        size: reg.size,
        duration: reg.duration,
        manifestRoot: reg.manifestRoot,
      });
      assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(artist.account.address));
      assert.equal(await registry.read.isRegistered([reg.contentHash]), true);
      assert.equal(await registry.read.commitmentTime([commitment]), 0n);
    });

    it("defeats a front-runner who copies a pending reveal's fields into their own register", async () => {
      const { registry, artist, stranger, commitRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      const salt = saltOf("a");
      await commitRegistration(reg, artist, salt);
      await ageCommitment();
      // The attacker sees (reg, salt) in the mempool and sends the same call first: the commitment binds the artist.
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([reg, salt], { account: stranger.account }),
        registry,
        "TrackCommitmentNotFound",
        [commitmentOf(reg.contentHash, stranger.account.address, salt)],
      );
      // Nor can they commit now and reveal in time: their own commitment is too new while the artist's lands.
      const theirs = await commitRegistration(reg, stranger, salt);
      const revealableAt = (await registry.read.commitmentTime([theirs])) + BigInt(COMMIT_AGES.min);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([reg, salt], { account: stranger.account }),
        registry,
        "TrackCommitmentTooNew",
        [theirs, revealableAt],
      );
      await registry.write.register([reg, salt], { account: artist.account });
      assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(artist.account.address));
    });

    it("lets the artist win over an audio holder who committed later, if the artist reveals first", async () => {
      const { registry, artist, stranger, commitRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("leaked");
      await commitRegistration(reg, artist, saltOf("artist"));
      await commitRegistration(reg, stranger, saltOf("thief"));
      await ageCommitment();
      await registry.write.register([reg, saltOf("artist")], { account: artist.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([{ ...reg, title: "Stolen" }, saltOf("thief")], { account: stranger.account }),
        registry,
        "TrackAlreadyRegistered",
        [reg.contentHash, getAddress(artist.account.address)],
      );
    });

    it("reverts a reveal before the minimum age, naming when it becomes revealable", async () => {
      const { registry, artist, commitRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      const commitment = await commitRegistration(reg, artist, saltOf("a"));
      const revealableAt = (await registry.read.commitmentTime([commitment])) + BigInt(COMMIT_AGES.min);
      await networkHelpers.time.setNextBlockTimestamp(revealableAt - 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([reg, saltOf("a")], { account: artist.account }),
        registry,
        "TrackCommitmentTooNew",
        [commitment, revealableAt],
      );
      await networkHelpers.time.setNextBlockTimestamp(revealableAt);
      await registry.write.register([reg, saltOf("a")], { account: artist.account });
    });

    it("reverts a reveal after the maximum age, naming when it expired", async () => {
      const { registry, artist, commitRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      const commitment = await commitRegistration(reg, artist, saltOf("a"));
      const expiredAt = (await registry.read.commitmentTime([commitment])) + BigInt(COMMIT_AGES.max);
      await networkHelpers.time.setNextBlockTimestamp(expiredAt + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([reg, saltOf("a")], { account: artist.account }),
        registry,
        "TrackCommitmentExpired",
        [commitment, expiredAt],
      );
    });

    it("reverts with a wrong salt, and when the commitment was already used", async () => {
      const { registry, artist, registerTrack } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([reg, saltOf("wrong")], { account: artist.account }),
        registry,
        "TrackCommitmentNotFound",
        [commitmentOf(reg.contentHash, artist.account.address, saltOf("wrong"))],
      );
      await registerTrack(reg, artist, saltOf("a"));
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([reg, saltOf("a")], { account: artist.account }),
        registry,
        "TrackCommitmentNotFound",
        [commitmentOf(reg.contentHash, artist.account.address, saltOf("a"))],
      );
    });

    it("reverts on a zero content hash and a zero size", async () => {
      const { registry, artist, commitRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const zero = sampleRegistration("a", { contentHash: zeroHash });
      const empty = sampleRegistration("b", { size: 0n });
      await commitRegistration(zero, artist, saltOf("z"));
      await commitRegistration(empty, artist, saltOf("e"));
      await ageCommitment();
      await viem.assertions.revertWithCustomError(
        registry.write.register([zero, saltOf("z")], { account: artist.account }),
        registry,
        "TrackZeroContentHash",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([empty, saltOf("e")], { account: artist.account }),
        registry,
        "TrackZeroSize",
        [empty.contentHash],
      );
    });
  });

  describe("lookups", () => {
    it("getTrack reverts for an unknown hash; artistOf and isRegistered answer zero and false", async () => {
      const { registry } = await networkHelpers.loadFixture(fixture);
      const { contentHash } = sampleRegistration("unknown");
      await viem.assertions.revertWithCustomErrorWithArgs(registry.read.getTrack([contentHash]), registry, "TrackNotRegistered", [contentHash]);
      assert.equal(await registry.read.artistOf([contentHash]), zeroAddress);
      assert.equal(await registry.read.isRegistered([contentHash]), false);
    });
  });

  describe("registerWithSig (relayed reveal)", () => {
    const inAnHour = () => BigInt(Math.floor(Date.now() / 1000) + 3600);

    it("registers for the signing artist when the relayer committed and revealed, paying all the gas", async () => {
      const { registry, artist, relayer, signRegistration, commitRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("relayed");
      const salt = saltOf("relayed");
      await commitRegistration(reg, artist, salt, relayer);
      await ageCommitment();
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      await viem.assertions.emitWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, salt, deadline, signature], { account: relayer.account }),
        registry,
        "TrackRegistered",
        [reg.contentHash, artist.account.address, reg.manifestRoot, reg.size, reg.duration, reg.title, reg.artistName, reg.album, reg.metadataURI],
      );
      assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(artist.account.address));
    });

    it("reverts without a commitment for the signing artist, and before it is old enough", async () => {
      const { registry, artist, relayer, signRegistration, commitRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("relayed");
      const salt = saltOf("relayed");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      const commitment = commitmentOf(reg.contentHash, artist.account.address, salt);
      const args = [reg, artist.account.address, salt, deadline, signature] as const;
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig(args, { account: relayer.account }),
        registry,
        "TrackCommitmentNotFound",
        [commitment],
      );
      await commitRegistration(reg, artist, salt, relayer);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig(args, { account: relayer.account }),
        registry,
        "TrackCommitmentTooNew",
        [commitment, (await registry.read.commitmentTime([commitment])) + BigInt(COMMIT_AGES.min)],
      );
    });

    it("reverts when a used signature is replayed", async () => {
      const { registry, artist, relayer, signRegistration, commitRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("relayed");
      const salt = saltOf("relayed");
      await commitRegistration(reg, artist, salt, relayer);
      await ageCommitment();
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      const args = [reg, artist.account.address, salt, deadline, signature] as const;
      await registry.write.registerWithSig(args, { account: relayer.account });
      await commitRegistration(reg, artist, salt, relayer);
      await ageCommitment();
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig(args, { account: relayer.account }),
        registry,
        "TrackAlreadyRegistered",
        [reg.contentHash, getAddress(artist.account.address)],
      );
    });

    it("reverts when the deadline has passed", async () => {
      const { registry, artist, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("late");
      const deadline = BigInt(await networkHelpers.time.latest()) + 60n;
      const signature = await signRegistration(reg, { deadline });
      await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, saltOf("late"), deadline, signature], { account: relayer.account }),
        registry,
        "TrackSignatureExpired",
        [deadline, deadline + 1n],
      );
    });

    it("reverts when signed for another chain, by someone else, or with an altered field", async () => {
      const { registry, artist, stranger, relayer, signRegistration, chainId } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("sig");
      const deadline = inAnHour();
      const bad = [
        { reg, signature: await signRegistration(reg, { deadline, chainId: chainId + 1 }) },
        { reg, signature: await signRegistration(reg, { deadline, signer: stranger, artist: artist.account.address }) },
        { reg: { ...reg, title: "Relayer's title" }, signature: await signRegistration(reg, { deadline }) },
      ];
      for (const { reg: r, signature } of bad) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          registry.write.registerWithSig([r, artist.account.address, saltOf("sig"), deadline, signature], { account: relayer.account }),
          registry,
          "TrackInvalidSignature",
          [artist.account.address],
        );
      }
    });

    it("reverts for a signature made before the artist invalidated their nonce", async () => {
      const { registry, artist, relayer, signRegistration, commitRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("cancelled");
      await commitRegistration(reg, artist, saltOf("c"), relayer);
      await ageCommitment();
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      await viem.assertions.emitWithArgs(registry.write.invalidateNonce({ account: artist.account }), registry, "NonceInvalidated", [
        artist.account.address,
        0n,
      ]);
      assert.equal(await registry.read.nonces([artist.account.address]), 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, saltOf("c"), deadline, signature], { account: relayer.account }),
        registry,
        "TrackInvalidSignature",
        [artist.account.address],
      );
    });

    it("accepts an ERC-1271 contract wallet's signature", async () => {
      const { registry, artist, relayer, signRegistration, ageCommitment } = await networkHelpers.loadFixture(fixture);
      const wallet = await viem.deployContract("MockSmartWallet", [artist.account.address]);
      const reg = sampleRegistration("smart-wallet");
      const salt = saltOf("smart-wallet");
      await registry.write.commit([commitmentOf(reg.contentHash, wallet.address, salt)], { account: relayer.account });
      await ageCommitment();
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline, artist: wallet.address });
      await registry.write.registerWithSig([reg, wallet.address, salt, deadline, signature], { account: relayer.account });
      assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(wallet.address));
    });
  });

  describe("governance", () => {
    it("lets only the owner set the commit ages, within 1 <= min < max <= 30 days", async () => {
      const { registry, owner, stranger } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.emitWithArgs(registry.write.setCommitAges([12, 3600], { account: owner.account }), registry, "CommitAgesUpdated", [
        12, 3600,
      ]);
      assert.equal(await registry.read.minCommitAge(), 12);
      assert.equal(await registry.read.maxCommitAge(), 3600);
      const ceiling = await registry.read.MAX_COMMIT_AGE_CEILING();
      for (const [min, max] of [
        [0, 3600],
        [60, 60],
        [60, ceiling + 1],
      ] as const) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          registry.write.setCommitAges([min, max], { account: owner.account }),
          registry,
          "TrackInvalidCommitAges",
          [min, max],
        );
      }
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.setCommitAges([12, 3600], { account: stranger.account }),
        registry,
        "OwnableUnauthorizedAccount",
        [getAddress(stranger.account.address)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract("TrackRegistry", [owner.account.address, 0, 60]),
        registry,
        "TrackInvalidCommitAges",
        [0, 60],
      );
    });

    it("reassigns a stolen track to its artist after a dispute, with an event", async () => {
      const { registry, owner, artist, stranger, registerTrack } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("stolen");
      await registerTrack(reg, stranger);
      const disputeRef = keccak256(stringToHex("dispute #7"));
      await viem.assertions.emitWithArgs(
        registry.write.reassignArtist([reg.contentHash, artist.account.address, disputeRef], { account: owner.account }),
        registry,
        "ArtistReassigned",
        [reg.contentHash, getAddress(stranger.account.address), getAddress(artist.account.address), disputeRef],
      );
      assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(artist.account.address));
      assert.equal((await registry.read.getTrack([reg.contentHash])).size, reg.size);
    });

    it("reverts a reassignment by anyone but the owner, of an unknown track, to zero or to the same artist", async () => {
      const { registry, owner, artist, stranger, registerTrack } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("disputed");
      await registerTrack(reg, stranger);
      const as = { account: owner.account };
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.reassignArtist([reg.contentHash, artist.account.address, zeroHash], { account: stranger.account }),
        registry,
        "OwnableUnauthorizedAccount",
        [getAddress(stranger.account.address)],
      );
      const unknown = sampleRegistration("unknown").contentHash;
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.reassignArtist([unknown, artist.account.address, zeroHash], as),
        registry,
        "TrackNotRegistered",
        [unknown],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.reassignArtist([reg.contentHash, zeroAddress, zeroHash], as),
        registry,
        "TrackZeroArtist",
        [reg.contentHash],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.reassignArtist([reg.contentHash, stranger.account.address, zeroHash], as),
        registry,
        "TrackArtistUnchanged",
        [reg.contentHash, getAddress(stranger.account.address)],
      );
    });
  });

  it("exposes the EIP-712 domain separator of this chain and contract", async () => {
    const { registry, chainId } = await networkHelpers.loadFixture(fixture);
    const expected = hashDomain({
      domain: { name: "DCMX TrackRegistry", version: "1", chainId: BigInt(chainId), verifyingContract: registry.address },
      types: {
        EIP712Domain: [
          { name: "name", type: "string" },
          { name: "version", type: "string" },
          { name: "chainId", type: "uint256" },
          { name: "verifyingContract", type: "address" },
        ],
      },
    });
    assert.equal(await registry.read.DOMAIN_SEPARATOR(), expected);
  });
});
