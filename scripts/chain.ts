// `npm run chain`: the local network. Starts a Hardhat chain on 127.0.0.1:8545, deploys the whole protocol with
// Ignition, exports ABIs and addresses to deployments/, starts a mesh node on 127.0.0.1:8080 (the gateway the
// Editions metadata points at), prints the addresses, and keeps everything running until Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { createPublicClient, http } from "viem";

const port = Number(process.env.CHAIN_PORT ?? 8545);
const rpcUrl = `http://127.0.0.1:${port}`;
const root = new URL("../", import.meta.url);
const children: ChildProcess[] = [];

const meshPort = Number(process.env.MESH_PORT ?? 8080);

function run(args: string[], opts: { background?: boolean; bin?: string } = {}): Promise<void> | ChildProcess {
  const child = spawn(opts.bin ?? "hardhat", args, { cwd: root, stdio: opts.background ? ["ignore", "ignore", "inherit"] : "inherit" });
  if (opts.background) {
    children.push(child);
    return child;
  }
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`hardhat ${args.join(" ")} exited with ${code}`)))),
  );
}

/** Waits for the mesh node's /ping and returns its peer id (its wallet address). */
async function waitForNode(url: string): Promise<`0x${string}`> {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      const res = await fetch(`${url}/ping`);
      if (res.ok) return ((await res.json()) as { peer_id: `0x${string}` }).peer_id;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the mesh node at ${url} did not answer`);
}

function shutdown(code = 0): never {
  for (const child of children) child.kill("SIGTERM");
  process.exit(code);
}
process.on("SIGINT", () => shutdown());
process.on("SIGTERM", () => shutdown());

try {
  const node = run(["node", "--hostname", "127.0.0.1", "--port", String(port)], { background: true }) as ChildProcess;
  node.on("exit", (code) => {
    console.error(`chain: the Hardhat node exited (${code}); is port ${port} free?`);
    shutdown(1);
  });

  const client = createPublicClient({ transport: http(rpcUrl) });
  for (let attempt = 0; ; attempt++) {
    try {
      await client.getChainId();
      break;
    } catch (error) {
      if (attempt > 600) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const chainId = await client.getChainId();

  // A fresh chain each run, so Ignition's journal for it must start empty too.
  await rm(new URL(`ignition/deployments/chain-${chainId}`, root), { recursive: true, force: true });
  await run(["ignition", "deploy", "ignition/modules/DCMX.ts", "--network", "localhost", "--parameters", "ignition/parameters/local.json"]);
  await new Promise<void>((resolve, reject) => {
    const exporter = spawn(process.execPath, ["scripts/export-deployments.ts"], { cwd: root, stdio: "inherit" });
    exporter.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`export exited with ${code}`))));
  });

  const deployed: Record<string, string> = JSON.parse(
    await readFile(new URL(`ignition/deployments/chain-${chainId}/deployed_addresses.json`, root), "utf8"),
  );
  console.log(`\nDCMX local network ready: chain ${chainId} at ${rpcUrl}`);
  for (const [key, address] of Object.entries(deployed)) console.log(`  ${key.padEnd(28)} ${address}`);

  // The mesh node keeps its key, token and content under .local/ so restarts keep the same peer id.
  const mesh = run(["--data-dir", ".local/mesh-node", "start", "--host", "127.0.0.1", "--port", String(meshPort), "--rpc-url", rpcUrl], {
    background: true,
    bin: "dcmx",
  }) as ChildProcess;
  mesh.on("exit", (code) => {
    console.error(`chain: the mesh node exited (${code}); is port ${meshPort} free?`);
    shutdown(1);
  });
  // The node's key is its wallet: give it gas money from the first (unlocked) Hardhat account.
  const peerId = await waitForNode(`http://127.0.0.1:${meshPort}`);
  const [funder] = (await client.request({ method: "eth_accounts" } as never)) as `0x${string}`[];
  await client.request({
    method: "eth_sendTransaction",
    params: [{ from: funder, to: peerId, value: `0x${(10n * 10n ** 18n).toString(16)}` }],
  } as never);
  console.log(`  ${"mesh node".padEnd(28)} http://127.0.0.1:${meshPort} (wallet ${peerId}, funded with 10 ETH; operator token in .local/mesh-node/api-token)`);
  console.log("\nCtrl-C stops the chain and the node.");
} catch (error) {
  console.error(`chain: ${(error as Error).message}`);
  shutdown(1);
}
