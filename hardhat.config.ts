import { createRequire } from "node:module";
import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";
import { configVariable, defineConfig } from "hardhat/config";

// Hardhat cannot download compilers on an offline machine, so the npm `solc`
// package (pinned to SOLC_VERSION in package.json) is used as a wasm build.
const SOLC_VERSION = "0.8.30";
const require = createRequire(import.meta.url);
const soljson = require.resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin],
  solidity: {
    profiles: {
      default: {
        compilers: [{ version: SOLC_VERSION, path: soljson, settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" } }],
        overrides: {
          // Editions carries the on-chain metadata renderer: fewer runs keep it under the 24 KiB code limit.
          "contracts/Editions.sol": { version: SOLC_VERSION, path: soljson, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" } },
        },
      },
    },
  },
  paths: {
    tests: { solidity: "./test", nodejs: "./test" },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // Any EVM chain: `RPC_URL` and `DEPLOYER_PRIVATE_KEY` come from the keystore or env.
    remote: {
      type: "http",
      chainType: "generic",
      url: configVariable("RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
});
