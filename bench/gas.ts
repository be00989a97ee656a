// `npm run bench:gas`: measures transaction gas on a fresh local chain, prints a table, and writes
// bench/results/gas.json ({"<operation>": gasUsed}) and bench/results/gas.md.
import { mkdir, writeFile } from "node:fs/promises";
import { network } from "hardhat";
import { measureEconomy } from "./gas/economy.ts";
import { measureMusic } from "./gas/music.ts";
import type { GasRow } from "./gas/types.ts";

const { viem } = await network.create();
const rows: GasRow[] = [...(await measureMusic(viem)), ...(await measureEconomy(viem))];

const table = [
  "| operation | gasUsed | target | anchor | |",
  "|---|---:|---:|---|---|",
  ...rows.map((r) => {
    const verdict = r.target === undefined ? "" : r.gasUsed <= BigInt(r.target) ? "ok" : "MISS";
    return `| ${r.operation} | ${r.gasUsed.toLocaleString("en-US")} | ${r.target?.toLocaleString("en-US") ?? ""} | ${r.anchor ?? ""} | ${verdict} |`;
  }),
].join("\n");
console.log(table);

const dir = new URL("./results/", import.meta.url);
await mkdir(dir, { recursive: true });
await writeFile(new URL("gas.json", dir), JSON.stringify(Object.fromEntries(rows.map((r) => [r.operation, Number(r.gasUsed)])), null, 2) + "\n");
await writeFile(
  new URL("gas.md", dir),
  `# Gas (\`npm run bench:gas\`)\n\nTransaction gasUsed including the 21,000 base, Hardhat EDR chain, solc 0.8.30 optimizer 10,000 runs, ${new Date().toISOString().slice(0, 10)}.\n\n${table}\n`,
);
if (rows.some((r) => r.target !== undefined && r.gasUsed > BigInt(r.target))) process.exitCode = 1;
