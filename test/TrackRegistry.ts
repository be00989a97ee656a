import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, hashDomain, zeroAddress, zeroHash } from "viem";
import { deployMusic } from "./helpers/fixtures.ts";
import { sampleRegistration } from "./helpers/music.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const fixture = () => deployMusic(connection);

describe("TrackRegistry", () => {
  describe("register", () => {
    it("stores the track and emits every field for indexers", async () => {
      const { registry, artist } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      await viem.assertions.emitWithArgs(registry.write.register([reg], { account: artist.account }), registry, "TrackRegistered", [
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
    });

    it("reverts when the content hash is already registered, even by someone else", async () => {
      const { registry, artist, stranger } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a");
      await registry.write.register([reg], { account: artist.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([{ ...reg, title: "Stolen" }], { account: stranger.account }),
        registry,
        "TrackAlreadyRegistered",
        [reg.contentHash, artist.account.address],
      );
    });

    it("reverts on a zero content hash", async () => {
      const { registry, artist } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomError(
        registry.write.register([sampleRegistration("a", { contentHash: zeroHash })], { account: artist.account }),
        registry,
        "TrackZeroContentHash",
      );
    });

    it("reverts on a zero size", async () => {
      const { registry, artist } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("a", { size: 0n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([reg], { account: artist.account }),
        registry,
        "TrackZeroSize",
        [reg.contentHash],
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

  describe("registerWithSig", () => {
    const inAnHour = () => BigInt(Math.floor(Date.now() / 1000) + 3600);

    it("registers for the signing artist while the relayer pays the gas", async () => {
      const { registry, artist, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("relayed");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      await viem.assertions.emitWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, deadline, signature], { account: relayer.account }),
        registry,
        "TrackRegistered",
        [reg.contentHash, artist.account.address, reg.manifestRoot, reg.size, reg.duration, reg.title, reg.artistName, reg.album, reg.metadataURI],
      );
      assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(artist.account.address));
    });

    it("reverts when a used signature is replayed", async () => {
      const { registry, artist, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("relayed");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      const args = [reg, artist.account.address, deadline, signature] as const;
      await registry.write.registerWithSig(args, { account: relayer.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig(args, { account: relayer.account }),
        registry,
        "TrackAlreadyRegistered",
        [reg.contentHash, artist.account.address],
      );
    });

    it("reverts when the deadline has passed", async () => {
      const { registry, artist, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("late");
      const deadline = BigInt(await networkHelpers.time.latest()) + 60n;
      const signature = await signRegistration(reg, { deadline });
      await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, deadline, signature], { account: relayer.account }),
        registry,
        "TrackSignatureExpired",
        [deadline, deadline + 1n],
      );
    });

    it("reverts when signed for another chain", async () => {
      const { registry, artist, relayer, signRegistration, chainId } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("other-chain");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline, chainId: chainId + 1 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, deadline, signature], { account: relayer.account }),
        registry,
        "TrackInvalidSignature",
        [artist.account.address],
      );
    });

    it("reverts when someone other than the artist signed", async () => {
      const { registry, artist, stranger, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("forged");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline, signer: stranger, artist: artist.account.address });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, deadline, signature], { account: relayer.account }),
        registry,
        "TrackInvalidSignature",
        [artist.account.address],
      );
    });

    it("reverts when the relayer alters a signed field", async () => {
      const { registry, artist, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("tampered");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([{ ...reg, title: "Relayer's title" }, artist.account.address, deadline, signature], {
          account: relayer.account,
        }),
        registry,
        "TrackInvalidSignature",
        [artist.account.address],
      );
    });

    it("reverts for a signature made before the artist invalidated their nonce", async () => {
      const { registry, artist, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("cancelled");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline });
      await viem.assertions.emitWithArgs(registry.write.invalidateNonce({ account: artist.account }), registry, "NonceInvalidated", [
        artist.account.address,
        0n,
      ]);
      assert.equal(await registry.read.nonces([artist.account.address]), 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([reg, artist.account.address, deadline, signature], { account: relayer.account }),
        registry,
        "TrackInvalidSignature",
        [artist.account.address],
      );
    });

    it("accepts an ERC-1271 contract wallet's signature", async () => {
      const { registry, artist, relayer, signRegistration } = await networkHelpers.loadFixture(fixture);
      const wallet = await viem.deployContract("MockSmartWallet", [artist.account.address]);
      const reg = sampleRegistration("smart-wallet");
      const deadline = inAnHour();
      const signature = await signRegistration(reg, { deadline, artist: wallet.address });
      await registry.write.registerWithSig([reg, wallet.address, deadline, signature], { account: relayer.account });
      assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(wallet.address));
      // The same signature does not validate for a wallet the signer does not own.
      const other = await viem.deployContract("MockSmartWallet", [relayer.account.address]);
      const reg2 = sampleRegistration("smart-wallet-2");
      const sig2 = await signRegistration(reg2, { deadline, artist: other.address });
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.registerWithSig([reg2, other.address, deadline, sig2], { account: relayer.account }),
        registry,
        "TrackInvalidSignature",
        [other.address],
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
