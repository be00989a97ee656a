import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, parseEther, parseSignature } from "viem";
import { INITIAL_SUPPLY, TOKEN_CAP } from "./helpers/economy.ts";

const { viem, networkHelpers } = await network.create();

async function fixture() {
  const [admin, minter, holder, spender] = await viem.getWalletClients();
  const token = await viem.deployContract("DCMXToken", [admin.account.address, admin.account.address, INITIAL_SUPPLY, [], TOKEN_CAP]);
  await token.write.grantRole([await token.read.MINTER_ROLE(), minter.account.address]);
  return { token, admin, minter, holder, spender, publicClient: await viem.getPublicClient() };
}

describe("DCMXToken", () => {
  it("mints the initial allocation and exposes the cap", async () => {
    const { token, admin } = await networkHelpers.loadFixture(fixture);
    assert.equal(await token.read.balanceOf([admin.account.address]), INITIAL_SUPPLY);
    assert.equal(await token.read.cap(), TOKEN_CAP);
    assert.equal(await token.read.symbol(), "DCMX");
  });

  it("mints the treasury allocation and every listed allocation to its recipient, and nothing to the deployer", async () => {
    const [deployer, treasury, alice, bob] = await viem.getWalletClients();
    const allocations = [
      { account: alice.account.address, amount: parseEther("3") },
      { account: bob.account.address, amount: parseEther("4") },
    ];
    const token = await viem.deployContract("DCMXToken", [deployer.account.address, treasury.account.address, parseEther("10"), allocations, TOKEN_CAP]);
    assert.equal(await token.read.balanceOf([treasury.account.address]), parseEther("10"));
    assert.equal(await token.read.balanceOf([alice.account.address]), parseEther("3"));
    assert.equal(await token.read.balanceOf([bob.account.address]), parseEther("4"));
    assert.equal(await token.read.balanceOf([deployer.account.address]), 0n);
    assert.equal(await token.read.totalSupply(), parseEther("17"));
  });

  it("reverts when the allocations together exceed the cap", async () => {
    const [admin, alice] = await viem.getWalletClients();
    const token = await viem.deployContract("DCMXToken", [admin.account.address, admin.account.address, 0n, [], 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      viem.deployContract("DCMXToken", [admin.account.address, admin.account.address, 1n, [{ account: alice.account.address, amount: 5n }], 5n]),
      token,
      "DCMXTokenInvalidCap",
      [5n, 6n],
    );
  });

  it("reverts when the cap is zero", async () => {
    const [admin] = await viem.getWalletClients();
    const token = await viem.deployContract("DCMXToken", [admin.account.address, admin.account.address, 0n, [], 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      viem.deployContract("DCMXToken", [admin.account.address, admin.account.address, 0n, [], 0n]),
      token,
      "DCMXTokenInvalidCap",
      [0n, 0n],
    );
  });

  it("lets the minter mint up to the cap", async () => {
    const { token, minter, holder } = await networkHelpers.loadFixture(fixture);
    const headroom = TOKEN_CAP - INITIAL_SUPPLY;
    await token.write.mint([holder.account.address, headroom], { account: minter.account });
    assert.equal(await token.read.totalSupply(), TOKEN_CAP);
  });

  it("reverts when minting past the cap", async () => {
    const { token, minter, holder } = await networkHelpers.loadFixture(fixture);
    const headroom = TOKEN_CAP - INITIAL_SUPPLY;
    await viem.assertions.revertWithCustomErrorWithArgs(
      token.write.mint([holder.account.address, headroom + 1n], { account: minter.account }),
      token,
      "DCMXTokenCapExceeded",
      [headroom + 1n, headroom],
    );
  });

  it("reverts when anyone but a minter mints", async () => {
    const { token, holder } = await networkHelpers.loadFixture(fixture);
    await viem.assertions.revertWithCustomErrorWithArgs(
      token.write.mint([holder.account.address, 1n], { account: holder.account }),
      token,
      "AccessControlUnauthorizedAccount",
      [getAddress(holder.account.address), await token.read.MINTER_ROLE()],
    );
  });

  it("gives voting power to delegates, checkpointed by timestamp (ERC-6372 mode=timestamp)", async () => {
    const { token, admin, holder, publicClient } = await networkHelpers.loadFixture(fixture);
    await token.write.transfer([holder.account.address, parseEther("5")]);
    await token.write.delegate([holder.account.address], { account: holder.account });
    const delegatedAt = (await publicClient.getBlock()).timestamp;
    await networkHelpers.time.increase(3_600);
    assert.equal(await token.read.CLOCK_MODE(), "mode=timestamp");
    assert.equal(BigInt(await token.read.clock()), (await publicClient.getBlock()).timestamp);
    assert.equal(await token.read.getVotes([holder.account.address]), parseEther("5"));
    assert.equal(await token.read.getPastVotes([holder.account.address, delegatedAt - 1n]), 0n);
    assert.equal(await token.read.getPastVotes([holder.account.address, delegatedAt]), parseEther("5"));
    assert.equal(await token.read.getVotes([admin.account.address]), 0n);
  });

  it("accepts an ERC-2612 permit", async () => {
    const { token, admin, spender, publicClient } = await networkHelpers.loadFixture(fixture);
    const deadline = BigInt((await publicClient.getBlock()).timestamp) + 3600n;
    const signature = await admin.signTypedData({
      domain: { name: "DCMX", version: "1", chainId: await publicClient.getChainId(), verifyingContract: token.address },
      types: {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "Permit",
      message: { owner: admin.account.address, spender: spender.account.address, value: 7n, nonce: 0n, deadline },
    });
    const { v, r, s } = parseSignature(signature);
    await token.write.permit([admin.account.address, spender.account.address, 7n, deadline, Number(v), r, s], { account: spender.account });
    assert.equal(await token.read.allowance([admin.account.address, spender.account.address]), 7n);
    assert.equal(await token.read.nonces([admin.account.address]), 1n);
  });
});
