import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The music contracts: the track registry, the editions collection and the royalty-paying marketplace.
 * `Editions` starts owned by the deployer; the protocol module (DCMX.ts) hands it to the governance timelock.
 */
export default buildModule("Music", (m) => {
  const contentBaseURI = m.getParameter("contentBaseURI", "http://127.0.0.1:8080/content/");
  const trackRegistry = m.contract("TrackRegistry");
  const editions = m.contract("Editions", [trackRegistry, m.getAccount(0), contentBaseURI]);
  const marketplace = m.contract("Marketplace");
  return { trackRegistry, editions, marketplace };
});
