import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import MusicModule from "./Music.ts";

/** The whole protocol, wired together. `npm run chain` and real-chain deployments deploy this module. */
export default buildModule("DCMX", (m) => {
  const music = m.useModule(MusicModule);
  return { ...music };
});
