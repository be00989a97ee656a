import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createPublicClient, getAddress, http } from "viem";
import { editionsAbi, marketplaceAbi, nodeStakingAbi, trackRegistryAbi } from "@dcmx/deployments";
import { catalogTracksResponseSchema, catalogListingsResponseSchema } from "@dcmx/node/api";
import { startNetwork, type Network } from "../../scripts/network.ts";

/** Walks a WAV file's RIFF header: PCM, 16-bit, and the data chunk runs exactly to the end. Returns seconds. */
function wavSeconds(b: Uint8Array): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ascii = (at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
  assert.equal(ascii(0, 4), "RIFF");
  assert.equal(v.getUint32(4, true), b.length - 8);
  assert.equal(ascii(8, 4), "WAVE");
  assert.equal(ascii(12, 4), "fmt ");
  assert.equal(v.getUint16(20, true), 1, "PCM");
  const channels = v.getUint16(22, true);
  const rate = v.getUint32(24, true);
  assert.equal(v.getUint16(34, true), 16, "16-bit");
  assert.equal(v.getUint32(28, true), rate * channels * 2, "byte rate");
  assert.equal(ascii(36, 4), "data");
  assert.equal(v.getUint32(40, true), b.length - 44);
  return (b.length - 44) / (rate * channels * 2);
}

/** Walks an MP3 frame by frame (MPEG-1 Layer III headers, each frame's length from its bit rate): the frames tile the file. Returns seconds. */
function mp3Seconds(b: Uint8Array): number {
  const kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
  const rates = [44_100, 48_000, 32_000];
  let at = 0;
  let frames = 0;
  let rate = 0;
  while (at < b.length) {
    assert.ok(at + 4 <= b.length, `a truncated frame header at ${at}`);
    assert.equal(b[at], 0xff, `frame sync at ${at}`);
    assert.equal(b[at + 1] & 0xfe, 0xfa, `MPEG-1 Layer III at ${at}`);
    const bitrate = kbps[b[at + 2] >> 4];
    rate = rates[(b[at + 2] >> 2) & 3];
    assert.ok(bitrate && rate, `a valid bit rate and sample rate at ${at}`);
    at += Math.floor((144 * bitrate * 1000) / rate) + ((b[at + 2] >> 1) & 1);
    frames++;
  }
  assert.equal(at, b.length, "the last frame ends exactly at the end of the file");
  return (frames * 1152) / rate;
}

describe("npm start's local network (startNetwork on free ports, no web app)", () => {
  let net: Network;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "dcmx-network-"));
    const quiet = { info: () => {}, warn: (m: string) => console.warn(m) };
    net = await startNetwork({ dataDir, ports: { chain: 0, nodes: [0, 0, 0], web: 0 }, seed: true, web: "none", logger: quiet });
  });

  after(async () => {
    await net?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const client = () => createPublicClient({ transport: http(net.rpcUrl) });
  const json = async (url: string) => {
    const res = await fetch(url);
    assert.equal(res.status, 200, `${url}: ${res.status}`);
    return res.json();
  };

  it("runs three nodes that answer, each staked for its own demo operator, that see each other", async () => {
    assert.equal(net.nodes.length, 3);
    const minStake = await client().readContract({ address: net.contracts.NodeStaking, abi: nodeStakingAbi, functionName: "minStake" });
    const operators = net.accounts.filter((a) => a.role.startsWith("operator")).map((a) => a.address);
    assert.deepEqual(net.nodes.map((n) => n.operator), operators);
    for (const node of net.nodes) {
      const ping = (await json(`${node.url}/ping`)) as { status: string; peer_id: string };
      assert.equal(ping.status, "ok");
      assert.equal(getAddress(ping.peer_id), node.peerId);
      const staked = await client().readContract({ address: net.contracts.NodeStaking, abi: nodeStakingAbi, functionName: "nodeOf", args: [node.peerId] });
      assert.equal(staked.operator, node.operator);
      assert.ok(staked.stake >= minStake, `node ${node.url} stakes at least minStake`);
      assert.ok((await client().getBalance({ address: node.peerId })) > 0n, "the node's wallet has ETH for gas");
      const peers = (await json(`${node.url}/peers`)) as Array<{ peer_id: string; state: string }>;
      const others = net.nodes.filter((n) => n !== node).map((n) => n.peerId);
      for (const other of others) {
        const p = peers.find((q) => getAddress(q.peer_id) === other);
        assert.ok(p && ["connected", "active"].includes(p.state), `${node.url} sees ${other} (${p?.state ?? "unknown"})`);
      }
    }
  });

  it("registers the demo tracks on chain for the artist; node 2's catalog lists them with node 1 as a holder", async () => {
    const artist = net.accounts.find((a) => a.role === "artist")!.address;
    const seeded = net.seeded!;
    assert.ok(seeded.tracks.length >= 2);
    for (const t of seeded.tracks) {
      const track = await client().readContract({ address: net.contracts.TrackRegistry, abi: trackRegistryAbi, functionName: "getTrack", args: [`0x${t.contentHash}`] });
      assert.equal(track.artist, artist);
    }
    // Node 2 indexes the registry and learns the holders by gossip: poll until it lists every track.
    const want = new Set(seeded.tracks.map((t) => t.contentHash));
    let listed: Array<{ content_hash: string; title: string; artist: string; holders: Array<{ peer_id: string }> }> = [];
    for (let i = 0; i < 100; i++) {
      listed = catalogTracksResponseSchema.parse(await json(`${net.nodes[1].url}/catalog/tracks?limit=200`)).tracks;
      const ready = listed.filter((t) => want.has(t.content_hash) && t.holders.some((h) => getAddress(h.peer_id) === net.nodes[0].peerId));
      if (ready.length === want.size) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const t of seeded.tracks) {
      const entry = listed.find((l) => l.content_hash === t.contentHash);
      assert.ok(entry, `node 2 lists "${t.title}"`);
      assert.equal(entry.title, t.title);
      assert.equal(getAddress(entry.artist), artist);
      assert.ok(entry.holders.some((h) => getAddress(h.peer_id) === net.nodes[0].peerId), `node 1 holds "${t.title}"`);
    }
  });

  it("puts one edition on sale and lists one bought token on the Marketplace", async () => {
    const { editionId, listing, editionTrack } = net.seeded!;
    const edition = await client().readContract({ address: net.contracts.Editions, abi: editionsAbi, functionName: "getEdition", args: [editionId] });
    const now = Math.floor(Date.now() / 1000);
    assert.equal(edition.contentHash, `0x${editionTrack}`);
    assert.equal(edition.artist, net.accounts.find((a) => a.role === "artist")!.address);
    assert.ok(edition.price > 0n);
    assert.ok(edition.minted >= 1 && edition.minted < edition.maxSupply, "sold some, not sold out");
    assert.ok(edition.saleStart <= now && (edition.saleEnd === 0 || edition.saleEnd > now), "the sale is open");

    const onChain = await client().readContract({ address: net.contracts.Marketplace, abi: marketplaceAbi, functionName: "getListing", args: [listing.nft, listing.tokenId] });
    assert.equal(onChain.seller, listing.seller);
    assert.equal(onChain.price, listing.price);
    assert.ok(onChain.expiresAt > now);
    assert.equal(await client().readContract({ address: net.contracts.Editions, abi: editionsAbi, functionName: "ownerOf", args: [listing.tokenId] }), listing.seller);
    let status = "";
    for (let i = 0; i < 100 && status !== "active"; i++) {
      const { listings } = catalogListingsResponseSchema.parse(await json(`${net.nodes[2].url}/catalog/listings?seller=${listing.seller}`));
      status = listings.find((l) => BigInt(l.token_id) === listing.tokenId)?.status ?? "";
      if (status !== "active") await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, "active", "node 3's catalog shows the listing active");
  });

  it("serves the WAV and the MP3 as real audio of their media type", async () => {
    const kinds = new Set<string>();
    for (const t of net.seeded!.tracks) {
      const res = await fetch(`${net.nodes[0].url}/content/${t.contentHash}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), t.mediaType);
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(createHash("sha256").update(bytes).digest("hex"), t.contentHash);
      const seconds = t.mediaType === "audio/wav" ? wavSeconds(bytes) : mp3Seconds(bytes);
      assert.ok(seconds >= 10 && seconds <= 30, `"${t.title}" lasts 10-30 s (${seconds.toFixed(1)} s)`);
      kinds.add(t.mediaType);
    }
    assert.deepEqual([...kinds].sort(), ["audio/mpeg", "audio/wav"]);
  });

  it("stop() ends every child process and its process group", async () => {
    const pids = net.pids;
    assert.ok(pids.length >= 4, "the chain and three nodes");
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(pids.every((pid) => alive(pid)));
    await net.stop();
    assert.deepEqual(pids.filter((pid) => alive(pid) || alive(-pid)), [], "no process (or process group) left behind");
    for (const node of net.nodes) await assert.rejects(fetch(`${node.url}/ping`));
  });
});
