import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress } from "viem";
import DCMXModule from "../../ignition/modules/DCMX.ts";
import parameters from "../../ignition/parameters/local.json" with { type: "json" };

describe("The DCMX Ignition module", () => {
  it("deploys the whole protocol with every parameter owned by the governance timelock", async () => {
    const { ignition, viem } = await network.create();
    const [deployer] = await viem.getWalletClients();
    const { editions, trackRegistry, marketplace, timelock, token, rewards } = await ignition.deploy(DCMXModule, { parameters });
    const governance = getAddress(timelock.address);
    assert.equal(await editions.read.owner(), governance);
    assert.equal(await editions.read.treasury(), governance);
    assert.equal(await editions.read.registry(), getAddress(trackRegistry.address));
    assert.equal(await editions.read.contentBaseURI(), "http://127.0.0.1:8080/content/");
    const admin = await timelock.read.DEFAULT_ADMIN_ROLE();
    assert.equal(await timelock.read.hasRole([admin, deployer.account.address]), false);
    assert.equal(await token.read.hasRole([await token.read.MINTER_ROLE(), rewards.address]), true);
    assert.deepEqual(await marketplace.read.creditsOf([deployer.account.address]), 0n);
  });
});
