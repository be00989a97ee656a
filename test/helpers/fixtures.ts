import { network } from "hardhat";
import type { Hex } from "viem";
import {
  COMMIT_AGES,
  commitmentOf,
  registerDomain,
  registerTypes,
  saltOf,
  sampleEdition,
  sampleRegistration,
  type Registration,
} from "./music.ts";

export type Connection = Awaited<ReturnType<typeof network.create>>;

/**
 * Deploys the music contracts on a connection and registers nothing: each test builds its own story.
 * `owner` stands in for the governance timelock. The registry uses the production reveal window (COMMIT_AGES).
 */
export async function deployMusic({ viem, networkHelpers }: Connection) {
  const publicClient = await viem.getPublicClient();
  const [owner, artist, fan, collector, relayer, stranger, treasury] = await viem.getWalletClients();
  const registry = await viem.deployContract("TrackRegistry", [owner.account.address, COMMIT_AGES.min, COMMIT_AGES.max]);
  const editions = await viem.deployContract("Editions", [
    registry.address,
    owner.account.address,
    "https://gateway.dcmx.example/content/",
  ]);
  const market = await viem.deployContract("Marketplace");
  const chainId = await publicClient.getChainId();

  /** Signs `reg` as `signer` for `artist` (defaults: the artist signs for themself, on this chain). */
  async function signRegistration(
    reg: Registration,
    opts: { signer?: typeof artist; artist?: `0x${string}`; nonce?: bigint; deadline: bigint; chainId?: number },
  ) {
    const signer = opts.signer ?? artist;
    const who = opts.artist ?? signer.account.address;
    const nonce = opts.nonce ?? (await registry.read.nonces([who]));
    return signer.signTypedData({
      domain: registerDomain(opts.chainId ?? chainId, registry.address),
      types: registerTypes,
      primaryType: "Register",
      message: { ...reg, artist: who, nonce, deadline: opts.deadline },
    });
  }

  /** Commits `reg` for `who` (as `committer`, default `who`) with `salt`; returns the commitment. */
  async function commitRegistration(reg: Registration, who: typeof artist = artist, salt: Hex = saltOf(reg.contentHash), committer = who) {
    const commitment = commitmentOf(reg.contentHash, who.account.address, salt);
    await registry.write.commit([commitment], { account: committer.account });
    return commitment;
  }

  /** Waits out the minimum commit age on the local chain. */
  async function ageCommitment() {
    await networkHelpers.time.increase(COMMIT_AGES.min);
  }

  /** Commit, wait, reveal: registers `reg` as `who` (default the artist). */
  async function registerTrack(reg: Registration, who: typeof artist = artist, salt: Hex = saltOf(reg.contentHash)) {
    await commitRegistration(reg, who, salt);
    await ageCommitment();
    await registry.write.register([reg, salt], { account: who.account });
  }

  /** Registers a track as `artist` (commit-reveal) and creates an edition of it; returns the edition id and the track. */
  async function releaseEdition(seed = "track", overrides: Parameters<typeof sampleEdition>[1] = {}) {
    const reg = sampleRegistration(seed);
    await registerTrack(reg);
    await editions.write.createEdition([sampleEdition(reg.contentHash, overrides)], { account: artist.account });
    return { editionId: await editions.read.editionCount(), reg, params: sampleEdition(reg.contentHash, overrides) };
  }

  return {
    publicClient,
    owner,
    artist,
    fan,
    collector,
    relayer,
    stranger,
    treasury,
    registry,
    editions,
    market,
    chainId,
    signRegistration,
    releaseEdition,
    commitRegistration,
    ageCommitment,
    registerTrack,
  };
}
