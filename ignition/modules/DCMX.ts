import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import EconomyModule from "./Economy.ts";
import MusicModule from "./Music.ts";

/**
 * The whole protocol, wired together. `npm run chain` and real-chain deployments deploy this module.
 * Governance (the timelock) ends up owning every parameter: the economy's (see Economy.ts) and the Editions
 * contract's protocol fee, treasury (the timelock itself), royalty cap and content gateway, and the TrackRegistry's
 * commit ages and dispute reassignments.
 * Neither the token's `allocations` nor the content gateway have a default (see Economy.ts and Music.ts): deploy
 * with `--parameters ignition/parameters/local.json` locally, or a chain's own parameters file.
 */
export default buildModule("DCMX", (m) => {
  const music = m.useModule(MusicModule);
  const economy = m.useModule(EconomyModule);
  const treasury = m.call(music.editions, "setTreasury", [economy.timelock], { id: "EditionsTreasuryIsTimelock" });
  m.call(music.editions, "transferOwnership", [economy.timelock], { id: "EditionsToTimelock", after: [treasury] });
  m.call(music.trackRegistry, "transferOwnership", [economy.timelock], { id: "TrackRegistryToTimelock" });
  return { ...music, ...economy };
});
