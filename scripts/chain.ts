// `npm run chain`: the local network without demo content and without the web app: a Hardhat chain on
// 127.0.0.1:8545 with the whole protocol deployed by Ignition (exported to deployments/), and three mesh nodes on
// 8080-8082, funded and staked. The same as `npm start -- --no-seed --no-web` (scripts/start.ts, scripts/network.ts).
process.argv.push("--no-seed", "--no-web");
await import("./start.ts");
