import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, parseEther, zeroAddress } from "viem";
import { deployMusic } from "./helpers/fixtures.ts";
import { tokenIdOf } from "./helpers/music.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

/** An edition with one token (#1) owned by `fan`, who approved the marketplace for all. */
async function listedFixture() {
  const m = await deployMusic(connection);
  const { editionId, params } = await m.releaseEdition();
  await m.editions.write.buy([editionId, 1n], { account: m.fan.account, value: params.price });
  await m.editions.write.setApprovalForAll([m.market.address, true], { account: m.fan.account });
  const tokenId = tokenIdOf(editionId, 1n);
  const expiresAt = (await networkHelpers.time.latest()) + 86_400;
  return { ...m, tokenId, expiresAt };
}

const PRICE = parseEther("1");

describe("Marketplace", () => {
  describe("list", () => {
    it("records the listing and emits Listed", async () => {
      const { market, editions, fan, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.emitWithArgs(
        market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account }),
        market,
        "Listed",
        [getAddress(editions.address), tokenId, getAddress(fan.account.address), PRICE, expiresAt],
      );
      assert.deepEqual(await market.read.getListing([editions.address, tokenId]), {
        seller: getAddress(fan.account.address),
        price: PRICE,
        expiresAt,
      });
    });

    it("reverts for a caller who does not own the token", async () => {
      const { market, editions, stranger, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: stranger.account }),
        market,
        "MarketplaceNotOwner",
        [getAddress(editions.address), tokenId, getAddress(stranger.account.address)],
      );
    });

    it("reverts until the marketplace is approved, and accepts a single-token approval", async () => {
      const { market, editions, fan, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await editions.write.setApprovalForAll([market.address, false], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account }),
        market,
        "MarketplaceNotApproved",
        [getAddress(editions.address), tokenId],
      );
      await editions.write.approve([market.address, tokenId], { account: fan.account });
      await market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account });
    });

    it("reverts on a zero price and an expiry that is not in the future", async () => {
      const { market, editions, fan, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomError(
        market.write.list([editions.address, tokenId, 0n, expiresAt], { account: fan.account }),
        market,
        "MarketplaceZeroPrice",
      );
      const past = (await networkHelpers.time.latest()) - 1;
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.list([editions.address, tokenId, PRICE, past], { account: fan.account }),
        market,
        "MarketplaceInvalidExpiry",
        [past],
      );
    });
  });

  describe("cancel", () => {
    it("removes the listing for the seller only", async () => {
      const { market, editions, fan, stranger, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.cancel([editions.address, tokenId], { account: fan.account }),
        market,
        "MarketplaceNotListed",
        [getAddress(editions.address), tokenId],
      );
      await market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.cancel([editions.address, tokenId], { account: stranger.account }),
        market,
        "MarketplaceNotSeller",
        [getAddress(stranger.account.address), getAddress(fan.account.address)],
      );
      await viem.assertions.emitWithArgs(market.write.cancel([editions.address, tokenId], { account: fan.account }), market, "ListingCancelled", [
        getAddress(editions.address),
        tokenId,
        getAddress(fan.account.address),
      ]);
      assert.equal((await market.read.getListing([editions.address, tokenId])).seller, zeroAddress);
    });
  });

  describe("buy", () => {
    it("pays the 10% royalty to the artist and the rest to the seller, and moves the token", async () => {
      const { market, editions, artist, fan, collector, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account });
      const tx = market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: artist.account.address, amount: parseEther("0.1") },
        { address: fan.account.address, amount: parseEther("0.9") },
        { address: collector.account.address, amount: -PRICE },
      ]);
      await viem.assertions.emitWithArgs(tx, market, "Sold", [
        getAddress(editions.address),
        tokenId,
        getAddress(collector.account.address),
        getAddress(fan.account.address),
        PRICE,
        getAddress(artist.account.address),
        parseEther("0.1"),
      ]);
      assert.equal(await editions.read.ownerOf([tokenId]), getAddress(collector.account.address));
      assert.equal((await market.read.getListing([editions.address, tokenId])).seller, zeroAddress);
    });

    it("reverts for an unlisted token and after the listing expires", async () => {
      const { market, editions, fan, collector, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceNotListed",
        [getAddress(editions.address), tokenId],
      );
      await market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account });
      await networkHelpers.time.increaseTo(expiresAt + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceListingExpired",
        [getAddress(editions.address), tokenId, expiresAt],
      );
    });

    it("reverts unless exactly the listed price is paid", async () => {
      const { market, editions, fan, collector, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE + 1n }),
        market,
        "MarketplaceWrongPayment",
        [PRICE, PRICE + 1n],
      );
    });

    it("refuses a stale listing once the token has moved", async () => {
      const { market, editions, fan, collector, stranger, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account });
      await editions.write.transferFrom([fan.account.address, stranger.account.address, tokenId], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceStaleListing",
        [getAddress(editions.address), tokenId, getAddress(fan.account.address), getAddress(stranger.account.address)],
      );
    });

    it("refuses a listing whose approval was revoked", async () => {
      const { market, editions, fan, collector, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      await market.write.list([editions.address, tokenId, PRICE, expiresAt], { account: fan.account });
      await editions.write.setApprovalForAll([market.address, false], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceNotApproved",
        [getAddress(editions.address), tokenId],
      );
    });

    it("completes the sale when a recipient refuses ETH, crediting it for withdrawal", async () => {
      const { market, editions, artist, collector, releaseEdition } = await networkHelpers.loadFixture(listedFixture);
      // The seller is a contract wallet that refuses ETH pushes.
      const wallet = await viem.deployContract("MockSmartWallet", [collector.account.address]);
      const { editionId, params } = await releaseEdition("wallet-track");
      const call = (to: `0x${string}`, data: `0x${string}`, value = 0n) =>
        wallet.write.execute([to, value, data], { account: collector.account, value });
      await call(editions.address, encodeFunctionData({ abi: editions.abi, functionName: "buy", args: [editionId, 1n] }), params.price);
      const tokenId = tokenIdOf(editionId, 1n);
      await call(editions.address, encodeFunctionData({ abi: editions.abi, functionName: "setApprovalForAll", args: [market.address, true] }));
      const expiresAt = (await networkHelpers.time.latest()) + 3600;
      await call(market.address, encodeFunctionData({ abi: market.abi, functionName: "list", args: [editions.address, tokenId, PRICE, expiresAt] }));
      await wallet.write.setRejectPayments([true], { account: collector.account });

      const tx = market.write.buy([editions.address, tokenId], { account: artist.account, value: PRICE });
      await viem.assertions.emitWithArgs(tx, market, "PaymentDeferred", [getAddress(wallet.address), parseEther("0.9")]);
      assert.equal(await editions.read.ownerOf([tokenId]), getAddress(artist.account.address));
      assert.equal(await market.read.creditsOf([wallet.address]), parseEther("0.9"));

      const withdrawData = encodeFunctionData({ abi: market.abi, functionName: "withdraw", args: [wallet.address] });
      await viem.assertions.revertWithCustomErrorWithArgs(call(market.address, withdrawData), market, "MarketplaceWithdrawFailed", [
        getAddress(wallet.address),
        parseEther("0.9"),
      ]);
      const toOwner = encodeFunctionData({ abi: market.abi, functionName: "withdraw", args: [collector.account.address] });
      const withdrawal = call(market.address, toOwner);
      await viem.assertions.balancesHaveChanged(withdrawal, [{ address: collector.account.address, amount: parseEther("0.9") }]);
      await viem.assertions.emitWithArgs(withdrawal, market, "CreditsWithdrawn", [
        getAddress(wallet.address),
        getAddress(collector.account.address),
        parseEther("0.9"),
      ]);
      assert.equal(await market.read.creditsOf([wallet.address]), 0n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.withdraw([collector.account.address], { account: collector.account }),
        market,
        "MarketplaceNothingToWithdraw",
        [getAddress(collector.account.address)],
      );
    });

    it("sells a collection without ERC-2981 with no royalty, and refuses one claiming more than the price", async () => {
      const { market, fan, collector, stranger } = await networkHelpers.loadFixture(listedFixture);
      const other = await viem.deployContract("MockERC721");
      await other.write.mint([fan.account.address, 7n]);
      await other.write.setApprovalForAll([market.address, true], { account: fan.account });
      const expiresAt = (await networkHelpers.time.latest()) + 3600;
      await market.write.list([other.address, 7n, PRICE, expiresAt], { account: fan.account });
      await viem.assertions.balancesHaveChanged(market.write.buy([other.address, 7n], { account: collector.account, value: PRICE }), [
        { address: fan.account.address, amount: PRICE },
      ]);

      await other.write.mint([fan.account.address, 8n]);
      await other.write.setRoyalty([true, stranger.account.address, PRICE + 1n]);
      await market.write.list([other.address, 8n, PRICE, expiresAt], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([other.address, 8n], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceRoyaltyExceedsPrice",
        [PRICE + 1n, PRICE],
      );
      await other.write.setRoyalty([true, zeroAddress, 5n]);
      await viem.assertions.balancesHaveChanged(market.write.buy([other.address, 8n], { account: collector.account, value: PRICE }), [
        { address: fan.account.address, amount: PRICE },
      ]);
    });
  });
});
