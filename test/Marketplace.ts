import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, parseEther, zeroAddress } from "viem";
import { deployMusic } from "./helpers/fixtures.ts";
import { tokenIdOf } from "./helpers/music.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;

/** MockERC721.RoyaltyMode */
const Royalty = { None: 0, Fixed: 1, Bps: 2, Empty: 3, Short: 4, Oversized: 5, DirtyAddress: 6, GasGuzzler: 7 } as const;

const PRICE = parseEther("1");

/** An edition with one token (#1) owned by `fan`, who approved the marketplace for all. */
async function listedFixture() {
  const m = await deployMusic(connection);
  const { editionId, params } = await m.releaseEdition();
  await m.editions.write.buy([editionId, 1n], { account: m.fan.account, value: params.price });
  await m.editions.write.setApprovalForAll([m.market.address, true], { account: m.fan.account });
  const tokenId = tokenIdOf(editionId, 1n);
  const expiresAt = (await networkHelpers.time.latest()) + 86_400;
  /** Lists `tokenId` of `fan` at PRICE with no minimum proceeds unless told otherwise. */
  const list = (opts: { nft?: `0x${string}`; token?: bigint; price?: bigint; minProceeds?: bigint; account?: typeof m.fan } = {}) =>
    m.market.write.list([opts.nft ?? m.editions.address, opts.token ?? tokenId, opts.price ?? PRICE, expiresAt, opts.minProceeds ?? 0n], {
      account: (opts.account ?? m.fan).account,
    });
  return { ...m, editionId, tokenId, expiresAt, list };
}

/** `listedFixture` plus a foreign OpenZeppelin ERC-721 whose token #7 `fan` owns and approved the marketplace for. */
async function foreignFixture() {
  const f = await listedFixture();
  const other = await viem.deployContract("MockERC721");
  await other.write.mint([f.fan.account.address, 7n]);
  await other.write.setApprovalForAll([f.market.address, true], { account: f.fan.account });
  return { ...f, other };
}

describe("Marketplace", () => {
  describe("list", () => {
    it("records the listing with the seller's counter, points the token's approval at the witness and emits Listed", async () => {
      const { market, editions, fan, tokenId, expiresAt } = await networkHelpers.loadFixture(listedFixture);
      const minProceeds = parseEther("0.8");
      await viem.assertions.emitWithArgs(
        market.write.list([editions.address, tokenId, PRICE, expiresAt, minProceeds], { account: fan.account }),
        market,
        "Listed",
        [getAddress(editions.address), tokenId, getAddress(fan.account.address), PRICE, minProceeds, expiresAt, 0n],
      );
      assert.deepEqual(await market.read.getListing([editions.address, tokenId]), {
        seller: getAddress(fan.account.address),
        price: PRICE,
        minProceeds,
        expiresAt,
        counter: 0n,
      });
      assert.equal(await editions.read.getApproved([tokenId]), await market.read.witness());
    });

    it("reverts for a caller who does not own the token", async () => {
      const { market, editions, stranger, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(list({ account: stranger }), market, "MarketplaceNotOwner", [
        getAddress(editions.address),
        tokenId,
        getAddress(stranger.account.address),
      ]);
    });

    it("reverts without an approval for all, even with a single-token approval", async () => {
      const { market, editions, fan, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await editions.write.setApprovalForAll([market.address, false], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(list(), market, "MarketplaceNotApproved", [getAddress(editions.address), tokenId]);
      await editions.write.approve([market.address, tokenId], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(list(), market, "MarketplaceNotApproved", [getAddress(editions.address), tokenId]);
    });

    it("reverts on a zero price, minimum proceeds above the price and an expiry that is not in the future", async () => {
      const { market, editions, fan, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomError(list({ price: 0n }), market, "MarketplaceZeroPrice");
      await viem.assertions.revertWithCustomErrorWithArgs(list({ minProceeds: PRICE + 1n }), market, "MarketplaceMinProceedsAbovePrice", [
        PRICE + 1n,
        PRICE,
      ]);
      const past = (await networkHelpers.time.latest()) - 1;
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.list([editions.address, tokenId, PRICE, past, 0n], { account: fan.account }),
        market,
        "MarketplaceInvalidExpiry",
        [past],
      );
    });
  });

  describe("cancel", () => {
    it("removes the listing for the seller only", async () => {
      const { market, editions, fan, stranger, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.cancel([editions.address, tokenId], { account: fan.account }),
        market,
        "MarketplaceNotListed",
        [getAddress(editions.address), tokenId],
      );
      await list();
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

  describe("incrementCounter", () => {
    it("voids all of the seller's listings at once; a listing made afterwards carries the new counter", async () => {
      const { market, editions, fan, collector, tokenId, other, list } = await networkHelpers.loadFixture(foreignFixture);
      await list();
      await list({ nft: other.address, token: 7n });
      await viem.assertions.emitWithArgs(market.write.incrementCounter({ account: fan.account }), market, "CounterIncremented", [
        getAddress(fan.account.address),
        1n,
      ]);
      assert.equal(await market.read.counterOf([fan.account.address]), 1n);
      for (const [nft, id] of [[editions.address, tokenId], [other.address, 7n]] as const) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          market.write.buy([nft, id], { account: collector.account, value: PRICE }),
          market,
          "MarketplaceListingCounterStale",
          [getAddress(nft), id, 0n, 1n],
        );
      }
      await list();
      assert.equal((await market.read.getListing([editions.address, tokenId])).counter, 1n);
      await market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE });
      assert.equal(await editions.read.ownerOf([tokenId]), getAddress(collector.account.address));
    });
  });

  describe("buy", () => {
    it("pays the 10% royalty to the artist and the rest to the seller, and moves the token", async () => {
      const { market, editions, artist, fan, collector, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await list({ minProceeds: parseEther("0.9") });
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
      const { market, editions, collector, tokenId, expiresAt, list } = await networkHelpers.loadFixture(listedFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceNotListed",
        [getAddress(editions.address), tokenId],
      );
      await list();
      await networkHelpers.time.increaseTo(expiresAt + 1);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceListingExpired",
        [getAddress(editions.address), tokenId, expiresAt],
      );
    });

    it("reverts unless exactly the listed price is paid", async () => {
      const { market, editions, collector, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await list();
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE + 1n }),
        market,
        "MarketplaceWrongPayment",
        [PRICE, PRICE + 1n],
      );
    });

    it("refuses a stale listing once the token has moved", async () => {
      const { market, editions, fan, collector, stranger, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await list();
      await editions.write.transferFrom([fan.account.address, stranger.account.address, tokenId], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceStaleListing",
        [getAddress(editions.address), tokenId, getAddress(fan.account.address), getAddress(stranger.account.address)],
      );
    });

    it("refuses a listing whose token left the seller and came back (transferFrom and safeTransferFrom)", async () => {
      const { market, editions, fan, collector, stranger, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      const roundTrips = [
        async () => {
          await editions.write.transferFrom([fan.account.address, stranger.account.address, tokenId], { account: fan.account });
          await editions.write.transferFrom([stranger.account.address, fan.account.address, tokenId], { account: stranger.account });
        },
        async () => {
          await editions.write.safeTransferFrom([fan.account.address, stranger.account.address, tokenId], { account: fan.account });
          await editions.write.safeTransferFrom([stranger.account.address, fan.account.address, tokenId], { account: stranger.account });
        },
      ];
      for (const roundTrip of roundTrips) {
        await list({ price: 1n });
        await roundTrip();
        await viem.assertions.revertWithCustomErrorWithArgs(
          market.write.buy([editions.address, tokenId], { account: collector.account, value: 1n }),
          market,
          "MarketplaceListingWitnessCleared",
          [getAddress(editions.address), tokenId, zeroAddress],
        );
      }
    });

    it("sells a batch-minted edition token, and refuses it once it left the seller and came back", async () => {
      const { market, editions, editionId, collector, stranger, list } = await networkHelpers.loadFixture(listedFixture);
      const { price } = await editions.read.getEdition([editionId]);
      // stranger buys serials 2..4 in one purchase: serials 3 and 4 resolve their owner through the batch head.
      await editions.write.buy([editionId, 3n], { account: stranger.account, value: price * 3n });
      await editions.write.setApprovalForAll([market.address, true], { account: stranger.account });
      const [third, fourth] = [tokenIdOf(editionId, 3n), tokenIdOf(editionId, 4n)];

      await list({ token: third, account: stranger });
      await market.write.buy([editions.address, third], { account: collector.account, value: PRICE });
      assert.equal(await editions.read.ownerOf([third]), getAddress(collector.account.address));

      await list({ token: fourth, account: stranger });
      await editions.write.transferFrom([stranger.account.address, collector.account.address, fourth], { account: stranger.account });
      await editions.write.transferFrom([collector.account.address, stranger.account.address, fourth], { account: collector.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, fourth], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceListingWitnessCleared",
        [getAddress(editions.address), fourth, zeroAddress],
      );
    });

    it("refuses a foreign ERC-721 listing whose token left and came back, or was burned and minted to the seller again", async () => {
      const { market, fan, collector, stranger, other, list } = await networkHelpers.loadFixture(foreignFixture);
      const roundTrips = [
        async () => {
          await other.write.transferFrom([fan.account.address, stranger.account.address, 7n], { account: fan.account });
          await other.write.safeTransferFrom([stranger.account.address, fan.account.address, 7n], { account: stranger.account });
        },
        async () => {
          await other.write.burn([7n]);
          await other.write.mint([fan.account.address, 7n]);
        },
      ];
      for (const roundTrip of roundTrips) {
        await list({ nft: other.address, token: 7n, price: 1n });
        await roundTrip();
        await viem.assertions.revertWithCustomErrorWithArgs(
          market.write.buy([other.address, 7n], { account: collector.account, value: 1n }),
          market,
          "MarketplaceListingWitnessCleared",
          [getAddress(other.address), 7n, zeroAddress],
        );
      }
    });

    it("sells a returned token again only after its owner lists it anew, at the new terms", async () => {
      const { market, editions, fan, collector, stranger, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await list({ price: 1n });
      await editions.write.transferFrom([fan.account.address, stranger.account.address, tokenId], { account: fan.account });
      await editions.write.transferFrom([stranger.account.address, fan.account.address, tokenId], { account: stranger.account });
      await list({ price: PRICE });
      assert.equal((await market.read.getListing([editions.address, tokenId])).price, PRICE);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: 1n }),
        market,
        "MarketplaceWrongPayment",
        [PRICE, 1n],
      );
      await market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE });
      assert.equal(await editions.read.ownerOf([tokenId]), getAddress(collector.account.address));
    });

    it("refuses a listing whose approval for all was revoked", async () => {
      const { market, editions, fan, collector, tokenId, list } = await networkHelpers.loadFixture(listedFixture);
      await list();
      await editions.write.setApprovalForAll([market.address, false], { account: fan.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([editions.address, tokenId], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceNotApproved",
        [getAddress(editions.address), tokenId],
      );
    });

    it("refuses a sale once the collection's admin raises the royalty into the seller's minimum proceeds", async () => {
      const { market, fan, collector, stranger, other, list } = await networkHelpers.loadFixture(foreignFixture);
      await other.write.setRoyalty([Royalty.Bps, stranger.account.address, 500n]);
      await list({ nft: other.address, token: 7n, minProceeds: parseEther("0.95") });
      // Just before the purchase the admin raises the royalty to 100%.
      await other.write.setRoyalty([Royalty.Bps, stranger.account.address, 10_000n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([other.address, 7n], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceProceedsBelowMinimum",
        [getAddress(other.address), 7n, 0n, parseEther("0.95")],
      );
      await other.write.setRoyalty([Royalty.Bps, stranger.account.address, 500n]);
      await viem.assertions.balancesHaveChanged(market.write.buy([other.address, 7n], { account: collector.account, value: PRICE }), [
        { address: fan.account.address, amount: parseEther("0.95") },
        { address: stranger.account.address, amount: parseEther("0.05") },
      ]);
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
      await call(market.address, encodeFunctionData({ abi: market.abi, functionName: "list", args: [editions.address, tokenId, PRICE, expiresAt, 0n] }));
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

    it("sells without a royalty when royaltyInfo reverts, returns empty, short or oversized data, a dirty address or burns its gas", async () => {
      const { market, fan, collector, stranger, other } = await networkHelpers.loadFixture(foreignFixture);
      const expiresAt = (await networkHelpers.time.latest()) + 3600;
      const broken = [Royalty.None, Royalty.Empty, Royalty.Short, Royalty.Oversized, Royalty.DirtyAddress, Royalty.GasGuzzler];
      for (const [i, mode] of broken.entries()) {
        const id = 100n + BigInt(i);
        await other.write.mint([fan.account.address, id]);
        await other.write.setRoyalty([mode, stranger.account.address, PRICE / 2n]);
        await market.write.list([other.address, id, PRICE, expiresAt, PRICE], { account: fan.account });
        await viem.assertions.balancesHaveChanged(market.write.buy([other.address, id], { account: collector.account, value: PRICE }), [
          { address: fan.account.address, amount: PRICE },
          { address: stranger.account.address, amount: 0n },
        ]);
      }
    });

    it("refuses a collection claiming a royalty above the price, and pays none to a zero receiver", async () => {
      const { market, fan, collector, stranger, other, list } = await networkHelpers.loadFixture(foreignFixture);
      await other.write.setRoyalty([Royalty.Fixed, stranger.account.address, PRICE + 1n]);
      await list({ nft: other.address, token: 7n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        market.write.buy([other.address, 7n], { account: collector.account, value: PRICE }),
        market,
        "MarketplaceRoyaltyExceedsPrice",
        [PRICE + 1n, PRICE],
      );
      await other.write.setRoyalty([Royalty.Fixed, zeroAddress, 5n]);
      await viem.assertions.balancesHaveChanged(market.write.buy([other.address, 7n], { account: collector.account, value: PRICE }), [
        { address: fan.account.address, amount: PRICE },
      ]);
    });
  });
});
