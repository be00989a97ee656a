// The local DCMX network as a library: `npm start` (scripts/start.ts), `npm run chain`, the e2e test
// (test/e2e/Network.ts) and the web app's Playwright global set-up all call startNetwork().
//
// It compiles, starts a Hardhat node on 127.0.0.1, deploys the whole protocol with Ignition (a fresh journal each
// run: the chain lives in memory), exports the deployment, starts three mesh nodes bootstrapped to each other,
// funds and stakes them for three demo operators, seeds demo content (generated audio, registered on chain by the
// demo artist through a node, an edition on sale, one token bought and listed), builds and serves the web app, and
// stops every child (each its own process group) on stop().
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  parseEther,
  parseEventLogs,
  toHex,
  zeroHash,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

import { demoTracks, type DemoMediaType, type DemoTrack } from "./demo-audio.ts";

export type Role = "deployer" | "operator 1" | "operator 2" | "operator 3" | "artist" | "collector 1" | "collector 2";

export interface NetworkLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface NetworkOptions {
  /** Where node data, logs and generated files live (default: `<repo>/.local`). */
  dataDir?: string;
  /** TCP ports on 127.0.0.1; 0 picks a free one. Defaults: chain 8545, nodes 8080-8082, web 3000. */
  ports?: { chain?: number; nodes?: [number, number, number]; web?: number };
  /** Deletes `dataDir` first (new node keys and tokens). */
  reset?: boolean;
  /** Seeds the demo content (default true). */
  seed?: boolean;
  /** `build+start`: `npm run build -w @dcmx/web` then `next start` (only when web/app exists); default `none`. */
  web?: "build+start" | "none";
  /** `if-changed` (default): build only when a source of the app changed since the last build; `always`. */
  webBuild?: "if-changed" | "always";
  /** Aborting stops whatever has started; a startup in progress then rejects. */
  signal?: AbortSignal;
  /** Extra `dcmx start` flags for every node (e.g. `--log-level debug`). */
  nodeArgs?: string[];
  logger?: NetworkLogger;
}

export interface NetworkNode {
  url: string;
  /** The node's key address: its peer id and wallet. */
  peerId: Address;
  /** The demo operator that staked it. */
  operator: Address;
  /** Its operator token (`Authorization: Bearer <token>`). */
  apiToken: string;
  dataDir: string;
  pid: number;
}

export interface NetworkAccount {
  role: Role;
  address: Address;
  privateKey: Hex;
}

export interface SeededTrack {
  /** 64 lowercase hex characters, no 0x (the wire format). */
  contentHash: string;
  title: string;
  mediaType: DemoMediaType;
}

export interface SeededListing {
  nft: Address;
  tokenId: bigint;
  seller: Address;
  price: bigint;
}

export interface Network {
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, Address>;
  nodes: NetworkNode[];
  /** Null when the web app was not requested or web/app does not exist yet. */
  webUrl: string | null;
  accounts: NetworkAccount[];
  /** Null when `seed` was false. */
  seeded: { tracks: SeededTrack[]; editionId: bigint; editionTrack: string; listing: SeededListing } | null;
  /** Pids of every long-running child (chain, nodes, web): each leads its own process group. */
  pids: number[];
  /** Resolves when a long-running child exits on its own (not through stop()). */
  exited: Promise<{ name: string; code: number | null }>;
  /** Stops every child (SIGTERM to each process group, SIGKILL after 10 s); idempotent. */
  stop(): Promise<void>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MNEMONIC = "test test test test test test test test test test test junk";
const CHAIN_ID = 31337;
/** Accounts of Hardhat's default mnemonic; operators 1-3 (and the artist and collector 1) hold DCMX (ignition/parameters/local.json). */
const ROLES: Array<[Role, number]> = [
  ["deployer", 0],
  ["operator 1", 1],
  ["operator 2", 2],
  ["operator 3", 3],
  ["artist", 4],
  ["collector 1", 5],
  ["collector 2", 6],
];
const NODE_ETH = parseEther("10");
const NODE_STAKE = parseEther("100000");
const EDITION_PRICE = parseEther("0.01");
const LISTING_PRICE = parseEther("0.025");

export function demoAccounts(): NetworkAccount[] {
  return ROLES.map(([role, index]) => {
    const account = mnemonicToAccount(MNEMONIC, { addressIndex: index });
    return { role, address: account.address, privateKey: toHex(account.getHdKey().privateKey!) };
  });
}

/**
 * The demo tracks, generated once (MP3 encoding takes a few seconds) into `.local/cache/demo-audio/<key>/`, keyed
 * by the generator's source, so an edit to scripts/demo-audio.ts regenerates them.
 */
async function cachedDemoTracks(): Promise<DemoTrack[]> {
  const source = await readFile(join(ROOT, "scripts/demo-audio.ts"));
  const dir = join(ROOT, ".local/cache/demo-audio", createHash("sha256").update(source).digest("hex").slice(0, 16));
  try {
    const meta = JSON.parse(await readFile(join(dir, "tracks.json"), "utf8")) as Array<Omit<DemoTrack, "bytes">>;
    return await Promise.all(meta.map(async (t) => ({ ...t, bytes: new Uint8Array(await readFile(join(dir, t.fileName))) })));
  } catch {
    const tracks = demoTracks();
    await mkdir(dir, { recursive: true });
    for (const t of tracks) await writeFile(join(dir, t.fileName), t.bytes);
    await writeFile(join(dir, "tracks.json"), JSON.stringify(tracks.map(({ bytes: _, ...t }) => t), null, 2));
    return tracks;
  }
}

/** A hash of every input of the web build (contents, since `npm run export` rewrites deployments/ unchanged): web/ (not its outputs, tests or benches), the workspaces it compiles, the lockfile. */
async function webBuildStamp(): Promise<string> {
  const skip = new Set(["node_modules", ".next", "test", "bench", ".artifacts", ".turbo"]);
  const lines: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (skip.has(entry.name) || entry.name.endsWith(".tsbuildinfo")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        lines.push(`${path.slice(ROOT.length)} ${createHash("sha256").update(await readFile(path)).digest("hex")}`);
      }
    }
  }
  for (const dir of ["web", "node/src", "deployments"]) await walk(join(ROOT, dir));
  for (const file of ["package-lock.json", "package.json"]) lines.push(`/${file} ${createHash("sha256").update(await readFile(join(ROOT, file))).digest("hex")}`);
  return createHash("sha256").update(lines.sort().join("\n")).digest("hex");
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((ok, fail) => {
    const server = createServer();
    server.once("error", () => fail(new Error(`port ${port} (${what}) is in use on 127.0.0.1: stop what runs there or choose another port`)));
    server.listen(port, "127.0.0.1", () => server.close(() => ok()));
  });
}

/** Startup was stopped (stop(), the abort signal) or a child died. */
class StopError extends Error {
  constructor(message = "stopped") {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, stepMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      if (error instanceof StopError) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await sleep(stepMs);
  }
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

interface Child {
  name: string;
  proc: ChildProcess;
  log: WriteStream;
  done: Promise<number | null>;
  /** Set once the process has exited (or failed to spawn). */
  finished: boolean;
  stopping: boolean;
}

export async function startNetwork(opts: NetworkOptions = {}): Promise<Network> {
  const log: NetworkLogger = opts.logger ?? { info: (m) => console.log(m), warn: (m) => console.warn(m) };
  const dataDir = resolve(opts.dataDir ?? join(ROOT, ".local"));
  const seed = opts.seed ?? true;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  const children: Child[] = [];
  let onChildExit: (v: { name: string; code: number | null }) => void = () => {};
  const exited = new Promise<{ name: string; code: number | null }>((r) => (onChildExit = r));
  let stopping = false;
  /** A deployment journal of this run only (non-default ports), removed once read or on stop(). */
  let tempJournal: string | undefined;
  /** Why a long-running child died during startup (startup then fails at once instead of timing out). */
  let failure: string | undefined;
  /** until() that gives up as soon as a child died or stop() was called. */
  const wait = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs?: number, stepMs?: number) =>
    until(what, async () => {
      if (stopping) throw new StopError();
      if (failure) throw new StopError(failure);
      return probe();
    }, timeoutMs, stepMs);

  // Children lead their own process groups (so Ctrl-C reaches them only through stop(), in order); if this
  // process dies without stop(), the exit hook still kills the groups.
  const killAllNow = () => {
    for (const c of children) if (!c.finished && c.proc.pid) try { process.kill(-c.proc.pid, "SIGKILL"); } catch { /* gone */ }
  };
  process.on("exit", killAllNow);

  const env = {
    ...process.env,
    PATH: `${join(ROOT, "node_modules/.bin")}:${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    NEXT_TELEMETRY_DISABLED: "1",
    FORCE_COLOR: "0",
  };
  const logsDir = join(dataDir, "logs");

  function launch(name: string, cmd: string, args: string[], extra: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
    const logFile = createWriteStream(join(logsDir, `${name}.log`));
    logFile.write(`\n--- ${new Date().toISOString()} ${cmd} ${args.join(" ")}\n`);
    const proc = spawn(cmd, args, { cwd: extra.cwd ?? ROOT, env: extra.env ?? env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.pipe(logFile, { end: false });
    proc.stderr!.pipe(logFile, { end: false });
    const child: Child = {
      name,
      proc,
      log: logFile,
      stopping: false,
      finished: false,
      done: new Promise((r) => {
        proc.once("error", (error) => {
          logFile.write(`spawn failed: ${error.message}\n`);
          r(-1);
        });
        proc.once("exit", (code, signal) => r(code ?? (signal ? -1 : null)));
      }),
    };
    void child.done.then(() => (child.finished = true));
    children.push(child);
    return child;
  }

  async function tail(name: string, lines = 15): Promise<string> {
    const text = await readFile(join(logsDir, `${name}.log`), "utf8").catch(() => "");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Runs a command to completion; its output goes to logs/<name>.log (and its tail into the error). */
  async function step(name: string, cmd: string, args: string[], extra: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
    const child = launch(name, cmd, args, extra);
    const code = await child.done;
    children.splice(children.indexOf(child), 1);
    child.log.end();
    if (stopping) throw new StopError();
    if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${code}); see ${join(logsDir, `${name}.log`)}:\n${await tail(name)}`);
  }

  /** A long-running child: an exit not asked for by stop() is reported through `exited`. */
  function serve(name: string, cmd: string, args: string[], extra: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
    const child = launch(name, cmd, args, extra);
    void child.done.then(async (code) => {
      if (child.stopping || stopping) return;
      failure ??= `${name} exited (${code}): ${await tail(name, 5)}`;
      log.warn(`${name} exited (${code}); its log ends with:\n${await tail(name)}`);
      onChildExit({ name, code });
    });
    return child;
  }

  async function stopChild(child: Child): Promise<void> {
    child.stopping = true;
    const pid = child.proc.pid;
    if (pid) {
      const group = (signal: NodeJS.Signals | 0) => {
        try {
          process.kill(-pid, signal);
          return true;
        } catch {
          return false; // no process left in the group
        }
      };
      if (!child.finished) group("SIGTERM");
      const exited = await Promise.race([child.done.then(() => true), sleep(10_000).then(() => false)]);
      if (!exited) group("SIGKILL");
      await child.done;
      // The leader may exit before the rest of its group (next-server under next start): give them a moment, then
      // sweep whatever is left.
      for (let i = 0; i < 20 && group(0); i++) await sleep(100);
      group("SIGKILL");
    }
    child.log.end();
  }

  let stopPromise: Promise<void> | undefined;
  const stop = () =>
    (stopPromise ??= (async () => {
      stopping = true;
      // A step in progress (compile, deploy, build) first, then the web app, the nodes (they close their
      // databases), and the chain last, so nothing loses its RPC while stopping.
      const stages = [["web"], ["node-1", "node-2", "node-3"], ["chain"]];
      await Promise.all(children.filter((c) => !stages.flat().includes(c.name)).map(stopChild));
      for (const names of stages) await Promise.all(children.filter((c) => names.includes(c.name)).map(stopChild));
      process.off("exit", killAllNow);
      if (tempJournal) await rm(tempJournal, { recursive: true, force: true });
    })());

  if (opts.signal?.aborted) throw new StopError("aborted");
  opts.signal?.addEventListener("abort", () => void stop(), { once: true });

  try {
    // Ports: fixed ones must be free (a clear message beats a child dying later); 0 = any free port.
    const want = opts.ports ?? {};
    const pick = async (p: number | undefined, dflt: number, what: string) => {
      const port = p ?? dflt;
      if (port === 0) return freePort();
      await assertPortFree(port, what);
      return port;
    };
    const chainPort = await pick(want.chain, 8545, "chain");
    const nodePorts: number[] = [];
    for (let i = 0; i < 3; i++) nodePorts.push(await pick(want.nodes?.[i], 8080 + i, `node ${i + 1}`));
    const wantWeb = (opts.web ?? "none") === "build+start";
    const hasWeb = existsSync(join(ROOT, "web/app"));
    const webPort = wantWeb && hasWeb ? await pick(want.web, 3000, "web") : 0;

    if (opts.reset) {
      log.info(`reset: deleting ${dataDir}`);
      await rm(dataDir, { recursive: true, force: true });
    }
    await mkdir(logsDir, { recursive: true });
    const rpcUrl = `http://127.0.0.1:${chainPort}`;
    const nodeUrls = nodePorts.map((p) => `http://127.0.0.1:${p}`);
    const accounts = demoAccounts();
    const account = (role: Role) => mnemonicToAccount(MNEMONIC, { addressIndex: ROLES.find(([r]) => r === role)![1] });

    // 1. Compile (a no-op when nothing changed) and start the chain.
    log.info("compiling the contracts");
    await step("compile", "hardhat", ["compile", "--quiet"]);
    log.info(`starting the chain on ${rpcUrl}`);
    serve("chain", "hardhat", ["node", "--hostname", "127.0.0.1", "--port", String(chainPort)]);
    const publicClient = createPublicClient({ chain: { ...hardhat, id: CHAIN_ID }, transport: http(rpcUrl), pollingInterval: 100 }) as PublicClient;
    await wait("the chain to answer", async () => (await publicClient.getChainId()) === CHAIN_ID, 120_000, 100);

    // 2. Deploy with Ignition. The default ports use Ignition's usual journal (chain-31337) and export it to
    // deployments/; other ports (tests) use their own journal, removed afterwards, and no export.
    const isDefault = chainPort === 8545;
    const deploymentId = isDefault ? `chain-${CHAIN_ID}` : `local-${chainPort}`;
    const journal = join(ROOT, "ignition/deployments", deploymentId);
    await rm(journal, { recursive: true, force: true });
    if (!isDefault) tempJournal = journal;
    const params = JSON.parse(await readFile(join(ROOT, "ignition/parameters/local.json"), "utf8")) as { Music: Record<string, unknown> };
    params.Music.contentBaseURI = `${nodeUrls[0]}/content/`;
    const paramsFile = join(dataDir, "ignition-parameters.json");
    await writeFile(paramsFile, JSON.stringify(params, null, 2));
    log.info("deploying the protocol with Ignition");
    await step("deploy", "hardhat", ["run", "--no-compile", "--network", "remote", "scripts/deploy-local.ts"], {
      env: { ...env, RPC_URL: rpcUrl, DEPLOYER_PRIVATE_KEY: accounts[0].privateKey, DCMX_IGNITION_PARAMETERS: paramsFile, DCMX_DEPLOYMENT_ID: deploymentId },
    });
    const deployed = JSON.parse(await readFile(join(journal, "deployed_addresses.json"), "utf8")) as Record<string, Address>;
    const contracts: Record<string, Address> = {};
    for (const [key, address] of Object.entries(deployed)) contracts[key.split("#").pop()!] = getAddress(address);
    if (isDefault) {
      await step("export", process.execPath, ["scripts/export-deployments.ts"]);
    } else {
      await rm(journal, { recursive: true, force: true });
    }
    // From now on blocks also come every second without transactions, so the nodes' confirmations and the
    // registry's commit age pass on their own and block time follows the wall clock. (Not before the deployment:
    // its first block is the exported deployment block, 1 on a fresh chain.)
    await publicClient.request({ method: "evm_setIntervalMining", params: [1000] } as never);
    const { editionsAbi, marketplaceAbi, dcmxTokenAbi, nodeStakingAbi, trackRegistryAbi, typedData } = await import("../deployments/index.ts");

    // 3. Three mesh nodes, each bootstrapped to the other two. The chain is new each run, so each node's database
    // (index, registrations, outbox) goes; its key and operator token stay, so peer ids survive restarts.
    const nodeDirs = nodePorts.map((_, i) => join(dataDir, `node-${i + 1}`));
    for (const dir of nodeDirs) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const entry of await readdir(dir)) if (entry !== "node.key" && entry !== "api-token") await rm(join(dir, entry), { recursive: true, force: true });
    }
    log.info(`starting three mesh nodes on ${nodeUrls.join(", ")}`);
    const nodeChildren = nodePorts.map((port, i) =>
      serve(`node-${i + 1}`, process.execPath, [
        join(ROOT, "node/src/cli/main.ts"),
        "--data-dir", nodeDirs[i],
        "start",
        "--host", "127.0.0.1",
        "--port", String(port),
        "--interval", "1000",
        // Every local client (the browser, the other nodes, tests) is 127.0.0.1: a per-IP limit would throttle all of
        // them as one. (`nodeArgs` come later, so they can set one.)
        "--rate-limit", "0",
        "--rpc-url", rpcUrl,
        "--chain-id", String(CHAIN_ID),
        "--confirmations", "1",
        "--contracts", JSON.stringify(contracts),
        // The web app's artists upload from their wallets.
        "--wallet-upload-mib", "1024",
        ...(opts.nodeArgs ?? []),
        "--peers", ...nodePorts.filter((_, j) => j !== i).map((p) => `127.0.0.1:${p}`),
      ]),
    );
    const peerIds = await Promise.all(
      nodeUrls.map((url, i) =>
        wait(`node ${i + 1} at ${url} to answer`, async () => {
          if (nodeChildren[i].finished) throw new Error(`node ${i + 1} exited: ${await tail(`node-${i + 1}`, 5)}`);
          return getAddress((await json<{ peer_id: string }>(`${url}/ping`)).peer_id);
        }, 60_000, 100),
      ),
    );
    const apiTokens = await Promise.all(nodeDirs.map(async (dir) => (await readFile(join(dir, "api-token"), "utf8")).trim()));

    // 4. Fund each node's wallet with ETH (for its transactions: relayed registrations, receipts, claims) and
    // stake it for its operator (the node key signs NodeRegistration; the operator sends approve + registerNode).
    const wallet = (role: Role) => createWalletClient({ account: account(role), chain: { ...hardhat, id: CHAIN_ID }, transport: http(rpcUrl) });
    const mined = async (hash: Hex, what: string) => {
      const r = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 });
      if (r.status !== "success") throw new Error(`${what} reverted (${hash})`);
      return r;
    };
    const deployer = wallet("deployer");
    for (let i = 0; i < 3; i++) await mined(await deployer.sendTransaction({ to: peerIds[i], value: NODE_ETH }), `funding node ${i + 1}`);
    const minStake = (await publicClient.readContract({ address: contracts.NodeStaking, abi: nodeStakingAbi, functionName: "minStake" })) as bigint;
    const stake = NODE_STAKE > minStake ? NODE_STAKE : minStake;
    const operators: Address[] = [];
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        const role = `operator ${i + 1}` as Role;
        const op = wallet(role);
        operators[i] = op.account.address;
        const { signature } = await json<{ signature: Hex }>(`${nodeUrls[i]}/stake/signature?operator=${op.account.address}`, {
          headers: { authorization: `Bearer ${apiTokens[i]}` },
        });
        await mined(await op.writeContract({ address: contracts.DCMXToken, abi: dcmxTokenAbi, functionName: "approve", args: [contracts.NodeStaking, stake] }), `${role} approving`);
        await mined(
          await op.writeContract({ address: contracts.NodeStaking, abi: nodeStakingAbi, functionName: "registerNode", args: [peerIds[i], nodeUrls[i], stake, signature] }),
          `${role} staking node ${i + 1}`,
        );
      }),
    );
    log.info(`nodes funded (${Number(NODE_ETH / 10n ** 18n)} ETH each) and staked (${Number(stake / 10n ** 18n)} DCMX each)`);

    // The mesh: every node knows the other two.
    await wait("the three nodes to see each other", async () => {
      for (let i = 0; i < 3; i++) {
        const peers = await json<Array<{ peer_id: string; state: string }>>(`${nodeUrls[i]}/peers`);
        const live = new Set(peers.filter((p) => p.state === "connected" || p.state === "active").map((p) => getAddress(p.peer_id)));
        if (!peerIds.every((id, j) => j === i || live.has(id))) return false;
      }
      return true;
    }, 60_000, 250);

    // 5. Demo content.
    let seeded: Network["seeded"] = null;
    if (seed) {
      const artist = wallet("artist");
      const tracks = await cachedDemoTracks();
      const out: SeededTrack[] = [];
      for (const t of tracks) {
        const q = new URLSearchParams({ title: t.title, artist: t.artistName, album: t.album, duration: String(t.duration) });
        const { track } = await json<{ track: { content_hash: string; manifest_root: string; size: number } }>(`${nodeUrls[0]}/tracks?${q}`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiTokens[0]}`, "content-type": t.mediaType },
          body: Buffer.from(t.bytes),
        });
        // Relayed registration: the artist signs the EIP-712 Register; node 1 commits and reveals, paying the gas.
        const nonce = (await publicClient.readContract({ address: contracts.TrackRegistry, abi: trackRegistryAbi, functionName: "nonces", args: [artist.account.address] })) as bigint;
        const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
        const signature = await artist.signTypedData({
          domain: { ...typedData.register.domain, chainId: CHAIN_ID, verifyingContract: contracts.TrackRegistry },
          types: typedData.register.types,
          primaryType: "Register",
          message: {
            contentHash: `0x${track.content_hash}`,
            manifestRoot: `0x${track.manifest_root}`,
            size: BigInt(track.size),
            duration: t.duration,
            title: t.title,
            artistName: t.artistName,
            album: t.album,
            metadataURI: "",
            artist: artist.account.address,
            nonce,
            deadline,
          },
        });
        await json(`${nodeUrls[0]}/tracks/${track.content_hash}/registration`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ artist: artist.account.address, deadline: String(deadline), signature, duration: t.duration, title: t.title, artist_name: t.artistName, album: t.album }),
        });
        // The nonce moves only when the reveal lands, so the next track is signed after this one is registered.
        await wait(`"${t.title}" to be registered on chain`, async () => {
          const { registration } = await json<{ registration: { state: string; reason: string | null } }>(`${nodeUrls[0]}/tracks/${track.content_hash}/registration`);
          if (registration.state === "failed") throw new Error(`registering "${t.title}" failed: ${registration.reason}`);
          return registration.state === "registered";
        }, 90_000, 200);
        out.push({ contentHash: track.content_hash, title: t.title, mediaType: t.mediaType });
      }
      log.info(`seeded ${out.length} tracks, registered on chain by the artist through node 1`);

      // One edition on sale (the MP3 "Mesh Lullaby"), collector 1 buys one token and lists it on the Marketplace.
      const editionTrack = out[1];
      const create = await artist.writeContract({
        address: contracts.Editions,
        abi: editionsAbi,
        functionName: "createEdition",
        args: [
          {
            contentHash: `0x${editionTrack.contentHash}`,
            name: editionTrack.title,
            price: EDITION_PRICE,
            maxSupply: 50,
            royaltyBps: 1000,
            saleStart: 0,
            saleEnd: 0,
            perWalletCap: 0,
            presale: { merkleRoot: zeroHash, price: 0n, start: 0, perWalletCap: 0 },
          },
        ],
      });
      const createdLogs = parseEventLogs({ abi: editionsAbi, eventName: "EditionCreated", logs: (await mined(create, "createEdition")).logs });
      const editionId = (createdLogs[0].args as { editionId: bigint }).editionId;
      const collector = wallet("collector 1");
      const bought = await mined(
        await collector.writeContract({ address: contracts.Editions, abi: editionsAbi, functionName: "buy", args: [editionId, 1n], value: EDITION_PRICE }),
        "buying a token",
      );
      const purchase = parseEventLogs({ abi: editionsAbi, eventName: "EditionPurchased", logs: bought.logs });
      const tokenId = (purchase[0].args as { firstTokenId: bigint }).firstTokenId;
      await mined(
        await collector.writeContract({ address: contracts.Editions, abi: editionsAbi, functionName: "setApprovalForAll", args: [contracts.Marketplace, true] }),
        "approving the Marketplace",
      );
      const expiresAt = Math.floor(Date.now() / 1000) + 90 * 24 * 3600;
      await mined(
        await collector.writeContract({ address: contracts.Marketplace, abi: marketplaceAbi, functionName: "list", args: [contracts.Editions, tokenId, LISTING_PRICE, expiresAt, 0n] }),
        "listing the token",
      );
      seeded = {
        tracks: out,
        editionId,
        editionTrack: editionTrack.contentHash,
        listing: { nft: contracts.Editions, tokenId, seller: collector.account.address, price: LISTING_PRICE },
      };
      log.info(`edition #${editionId} of "${editionTrack.title}" on sale; token ${tokenId} listed by collector 1`);
    }

    // 6. The web app, when it exists.
    let webUrl: string | null = null;
    if (wantWeb && !hasWeb) log.warn("web: web/app does not exist yet, so there is no app to serve (skipped)");
    if (wantWeb && hasWeb) {
      const webEnv = { ...env, DCMX_RPC_URL: rpcUrl, DCMX_CHAIN_ID: String(CHAIN_ID), DCMX_NODE_URLS: nodeUrls.join(",") };
      // One build serves any chain and any node URLs (the app reads DCMX_* at request time), so the build is
      // skipped when no input changed since the last successful one (a hash of every input).
      const stampFile = join(ROOT, "web/.next/dcmx-build-stamp");
      const stamp = await webBuildStamp();
      const built = await readFile(stampFile, "utf8").catch(() => "");
      if (opts.webBuild !== "always" && built === stamp && existsSync(join(ROOT, "web/.next/BUILD_ID"))) {
        log.info("the web app's build is up to date (web/.next)");
      } else {
        log.info("building the web app (npm run build -w @dcmx/web)");
        await step("web-build", "npm", ["run", "build", "-w", "@dcmx/web"], { env: webEnv });
        // After the build: `next build` may itself write inputs (next-env.d.ts, tsconfig.json).
        await writeFile(stampFile, await webBuildStamp());
      }
      const url = `http://127.0.0.1:${webPort}`;
      const next = [join(ROOT, "web/node_modules/.bin/next"), join(ROOT, "node_modules/.bin/next")].find((f) => existsSync(f)) ?? "next";
      const web = serve("web", next, ["start", "-H", "127.0.0.1", "-p", String(webPort)], { cwd: join(ROOT, "web"), env: webEnv });
      await wait(`the web app at ${url} to answer`, async () => {
        if (web.finished) throw new Error(`next start exited: ${await tail("web", 5)}`);
        return (await fetch(url)).status < 500;
      }, 120_000, 250);
      webUrl = url;
    }

    log.info(`ready in ${elapsed()}`);
    return {
      rpcUrl,
      chainId: CHAIN_ID,
      contracts,
      nodes: nodeUrls.map((url, i) => ({ url, peerId: peerIds[i], operator: operators[i], apiToken: apiTokens[i], dataDir: nodeDirs[i], pid: nodeChildren[i].proc.pid! })),
      webUrl,
      accounts,
      seeded,
      pids: children.map((c) => c.proc.pid!).filter(Boolean),
      exited,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
