import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { getAddress } from "viem";
import DCMXModule from "../../ignition/modules/DCMX.ts";
import MusicModule from "../../ignition/modules/Music.ts";
import parameters from "../../ignition/parameters/local.json" with { type: "json" };

describe("The music deployment", () => {
  it("refuses to deploy without a content gateway, so a real chain never ships the local one by accident", async () => {
    const { ignition } = await network.create();
    await assert.rejects(ignition.deploy(MusicModule), /contentBaseURI/);
  });

  it("hands the TrackRegistry to the governance timelock with the local commit ages", async () => {
    const { ignition } = await network.create();
    // By path: Ignition reads the file's "<digits>n" amounts as bigints.
    const path = fileURLToPath(new URL("../../ignition/parameters/local.json", import.meta.url));
    const { trackRegistry, timelock } = await ignition.deploy(DCMXModule, { parameters: path });
    assert.equal(await trackRegistry.read.owner(), getAddress(timelock.address));
    assert.equal(await trackRegistry.read.minCommitAge(), parameters.Music.minCommitAge);
    assert.equal(await trackRegistry.read.maxCommitAge(), parameters.Music.maxCommitAge);
  });
});
