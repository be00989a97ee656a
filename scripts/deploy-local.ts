// The Ignition deployment behind startNetwork() (scripts/network.ts), run as
// `hardhat run --no-compile --network remote scripts/deploy-local.ts` with RPC_URL, DEPLOYER_PRIVATE_KEY,
// DCMX_IGNITION_PARAMETERS (a parameters file) and DCMX_DEPLOYMENT_ID. The same module and journal as
// `hardhat ignition deploy`, but programmatic so that it can poll the local chain every 50 ms instead of Ignition's
// default 1 s per batch, and reuse the default build profile's artifacts (the CLI deploys with the production
// profile, which made every following `hardhat compile` start over).
import { network } from "hardhat";

import DCMXModule from "../ignition/modules/DCMX.ts";

const parameters = process.env.DCMX_IGNITION_PARAMETERS;
const deploymentId = process.env.DCMX_DEPLOYMENT_ID;
if (!parameters || !deploymentId) throw new Error("set DCMX_IGNITION_PARAMETERS and DCMX_DEPLOYMENT_ID");

const { ignition } = await network.connect();
const deployed = await ignition.deploy(DCMXModule, {
  parameters,
  deploymentId,
  config: { blockPollingInterval: 50, requiredConfirmations: 1 },
});
for (const [name, contract] of Object.entries(deployed)) console.log(`${name} ${(contract as { address: string }).address}`);
