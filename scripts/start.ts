// `npm start`: the local DCMX network with demo content and the web app (scripts/network.ts), on the default ports
// (chain 8545, nodes 8080-8082, web 3000). `npm start -- --reset` deletes .local/ first (new node keys).
// `npm run chain` is the same without demo content and without the web app (`--no-seed --no-web`).
// Ctrl-C stops everything.
import { parseArgs } from "node:util";

import { formatEther } from "viem";

import { startNetwork, type Network } from "./network.ts";

const { values } = parseArgs({
  options: {
    reset: { type: "boolean", default: false },
    "no-seed": { type: "boolean", default: false },
    "no-web": { type: "boolean", default: false },
    "rebuild-web": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("npm start [-- --reset] [--no-seed] [--no-web] [--rebuild-web]\n  --reset    delete .local/ (node keys, tokens, logs) first\n  --no-seed  no demo content\n  --no-web   do not build and serve the web app\n  --rebuild-web  build the app even when no source changed since the last build");
  process.exit(0);
}

const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
let network: Network | undefined;
let starting: Promise<Network> | undefined;
let stopping = false;
const startup = new AbortController();
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log("\nstopping the web app, the nodes and the chain...");
    startup.abort(); // a startup in progress stops what it started and rejects
    await starting?.catch(() => {});
    await network?.stop();
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  network = await (starting = startNetwork({
    reset: values.reset,
    seed: !values["no-seed"],
    web: values["no-web"] ? "none" : "build+start",
    webBuild: values["rebuild-web"] ? "always" : "if-changed",
    signal: startup.signal,
    logger: { info: (m) => console.log(`start: [${secs()}] ${m}`), warn: (m) => console.warn(`start: [${secs()}] ${m}`) },
  }));
} catch (error) {
  if (stopping) await new Promise(() => {}); // Ctrl-C during startup: shutdown() exits once everything stopped
  console.error(`start: ${(error as Error).message}`);
  await shutdown(1);
}
const net = network!;

const balances = await Promise.all(
  net.accounts.map(async (a) => {
    const res = await fetch(net.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBalance", params: [a.address, "latest"] }),
    });
    return BigInt(((await res.json()) as { result: string }).result);
  }),
);
const line = "-".repeat(100);
console.log(`\n${line}\nDCMX local network ready in ${secs()} (chain ${net.chainId})\n${line}`);
console.log(`  app        ${net.webUrl ?? "(not served: web/app does not exist yet or --no-web)"}`);
console.log(`  chain RPC  ${net.rpcUrl}`);
net.nodes.forEach((n, i) => console.log(`  node ${i + 1}     ${n.url}  peer ${n.peerId}  operator token ${n.apiToken}`));
if (net.seeded) {
  console.log(`\n  demo tracks (uploaded to node 1, registered on chain by the artist):`);
  for (const t of net.seeded.tracks) console.log(`    ${t.title.padEnd(16)} ${t.mediaType.padEnd(11)} ${t.contentHash}`);
  console.log(`  edition #${net.seeded.editionId} on sale; token ${net.seeded.listing.tokenId} listed for ${formatEther(net.seeded.listing.price)} ETH by collector 1`);
}
console.log(`\n  demo accounts (Hardhat's test mnemonic; LOCAL ONLY, never use these keys on a real chain):`);
net.accounts.forEach((a, i) => console.log(`    ${a.role.padEnd(12)} ${a.address}  ${a.privateKey}  ${formatEther(balances[i]).split(".")[0]} ETH`));
console.log(`\n  logs in .local/logs/; Ctrl-C stops everything; 'npm start -- --reset' starts from an empty .local/\n${line}`);

const { name, code } = await net.exited;
console.error(`start: ${name} stopped unexpectedly (exit ${code}); stopping the rest`);
await shutdown(1);
