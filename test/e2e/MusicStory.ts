import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, parseEther } from "viem";
import { deployMusic } from "../helpers/fixtures.ts";
import { commitmentOf, saltOf, sampleEdition, sampleRegistration, tokenIdOf } from "../helpers/music.ts";

describe("The music story on one chain", () => {
  it("commit -> relayed reveal -> create edition -> buy 3 with a comment -> list -> resale pays 10% to the artist -> withdraw", async () => {
    const connection = await network.create();
    const { viem, networkHelpers } = connection;
    const { registry, editions, market, artist, fan, collector, relayer, signRegistration, ageCommitment } = await deployMusic(connection);

    // 1. The artist's mesh node commits the registration (binding the artist and a secret salt), waits the minimum
    //    commit age, and relays the reveal the artist signed, paying all the gas.
    const reg = sampleRegistration("the-story");
    const salt = saltOf("the-story");
    await registry.write.commitBatch([[commitmentOf(reg.contentHash, artist.account.address, salt)]], { account: relayer.account });
    await ageCommitment();
    const deadline = BigInt((await networkHelpers.time.latest()) + 600);
    const signature = await signRegistration(reg, { deadline });
    await registry.write.registerWithSig([reg, artist.account.address, salt, deadline, signature], { account: relayer.account });
    assert.equal(await registry.read.artistOf([reg.contentHash]), getAddress(artist.account.address));

    // 2. A limited edition of 50 at 0.05 ETH with the default 10% royalty.
    const price = parseEther("0.05");
    const royaltyBps = Number(await editions.read.DEFAULT_ROYALTY_BPS());
    await editions.write.createEdition([sampleEdition(reg.contentHash, { price, maxSupply: 50, royaltyBps })], { account: artist.account });
    const editionId = await editions.read.editionCount();

    // 3. A fan buys three with a comment: serials #1..#3.
    await viem.assertions.emit(
      editions.write.buyWithComment([editionId, 3n, "on repeat"], { account: fan.account, value: price * 3n }),
      editions,
      "EditionCommented",
    );
    assert.equal(await editions.read.balanceOf([fan.account.address]), 3n);
    const token = tokenIdOf(editionId, 2n);

    // 4. The fan lists #2 for 1 ETH, asking at least 0.9 after the royalty; 5. a collector buys it.
    await editions.write.setApprovalForAll([market.address, true], { account: fan.account });
    await market.write.list([editions.address, token, parseEther("1"), (await networkHelpers.time.latest()) + 3600, parseEther("0.9")], { account: fan.account });
    await viem.assertions.balancesHaveChanged(market.write.buy([editions.address, token], { account: collector.account, value: parseEther("1") }), [
      { address: artist.account.address, amount: parseEther("0.1") },
      { address: fan.account.address, amount: parseEther("0.9") },
    ]);
    assert.equal(await editions.read.ownerOf([token]), getAddress(collector.account.address));

    // 6. The artist withdraws the primary proceeds: exactly 3 x 0.05 ETH.
    await viem.assertions.balancesHaveChanged(editions.write.withdraw({ account: artist.account }), [
      { address: artist.account.address, amount: price * 3n },
    ]);
    assert.equal(await editions.read.proceedsOf([artist.account.address]), 0n);
    // The contracts hold nothing they owe to no one.
    const publicClient = await viem.getPublicClient();
    assert.equal(await publicClient.getBalance({ address: editions.address }), 0n);
    assert.equal(await publicClient.getBalance({ address: market.address }), 0n);
  });
});
