import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, keccak256, parseEther, stringToHex, zeroAddress } from "viem";
import { deployMusic } from "./helpers/fixtures.ts";
import { allowlist, sampleEdition, sampleRegistration, tokenIdOf } from "./helpers/music.ts";

const connection = await network.create();
const { viem, networkHelpers } = connection;
const fixture = () => deployMusic(connection);

function decodeDataURI(uri: string, prefix: string): string {
  assert.ok(uri.startsWith(prefix), `expected ${prefix}, got ${uri.slice(0, 40)}`);
  return Buffer.from(uri.slice(prefix.length), "base64").toString("utf8");
}

describe("Editions", () => {
  describe("createEdition", () => {
    it("stores the terms and emits EditionCreated", async () => {
      const { editions, artist, registerTrack } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("t");
      await registerTrack(reg);
      const params = sampleEdition(reg.contentHash, { saleStart: 100, saleEnd: 2_000_000_000, perWalletCap: 3 });
      await viem.assertions.emitWithArgs(editions.write.createEdition([params], { account: artist.account }), editions, "EditionCreated", [
        1n,
        reg.contentHash,
        getAddress(artist.account.address),
        params.name,
        params.price,
        params.maxSupply,
        params.royaltyBps,
        params.saleStart,
        params.saleEnd,
        params.perWalletCap,
      ]);
      assert.equal(await editions.read.editionCount(), 1n);
      assert.deepEqual(await editions.read.getEdition([1n]), {
        contentHash: reg.contentHash,
        artist: getAddress(artist.account.address),
        price: params.price,
        maxSupply: params.maxSupply,
        minted: 0,
        royaltyBps: params.royaltyBps,
        perWalletCap: 3,
        saleStart: 100,
        saleEnd: 2_000_000_000,
        hasRoyaltyReceiver: false,
        name: params.name,
      });
    });

    it("reverts when the caller is not the track's artist", async () => {
      const { editions, artist, stranger, registerTrack } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("t");
      await registerTrack(reg);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.createEdition([sampleEdition(reg.contentHash)], { account: stranger.account }),
        editions,
        "EditionsNotTrackArtist",
        [reg.contentHash, getAddress(stranger.account.address)],
      );
      const unregistered = sampleRegistration("nope").contentHash;
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.createEdition([sampleEdition(unregistered)], { account: artist.account }),
        editions,
        "EditionsNotTrackArtist",
        [unregistered, getAddress(artist.account.address)],
      );
    });

    it("reverts on a zero supply, an empty name, a royalty above the cap and an inverted sale window", async () => {
      const { editions, artist, registerTrack } = await networkHelpers.loadFixture(fixture);
      const reg = sampleRegistration("t");
      await registerTrack(reg);
      const as = { account: artist.account };
      await viem.assertions.revertWithCustomError(
        editions.write.createEdition([sampleEdition(reg.contentHash, { maxSupply: 0 })], as),
        editions,
        "EditionsZeroSupply",
      );
      await viem.assertions.revertWithCustomError(
        editions.write.createEdition([sampleEdition(reg.contentHash, { name: "" })], as),
        editions,
        "EditionsEmptyName",
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.createEdition([sampleEdition(reg.contentHash, { royaltyBps: 2_501 })], as),
        editions,
        "EditionsRoyaltyTooHigh",
        [2_501, 2_500],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.createEdition([sampleEdition(reg.contentHash, { saleStart: 500, saleEnd: 500 })], as),
        editions,
        "EditionsInvalidSaleWindow",
        [500, 500],
      );
    });
  });

  describe("buy", () => {
    it("mints consecutive numbered serials to the buyer and accrues the proceeds to the artist", async () => {
      const { editions, artist, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      const first = tokenIdOf(editionId, 1n);
      await viem.assertions.emitWithArgs(
        editions.write.buy([editionId, 3n], { account: fan.account, value: params.price * 3n }),
        editions,
        "EditionPurchased",
        [editionId, getAddress(fan.account.address), first, 3n, params.price * 3n],
      );
      for (const serial of [1n, 2n, 3n]) {
        assert.equal(await editions.read.ownerOf([tokenIdOf(editionId, serial)]), getAddress(fan.account.address));
        assert.deepEqual(await editions.read.tokenInfo([tokenIdOf(editionId, serial)]), [editionId, serial]);
      }
      assert.equal(await editions.read.balanceOf([fan.account.address]), 3n);
      assert.equal(await editions.read.proceedsOf([artist.account.address]), params.price * 3n);
      assert.equal((await editions.read.getEdition([editionId])).minted, 3);
      const transfers = await editions.getEvents.Transfer({}, { fromBlock: 0n });
      assert.deepEqual(
        transfers.map((e) => e.args.tokenId),
        [1n, 2n, 3n].map((s) => tokenIdOf(editionId, s)),
      );
    });

    it("keeps owners and balances right when tokens of a batch are transferred", async () => {
      const { editions, fan, collector, stranger, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      await editions.write.buy([editionId, 5n], { account: fan.account, value: params.price * 5n });
      await editions.write.buy([editionId, 2n], { account: stranger.account, value: params.price * 2n });
      await editions.write.transferFrom([fan.account.address, collector.account.address, tokenIdOf(editionId, 3n)], {
        account: fan.account,
      });
      await editions.write.transferFrom([fan.account.address, collector.account.address, tokenIdOf(editionId, 1n)], {
        account: fan.account,
      });
      const owners = await Promise.all([1n, 2n, 3n, 4n, 5n, 6n, 7n].map((s) => editions.read.ownerOf([tokenIdOf(editionId, s)])));
      const [f, c, s] = [fan, collector, stranger].map((w) => getAddress(w.account.address));
      assert.deepEqual(owners, [c, f, c, f, f, s, s]);
      assert.equal(await editions.read.balanceOf([fan.account.address]), 3n);
      assert.equal(await editions.read.balanceOf([collector.account.address]), 2n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.read.ownerOf([tokenIdOf(editionId, 8n)]),
        editions,
        "ERC721NonexistentToken",
        [tokenIdOf(editionId, 8n)],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.read.ownerOf([tokenIdOf(editionId, 0n)]),
        editions,
        "ERC721NonexistentToken",
        [tokenIdOf(editionId, 0n)],
      );
    });

    it("reverts for an unknown edition", async () => {
      const { editions, fan } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([7n, 1n], { account: fan.account }),
        editions,
        "EditionNotFound",
        [7n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(editions.read.getEdition([7n]), editions, "EditionNotFound", [7n]);
    });

    it("reverts for a quantity of zero or above the per-purchase maximum", async () => {
      const { editions, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId } = await releaseEdition("t", { price: 0n });
      for (const q of [0n, 21n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          editions.write.buy([editionId, q], { account: fan.account }),
          editions,
          "EditionInvalidQuantity",
          [q, 20n],
        );
      }
    });

    it("reverts when the edition is sold out, naming what is left", async () => {
      const { editions, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition("t", { maxSupply: 4 });
      await editions.write.buy([editionId, 3n], { account: fan.account, value: params.price * 3n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 2n], { account: fan.account, value: params.price * 2n }),
        editions,
        "EditionSoldOut",
        [editionId, 1n],
      );
      await editions.write.buy([editionId, 1n], { account: fan.account, value: params.price });
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 1n], { account: fan.account, value: params.price }),
        editions,
        "EditionSoldOut",
        [editionId, 0n],
      );
    });

    it("reverts before the sale opens and after it closes", async () => {
      const { editions, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const now = await networkHelpers.time.latest();
      const { editionId, params } = await releaseEdition("t", { saleStart: now + 100, saleEnd: now + 200 });
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 1n], { account: fan.account, value: params.price }),
        editions,
        "EditionSaleNotStarted",
        [editionId, now + 100],
      );
      await networkHelpers.time.increaseTo(now + 100);
      await editions.write.buy([editionId, 1n], { account: fan.account, value: params.price });
      await networkHelpers.time.increaseTo(now + 200);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 1n], { account: fan.account, value: params.price }),
        editions,
        "EditionSaleEnded",
        [editionId, now + 200],
      );
    });

    it("reverts unless exactly price x quantity is paid", async () => {
      const { editions, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      for (const value of [params.price, params.price * 2n + 1n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          editions.write.buy([editionId, 2n], { account: fan.account, value }),
          editions,
          "EditionWrongPayment",
          [params.price * 2n, value],
        );
      }
    });

    it("enforces the per-wallet cap across purchases", async () => {
      const { editions, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition("t", { perWalletCap: 3 });
      await editions.write.buy([editionId, 2n], { account: fan.account, value: params.price * 2n });
      assert.equal(await editions.read.purchasedBy([editionId, fan.account.address]), 2n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 2n], { account: fan.account, value: params.price * 2n }),
        editions,
        "EditionWalletCapExceeded",
        [editionId, getAddress(fan.account.address), 3],
      );
      await editions.write.buy([editionId, 1n], { account: fan.account, value: params.price });
    });
  });

  describe("withdraw", () => {
    it("pays the artist their proceeds once", async () => {
      const { editions, artist, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      await editions.write.buy([editionId, 2n], { account: fan.account, value: params.price * 2n });
      const tx = editions.write.withdraw({ account: artist.account });
      await viem.assertions.balancesHaveChanged(tx, [{ address: artist.account.address, amount: params.price * 2n }]);
      await viem.assertions.emitWithArgs(tx, editions, "ProceedsWithdrawn", [
        getAddress(artist.account.address),
        getAddress(artist.account.address),
        params.price * 2n,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.withdraw({ account: artist.account }),
        editions,
        "EditionsNothingToWithdraw",
        [getAddress(artist.account.address)],
      );
    });

    it("withdrawTo sends elsewhere, and reverts keeping the credit when the recipient refuses", async () => {
      const { editions, artist, fan, collector, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      await editions.write.buy([editionId, 1n], { account: fan.account, value: params.price });
      const refusing = await viem.deployContract("MockSmartWallet", [collector.account.address]);
      await refusing.write.setRejectPayments([true], { account: collector.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.withdrawTo([refusing.address], { account: artist.account }),
        editions,
        "EditionsWithdrawFailed",
        [getAddress(refusing.address), params.price],
      );
      assert.equal(await editions.read.proceedsOf([artist.account.address]), params.price);
      await viem.assertions.balancesHaveChanged(editions.write.withdrawTo([collector.account.address], { account: artist.account }), [
        { address: collector.account.address, amount: params.price },
      ]);
    });
  });

  describe("governance parameters", () => {
    it("splits the protocol fee to the treasury once one is set", async () => {
      const { editions, owner, artist, fan, treasury, releaseEdition } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.revertWithCustomError(editions.write.setProtocolFee([250], { account: owner.account }), editions, "EditionsNoTreasury");
      await viem.assertions.emitWithArgs(
        editions.write.setTreasury([treasury.account.address], { account: owner.account }),
        editions,
        "TreasuryUpdated",
        [getAddress(treasury.account.address)],
      );
      await viem.assertions.emitWithArgs(editions.write.setProtocolFee([250], { account: owner.account }), editions, "ProtocolFeeUpdated", [250]);
      assert.equal(await editions.read.protocolFeeBps(), 250);
      assert.equal(await editions.read.treasury(), getAddress(treasury.account.address));
      const { editionId } = await releaseEdition("t", { price: parseEther("1") });
      await editions.write.buy([editionId, 2n], { account: fan.account, value: parseEther("2") });
      assert.equal(await editions.read.proceedsOf([treasury.account.address]), parseEther("0.05"));
      assert.equal(await editions.read.proceedsOf([artist.account.address]), parseEther("1.95"));
      await viem.assertions.revertWithCustomError(editions.write.setTreasury([zeroAddress], { account: owner.account }), editions, "EditionsNoTreasury");
    });

    it("reverts a fee above 10% and a royalty cap above 50%", async () => {
      const { editions, owner, treasury } = await networkHelpers.loadFixture(fixture);
      await editions.write.setTreasury([treasury.account.address], { account: owner.account });
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.setProtocolFee([1_001], { account: owner.account }),
        editions,
        "EditionsFeeTooHigh",
        [1_001, 1_000],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.setMaxRoyaltyBps([5_001], { account: owner.account }),
        editions,
        "EditionsRoyaltyCapTooHigh",
        [5_001, 5_000],
      );
    });

    it("lets the owner raise the royalty cap for new editions and change the content gateway", async () => {
      const { editions, owner, releaseEdition } = await networkHelpers.loadFixture(fixture);
      await viem.assertions.emitWithArgs(editions.write.setMaxRoyaltyBps([4_000], { account: owner.account }), editions, "MaxRoyaltyUpdated", [4_000]);
      assert.equal(await editions.read.maxRoyaltyBps(), 4_000);
      await releaseEdition("t", { royaltyBps: 4_000 });
      await viem.assertions.emitWithArgs(
        editions.write.setContentBaseURI(["https://node.example/content/"], { account: owner.account }),
        editions,
        "ContentBaseURIUpdated",
        ["https://node.example/content/"],
      );
      assert.equal(await editions.read.contentBaseURI(), "https://node.example/content/");
    });

    it("reverts every setter for anyone but the owner", async () => {
      const { editions, stranger } = await networkHelpers.loadFixture(fixture);
      const as = { account: stranger.account };
      for (const call of [
        editions.write.setProtocolFee([1], as),
        editions.write.setTreasury([stranger.account.address], as),
        editions.write.setMaxRoyaltyBps([1], as),
        editions.write.setContentBaseURI(["x"], as),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(call, editions, "OwnableUnauthorizedAccount", [getAddress(stranger.account.address)]);
      }
    });
  });

  describe("royalties and metadata", () => {
    it("answers ERC-2981 per edition and declares the interfaces", async () => {
      const { editions, artist, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId } = await releaseEdition("t", { royaltyBps: 1_000 });
      await releaseEdition("u", { royaltyBps: 250 });
      assert.deepEqual(await editions.read.royaltyInfo([tokenIdOf(editionId, 1n), parseEther("2")]), [
        getAddress(artist.account.address),
        parseEther("0.2"),
      ]);
      assert.deepEqual(await editions.read.royaltyInfo([tokenIdOf(2n, 9n), 10_000n]), [getAddress(artist.account.address), 250n]);
      assert.deepEqual(await editions.read.royaltyInfo([tokenIdOf(99n, 1n), 10_000n]), [zeroAddress, 0n]);
      for (const id of ["0x2a55205a", "0x80ac58cd", "0x5b5e139f", "0x01ffc9a7"] as const) {
        assert.equal(await editions.read.supportsInterface([id]), true, id);
      }
      assert.equal(await editions.read.supportsInterface(["0xffffffff"]), false);
    });

    it("renders wallet-ready metadata on chain: numbered name, SVG cover, audio URL, attributes", async () => {
      const { editions, artist, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params, reg } = await releaseEdition("t", { name: 'Say "Hi" <3 & bye' });
      await editions.write.buy([editionId, 2n], { account: fan.account, value: params.price * 2n });
      const json = JSON.parse(decodeDataURI(await editions.read.tokenURI([tokenIdOf(editionId, 2n)]), "data:application/json;base64,"));
      const hex = reg.contentHash.slice(2);
      assert.equal(json.name, 'Say "Hi" <3 & bye #2/100');
      assert.match(json.description, /Edition 2 of 100 of "Say "Hi" <3 & bye"/);
      assert.equal(json.animation_url, `https://gateway.dcmx.example/content/${hex}`);
      assert.deepEqual(json.attributes, [
        { trait_type: "Content hash", value: reg.contentHash },
        { trait_type: "Edition", value: editionId.toString() },
        { trait_type: "Serial", display_type: "number", value: 2 },
        { trait_type: "Edition size", display_type: "number", value: 100 },
        { trait_type: "Artist", value: artist.account.address },
      ]);
      const svg = decodeDataURI(json.image, "data:image/svg+xml;base64,");
      assert.ok(svg.startsWith("<svg") && svg.endsWith("</svg>"));
      assert.ok(svg.includes("Say &quot;Hi&quot; &lt;3 &amp; bye"), svg);
      assert.ok(svg.includes(`#2/100 \u00b7 ${hex.slice(0, 12)}`));
    });

    it("points wallets at ipfs:// once the artist sets the audio and cover CIDs, keeping the gateway URL", async () => {
      const { editions, artist, fan, stranger, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params, reg } = await releaseEdition("cid");
      await editions.write.buy([editionId, 1n], { account: fan.account, value: params.price });
      const audioCid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
      const imageCid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
      await viem.assertions.emitWithArgs(editions.write.setEditionMedia([editionId, audioCid, imageCid], { account: artist.account }), editions, "EditionMediaUpdated", [
        editionId,
        audioCid,
        imageCid,
      ]);
      assert.deepEqual(await editions.read.mediaOf([editionId]), { audioCid, imageCid });
      const json = JSON.parse(decodeDataURI(await editions.read.tokenURI([tokenIdOf(editionId, 1n)]), "data:application/json;base64,"));
      assert.equal(json.animation_url, `ipfs://${audioCid}`);
      assert.equal(json.image, `ipfs://${imageCid}`);
      assert.equal(json.properties.audio_gateway_url, `https://gateway.dcmx.example/content/${reg.contentHash.slice(2)}`);
      // Only the artist; only CIDv1 base32 (which also keeps the JSON intact).
      await viem.assertions.revertWithCustomErrorWithArgs(editions.write.setEditionMedia([editionId, audioCid, ""], { account: stranger.account }), editions, "EditionNotArtist", [
        editionId,
        getAddress(stranger.account.address),
      ]);
      for (const bad of ['b", "image":"x', "Qmabc", `b${"a".repeat(100)}`]) {
        await viem.assertions.revertWithCustomErrorWithArgs(editions.write.setEditionMedia([editionId, bad, ""], { account: artist.account }), editions, "EditionsInvalidCid", [bad]);
      }
      // Clearing the audio CID falls back to the gateway URL.
      await editions.write.setEditionMedia([editionId, "", imageCid], { account: artist.account });
      const cleared = JSON.parse(decodeDataURI(await editions.read.tokenURI([tokenIdOf(editionId, 1n)]), "data:application/json;base64,"));
      assert.equal(cleared.animation_url, `https://gateway.dcmx.example/content/${reg.contentHash.slice(2)}`);
      assert.equal(cleared.properties, undefined);
    });

    it("omits animation_url without a gateway and refuses unminted tokens", async () => {
      const { editions, owner, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      await editions.write.setContentBaseURI([""], { account: owner.account });
      await editions.write.buy([editionId, 1n], { account: fan.account, value: params.price });
      const json = JSON.parse(decodeDataURI(await editions.read.tokenURI([tokenIdOf(editionId, 1n)]), "data:application/json;base64,"));
      assert.equal(json.animation_url, undefined);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.read.tokenURI([tokenIdOf(editionId, 2n)]),
        editions,
        "ERC721NonexistentToken",
        [tokenIdOf(editionId, 2n)],
      );
    });
  });

  describe("presale", () => {
    async function presaleFixture() {
      const m = await deployMusic(connection);
      const list = allowlist([m.fan, m.collector, m.treasury].map((w) => w.account.address));
      const now = await networkHelpers.time.latest();
      const presale = { merkleRoot: list.root, price: parseEther("0.005"), start: now + 100, perWalletCap: 2 };
      const { editionId, params, reg } = await m.releaseEdition("pre", { saleStart: now + 1_000, presale });
      return { ...m, list, presale, editionId, params, reg, saleStart: now + 1_000 };
    }

    it("stores the presale apart and emits EditionPresaleCreated", async () => {
      const { editions, artist, registerTrack, list } = await networkHelpers.loadFixture(presaleFixture);
      const reg = sampleRegistration("pre-2");
      await registerTrack(reg);
      const presale = { merkleRoot: list.root, price: 1n, start: 5, perWalletCap: 0 };
      await viem.assertions.emitWithArgs(
        editions.write.createEdition([sampleEdition(reg.contentHash, { saleStart: 10, presale })], { account: artist.account }),
        editions,
        "EditionPresaleCreated",
        [2n, list.root, 1n, 5, 0],
      );
      assert.deepEqual(await editions.read.getPresale([2n]), presale);
    });

    it("sells to an allowlisted wallet in [start, saleStart) at the presale price, with a comment", async () => {
      const { editions, artist, fan, list, presale, editionId, saleStart } = await networkHelpers.loadFixture(presaleFixture);
      const proof = list.proof(fan.account.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyPresale([editionId, 1n, proof, ""], { account: fan.account, value: presale.price }),
        editions,
        "EditionPresaleNotStarted",
        [editionId, presale.start],
      );
      await networkHelpers.time.increaseTo(presale.start);
      const tx = editions.write.buyPresale([editionId, 2n, proof, "first!"], { account: fan.account, value: presale.price * 2n });
      await viem.assertions.emitWithArgs(tx, editions, "EditionCommented", [editionId, getAddress(fan.account.address), tokenIdOf(editionId, 1n), 2n, "first!"]);
      assert.equal(await editions.read.presalePurchasedBy([editionId, fan.account.address]), 2n);
      assert.equal(await editions.read.proceedsOf([artist.account.address]), presale.price * 2n);
      assert.equal(await editions.read.balanceOf([fan.account.address]), 2n);
      await networkHelpers.time.setNextBlockTimestamp(saleStart);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyPresale([editionId, 1n, list.proof(editions.address), ""], { account: fan.account, value: presale.price }),
        editions,
        "EditionPresaleEnded",
        [editionId, saleStart],
      );
    });

    it("refuses wallets off the allowlist, a borrowed proof, the presale cap and the wrong price", async () => {
      const { editions, fan, stranger, collector, list, presale, editionId } = await networkHelpers.loadFixture(presaleFixture);
      await networkHelpers.time.increaseTo(presale.start);
      for (const proof of [list.proof(stranger.account.address), list.proof(fan.account.address)]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          editions.write.buyPresale([editionId, 1n, proof, ""], { account: stranger.account, value: presale.price }),
          editions,
          "EditionNotAllowlisted",
          [editionId, getAddress(stranger.account.address)],
        );
      }
      const proof = list.proof(collector.account.address);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyPresale([editionId, 1n, proof, ""], { account: collector.account, value: (await editions.read.getEdition([editionId])).price }),
        editions,
        "EditionWrongPayment",
        [presale.price, (await editions.read.getEdition([editionId])).price],
      );
      await editions.write.buyPresale([editionId, 2n, proof, ""], { account: collector.account, value: presale.price * 2n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyPresale([editionId, 1n, proof, ""], { account: collector.account, value: presale.price }),
        editions,
        "EditionPresaleCapExceeded",
        [editionId, getAddress(collector.account.address), 2],
      );
      // The presale cap is its own: the public sale still sells to the same wallet.
      const publicSale = await editions.read.getEdition([editionId]);
      await networkHelpers.time.increaseTo(publicSale.saleStart);
      await editions.write.buy([editionId, 1n], { account: collector.account, value: publicSale.price });
    });

    it("reverts for an edition without a presale and an inverted presale window", async () => {
      const { editions, artist, fan, releaseEdition, registerTrack, list } = await networkHelpers.loadFixture(fixture).then(async (m) => ({
        ...m,
        list: allowlist([m.fan.account.address]),
      }));
      const { editionId } = await releaseEdition();
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyPresale([editionId, 1n, [], ""], { account: fan.account }),
        editions,
        "EditionNoPresale",
        [editionId],
      );
      const reg = sampleRegistration("inverted");
      await registerTrack(reg);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.createEdition(
          [sampleEdition(reg.contentHash, { saleStart: 500, presale: { merkleRoot: list.root, price: 0n, start: 500, perWalletCap: 0 } })],
          { account: artist.account },
        ),
        editions,
        "EditionsInvalidPresaleWindow",
        [500, 500],
      );
    });
  });

  describe("comments", () => {
    it("buyWithComment emits the comment with the purchase; an empty comment emits nothing", async () => {
      const { editions, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      await viem.assertions.emitWithArgs(
        editions.write.buyWithComment([editionId, 1n, "this track <3"], { account: fan.account, value: params.price }),
        editions,
        "EditionCommented",
        [editionId, getAddress(fan.account.address), tokenIdOf(editionId, 1n), 1n, "this track <3"],
      );
      await viem.assertions.emitWithArgs(
        editions.write.buyWithComment([editionId, 1n, ""], { account: fan.account, value: params.price }),
        editions,
        "EditionPurchased",
        [editionId, getAddress(fan.account.address), tokenIdOf(editionId, 2n), 1n, params.price],
      );
      assert.equal((await editions.getEvents.EditionCommented({}, { fromBlock: 0n })).length, 1);
    });

    it("reverts a comment above 1024 bytes", async () => {
      const { editions, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      await editions.write.buyWithComment([editionId, 1n, "x".repeat(1024)], { account: fan.account, value: params.price });
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyWithComment([editionId, 1n, "x".repeat(1025)], { account: fan.account, value: params.price }),
        editions,
        "EditionCommentTooLong",
        [1025n, 1024n],
      );
    });
  });

  describe("artist controls", () => {
    it("setRoyaltyReceiver redirects royalties (e.g. to a split) and zero resets them to the artist", async () => {
      const { editions, artist, collector, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId } = await releaseEdition();
      const split = collector.account.address;
      await viem.assertions.emitWithArgs(editions.write.setRoyaltyReceiver([editionId, split], { account: artist.account }), editions, "EditionRoyaltyReceiverUpdated", [
        editionId,
        getAddress(split),
      ]);
      assert.deepEqual(await editions.read.royaltyInfo([tokenIdOf(editionId, 1n), 10_000n]), [getAddress(split), 1_000n]);
      assert.equal((await editions.read.getEdition([editionId])).hasRoyaltyReceiver, true);
      await viem.assertions.emitWithArgs(editions.write.setRoyaltyReceiver([editionId, zeroAddress], { account: artist.account }), editions, "EditionRoyaltyReceiverUpdated", [
        editionId,
        getAddress(artist.account.address),
      ]);
      assert.equal(await editions.read.royaltyReceiverOf([editionId]), getAddress(artist.account.address));
    });

    it("endSale closes the sale now and makes the size final at the number minted", async () => {
      const { editions, artist, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition();
      await editions.write.buy([editionId, 3n], { account: fan.account, value: params.price * 3n });
      const endedAt = (await networkHelpers.time.latest()) + 10;
      await networkHelpers.time.setNextBlockTimestamp(endedAt);
      await viem.assertions.emitWithArgs(editions.write.endSale([editionId], { account: artist.account }), editions, "EditionClosed", [editionId, 3, endedAt]);
      const edition = await editions.read.getEdition([editionId]);
      assert.equal(edition.maxSupply, 3);
      assert.equal(edition.saleEnd, endedAt);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 1n], { account: fan.account, value: params.price }),
        editions,
        "EditionSaleEnded",
        [editionId, endedAt],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(editions.write.endSale([editionId], { account: artist.account }), editions, "EditionSaleEnded", [
        editionId,
        endedAt,
      ]);
      const json = JSON.parse(decodeDataURI(await editions.read.tokenURI([tokenIdOf(editionId, 2n)]), "data:application/json;base64,"));
      assert.equal(json.name, `${params.name} #2/3`);
    });

    it("endSale finalises, once, a sale that ended by its own clock", async () => {
      const { editions, artist, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const now = await networkHelpers.time.latest();
      const { editionId, params } = await releaseEdition("timed", { saleEnd: now + 1_000 });
      await editions.write.buy([editionId, 2n], { account: fan.account, value: params.price * 2n });
      await networkHelpers.time.increaseTo(now + 2_000);
      await viem.assertions.emitWithArgs(editions.write.endSale([editionId], { account: artist.account }), editions, "EditionClosed", [editionId, 2, now + 1_000]);
      assert.equal((await editions.read.getEdition([editionId])).maxSupply, 2);
      await viem.assertions.revertWithCustomErrorWithArgs(editions.write.endSale([editionId], { account: artist.account }), editions, "EditionSaleEnded", [
        editionId,
        now + 1_000,
      ]);
    });

    it("setPrice changes the price before the edition sells out; a purchase sent at the old price reverts", async () => {
      const { editions, artist, fan, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId, params } = await releaseEdition("t", { maxSupply: 2 });
      await viem.assertions.emitWithArgs(editions.write.setPrice([editionId, params.price * 2n], { account: artist.account }), editions, "EditionPriceUpdated", [
        editionId,
        params.price * 2n,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 1n], { account: fan.account, value: params.price }),
        editions,
        "EditionWrongPayment",
        [params.price * 2n, params.price],
      );
      await editions.write.buy([editionId, 2n], { account: fan.account, value: params.price * 4n });
      await viem.assertions.revertWithCustomErrorWithArgs(editions.write.setPrice([editionId, 1n], { account: artist.account }), editions, "EditionSoldOut", [
        editionId,
        0n,
      ]);
    });

    it("reverts every artist control for anyone but the track's artist, and for an unknown edition", async () => {
      const { editions, stranger, releaseEdition } = await networkHelpers.loadFixture(fixture);
      const { editionId } = await releaseEdition();
      const as = { account: stranger.account };
      for (const call of [
        editions.write.setRoyaltyReceiver([editionId, stranger.account.address], as),
        editions.write.endSale([editionId], as),
        editions.write.setPrice([editionId, 1n], as),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(call, editions, "EditionNotArtist", [editionId, getAddress(stranger.account.address)]);
      }
      await viem.assertions.revertWithCustomErrorWithArgs(editions.write.endSale([9n], as), editions, "EditionNotFound", [9n]);
      await viem.assertions.revertWithCustomErrorWithArgs(editions.write.syncArtist([9n], as), editions, "EditionNotFound", [9n]);
    });
  });

  describe("after governance reassigns a track", () => {
    async function stolenFixture() {
      const m = await deployMusic(connection);
      // The thief registered the artist's track first, released an edition, sold two and set their own receiver,
      // and prepared a second edition: a free presale for their own wallets, its public sale years away.
      const reg = sampleRegistration("stolen");
      await m.registerTrack(reg, m.stranger);
      await m.editions.write.createEdition([sampleEdition(reg.contentHash, { maxSupply: 10 })], { account: m.stranger.account });
      const editionId = await m.editions.read.editionCount();
      const price = sampleEdition(reg.contentHash).price;
      await m.editions.write.buy([editionId, 2n], { account: m.fan.account, value: price * 2n });
      await m.editions.write.setRoyaltyReceiver([editionId, m.stranger.account.address], { account: m.stranger.account });
      await m.editions.write.setEditionMedia([editionId, "bafythief", "bafythiefcover"], { account: m.stranger.account });
      const thieves = allowlist([m.stranger.account.address, m.relayer.account.address]);
      const later = (await networkHelpers.time.latest()) + 365 * 86_400;
      const presale = { merkleRoot: thieves.root, price: 0n, start: 0, perWalletCap: 0 };
      await m.editions.write.createEdition([sampleEdition(reg.contentHash, { maxSupply: 1_000, saleStart: later, presale })], {
        account: m.stranger.account,
      });
      const presaleId = await m.editions.read.editionCount();
      await m.editions.write.buyPresale([presaleId, 1n, thieves.proof(m.stranger.account.address), ""], { account: m.stranger.account });
      await m.registry.write.reassignArtist([reg.contentHash, m.artist.account.address, keccak256(stringToHex("dispute"))], {
        account: m.owner.account,
      });
      return { ...m, reg, editionId, presaleId, thieves, price };
    }

    it("stops the displaced artist at once, even before anyone syncs: no sale, no royalty, no control", async () => {
      const { editions, artist, stranger, fan, editionId, presaleId, thieves, price } = await networkHelpers.loadFixture(stolenFixture);
      for (const call of [
        editions.write.setRoyaltyReceiver([editionId, stranger.account.address], { account: stranger.account }),
        editions.write.endSale([editionId], { account: stranger.account }),
        editions.write.setPrice([editionId, 1n], { account: stranger.account }),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(call, editions, "EditionNotArtist", [editionId, getAddress(stranger.account.address)]);
      }
      const changed = [getAddress(stranger.account.address), getAddress(artist.account.address)] as const;
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 1n], { account: fan.account, value: price }),
        editions,
        "EditionArtistChanged",
        [editionId, ...changed],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyPresale([presaleId, 1n, thieves.proof(stranger.account.address), ""], { account: stranger.account }),
        editions,
        "EditionArtistChanged",
        [presaleId, ...changed],
      );
      // The thief's receiver override is ignored: resales pay the rightful artist.
      assert.deepEqual(await editions.read.royaltyInfo([tokenIdOf(editionId, 1n), 10_000n]), [getAddress(artist.account.address), 1_000n]);
      // Nor do the thief's media show: no ipfs:// audio or cover of theirs, already before any sync.
      assert.deepEqual(await editions.read.mediaOf([editionId]), { audioCid: "", imageCid: "" });
      const uri = await editions.read.tokenURI([tokenIdOf(editionId, 1n)]);
      const json = Buffer.from(uri.slice("data:application/json;base64,".length), "base64").toString("utf8");
      assert.ok(!json.includes("bafythief"), json);
    });

    it("syncArtist announces that the previous artist's media are cleared", async () => {
      const { editions, editionId } = await networkHelpers.loadFixture(stolenFixture);
      await viem.assertions.emitWithArgs(editions.write.syncArtist([editionId]), editions, "EditionMediaUpdated", [editionId, "", ""]);
    });

    it("syncArtist (by anyone) records the new artist and closes the edition; earned proceeds stay put", async () => {
      const { editions, artist, stranger, fan, collector, editionId, presaleId, thieves, price } = await networkHelpers.loadFixture(stolenFixture);
      const tx = editions.write.syncArtist([editionId], { account: collector.account });
      await viem.assertions.emitWithArgs(tx, editions, "EditionArtistSynced", [
        editionId,
        getAddress(stranger.account.address),
        getAddress(artist.account.address),
      ]);
      const edition = await editions.read.getEdition([editionId]);
      assert.equal(edition.artist, getAddress(artist.account.address));
      assert.equal(edition.hasRoyaltyReceiver, false);
      assert.equal(edition.maxSupply, 2, "the edition's size is final at what was sold: #k of 2");
      assert.deepEqual(await editions.read.mediaOf([editionId]), { audioCid: "", imageCid: "" }, "the thief's media CIDs are gone");
      assert.deepEqual(await editions.read.royaltyInfo([tokenIdOf(editionId, 1n), 10_000n]), [getAddress(artist.account.address), 1_000n]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buy([editionId, 1n], { account: fan.account, value: price }),
        editions,
        "EditionSaleEnded",
        [editionId, edition.saleEnd],
      );
      // The thief's presale is gone with the sync.
      const at = (await networkHelpers.time.latest()) + 10;
      await networkHelpers.time.setNextBlockTimestamp(at);
      await viem.assertions.emitWithArgs(editions.write.syncArtist([presaleId]), editions, "EditionClosed", [presaleId, 1, at]);
      assert.equal((await editions.read.getPresale([presaleId])).merkleRoot, `0x${"00".repeat(32)}`);
      await viem.assertions.revertWithCustomErrorWithArgs(
        editions.write.buyPresale([presaleId, 1n, thieves.proof(stranger.account.address), ""], { account: stranger.account }),
        editions,
        "EditionNoPresale",
        [presaleId],
      );
      // Proceeds the thief earned before the dispute stay credited to the thief's account (nothing is seized).
      assert.equal(await editions.read.proceedsOf([stranger.account.address]), price * 2n);
      assert.equal(await editions.read.proceedsOf([artist.account.address]), 0n);
      // A second sync is a no-op (a governance batch may sync twice without reverting).
      const hash = await editions.write.syncArtist([editionId]);
      const receipt = await (await viem.getPublicClient()).waitForTransactionReceipt({ hash });
      assert.equal((await editions.getEvents.EditionArtistSynced({}, { blockHash: receipt.blockHash })).length, 0);
      assert.equal((await editions.getEvents.EditionClosed({}, { blockHash: receipt.blockHash })).length, 0);
    });

    it("an artist-only call by the new artist syncs (and closes) first, then acts", async () => {
      const { editions, artist, stranger, collector, editionId } = await networkHelpers.loadFixture(stolenFixture);
      const tx = editions.write.setRoyaltyReceiver([editionId, collector.account.address], { account: artist.account });
      await viem.assertions.emitWithArgs(tx, editions, "EditionArtistSynced", [
        editionId,
        getAddress(stranger.account.address),
        getAddress(artist.account.address),
      ]);
      assert.equal((await editions.read.getEdition([editionId])).maxSupply, 2);
      assert.equal(await editions.read.royaltyReceiverOf([editionId]), getAddress(collector.account.address));
    });
  });
});
