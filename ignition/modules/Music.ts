import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The music contracts: the track registry, the editions collection and the royalty-paying marketplace.
 * `TrackRegistry` and `Editions` start owned by the deployer; the protocol module (DCMX.ts) hands both to the
 * governance timelock.
 *
 * Parameters (module "Music"):
 * - `contentBaseURI` (required, no default): the mesh gateway prefix every tokenURI's `animation_url` uses, e.g.
 *   `https://gateway.example/content/`. Ignition refuses to deploy without it, so a real chain never ships the
 *   local gateway by accident; `ignition/parameters/local.json` holds the local chain's values.
 * - `minCommitAge` (default 60 s: ~5 L1 blocks, ~30 blocks of a 2 s L2) and `maxCommitAge` (default 1 day): the
 *   registration reveal window.
 */
export default buildModule("Music", (m) => {
  const contentBaseURI = m.getParameter<string>("contentBaseURI");
  const minCommitAge = m.getParameter("minCommitAge", 60);
  const maxCommitAge = m.getParameter("maxCommitAge", 86_400);
  const trackRegistry = m.contract("TrackRegistry", [m.getAccount(0), minCommitAge, maxCommitAge]);
  const editions = m.contract("Editions", [trackRegistry, m.getAccount(0), contentBaseURI]);
  const marketplace = m.contract("Marketplace");
  return { trackRegistry, editions, marketplace };
});
