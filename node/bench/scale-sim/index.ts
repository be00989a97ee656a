/**
 * `npm run bench:scale:sim -w @dcmx/node`: the DHT simulation of issue 10. Real hyperdht / dht-rpc nodes
 * (unmodified, from node_modules) on an in-memory UDX (net.ts) driven by a virtual clock (clock.ts), N nodes in one
 * process per size, each size in its own child process (clean memory figures, one at a time). Per size: bootstrap,
 * settle, announce M tracks by their k = 3 designated holders (replication's `designate`), then lookups from random
 * nodes under churn while replication passes repair. Writes bench/results/scale-sim.{json,md} and
 * scale-sim-{hops,latency,messages,replication}.svg.
 *
 * Env: SCALE_SIM_SIZES (default 100,300,1000,3000,10000), SCALE_SIM_SEED (1), SCALE_SIM_LOOKUPS (1000),
 * SCALE_SIM_TIMEOUT_MIN (per size, 25), BENCH_QUICK=1 (sizes 100,300, 200 lookups, nothing written).
 */
import { execFile } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mkdir, readFile, writeFile } from 'node:fs/promises'

import { saveResults } from '../results.ts'
import { type ScenarioResult, runScenario } from './sim.ts'
import { lineChart } from './svg.ts'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const RESULTS = join(HERE, '..', '..', '..', 'bench', 'results')
const QUICK = process.env.BENCH_QUICK === '1'

async function versionOf(pkg: string): Promise<string> {
  for (let dir = HERE; ; dir = dirname(dir)) {
    try {
      return (JSON.parse(await readFile(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version
    } catch {
      if (dir === dirname(dir)) return 'unknown'
    }
  }
}

/** Per-size options: tracks min(500, N/2), joins in batches of N/50 (at least 20). */
function optionsFor(n: number): Parameters<typeof runScenario>[0] {
  return {
    n,
    seed: Number(process.env.SCALE_SIM_SEED ?? 1),
    tracks: Math.min(500, Math.floor(n / 2)),
    lookups: Number(process.env.SCALE_SIM_LOOKUPS ?? (QUICK ? 200 : 1000)),
    joinBatch: Math.max(20, Math.floor(n / 50)),
    log: (m) => process.stderr.write(`[N=${n}] ${m}\n`),
  }
}

if (process.argv[2] === '--child') {
  const r = await runScenario(optionsFor(Number(process.argv[3])))
  process.stdout.write(`${JSON.stringify(r)}\n`)
  process.exit(0)
}

function runChild(n: number): Promise<ScenarioResult> {
  const timeoutMin = Number(process.env.SCALE_SIM_TIMEOUT_MIN ?? 25)
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--expose-gc', '--max-old-space-size=12288', fileURLToPath(import.meta.url), '--child', String(n)], { maxBuffer: 64 << 20, timeout: timeoutMin * 60_000, killSignal: 'SIGKILL' }, (err, stdout) => {
      if (err) reject(err)
      else resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as ScenarioResult)
    })
    child.stderr?.pipe(process.stderr)
  })
}

/** Least squares y = a + b * log2(N) over the measured sizes (the model used for a size that could not run). */
function fitLog2(points: Array<[number, number]>): { a: number; b: number } {
  const xs = points.map(([n]) => Math.log2(n))
  const ys = points.map(([, y]) => y)
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length
  const my = ys.reduce((s, y) => s + y, 0) / ys.length
  const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / Math.max(1e-9, xs.reduce((s, x) => s + (x - mx) ** 2, 0))
  return { a: my - b * mx, b }
}

const sizes = (process.env.SCALE_SIM_SIZES ?? (QUICK ? '100,300' : '100,300,1000,3000,10000')).split(',').map(Number)
const runs: ScenarioResult[] = []
const failures: Array<{ n: number; error: string }> = []
for (const n of sizes) {
  process.stderr.write(`--- N = ${n}\n`)
  try {
    runs.push(await runChild(n))
  } catch (err) {
    const e = err as Error & { killed?: boolean; signal?: string }
    failures.push({ n, error: e.killed ? `killed (${e.signal}) at the per-size limit of ${process.env.SCALE_SIM_TIMEOUT_MIN ?? 25} min wall (SCALE_SIM_TIMEOUT_MIN)` : e.message.split('\n')[0] })
    process.stderr.write(`N = ${n} failed: ${(err as Error).message}\n`)
  }
}

const hopsFit = fitLog2(runs.map((r) => [r.n, r.lookups.hops.mean]))
const latFit = fitLog2(runs.map((r) => [r.n, r.lookups.latencyMs.p50]))
const unmeasured = [...new Set([...failures.map((f) => f.n), ...(runs.some((r) => r.n === 10_000) ? [] : [10_000])])]
const models = unmeasured.map((n) => ({ n, kind: 'model (least squares on log2 N over the measured sizes)', hopsMean: Math.round((hopsFit.a + hopsFit.b * Math.log2(n)) * 100) / 100, latencyP50Ms: Math.round(latFit.a + latFit.b * Math.log2(n)) }))
const at10k = runs.find((r) => r.n === 10_000)
const target = at10k
  ? { n: 10_000, kind: 'measured (same code)', hopsP50: at10k.lookups.hops.p50, log2N: at10k.lookups.log2N, met: at10k.lookups.hops.p50 <= Math.log2(10_000) }
  : { n: 10_000, kind: 'model', hopsMeanModel: Math.round((hopsFit.a + hopsFit.b * Math.log2(10_000)) * 100) / 100, log2N: Math.round(Math.log2(10_000) * 100) / 100 }

const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform }
const command = 'npm run bench:scale:sim -w @dcmx/node'
const result = { name: 'scale-sim', command, date: new Date().toISOString(), machine, hyperdht: await versionOf('hyperdht'), runs, failures, models, target, fits: { hopsMean: hopsFit, latencyP50Ms: latFit } }

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`
const rows = runs.map((r) => `| ${r.n} | ${r.lookups.hops.p50} / ${r.lookups.hops.p99} (mean ${r.lookups.hops.mean}) | ${r.lookups.log2N} | ${r.lookups.latencyMs.p50} / ${r.lookups.latencyMs.p99} ms | ${pct(r.lookups.successRate)} | ${r.messagesPerNodePerMin.idle} / ${r.messagesPerNodePerMin.lookupPhase} | ${r.memory.rssPerNodeKiB} / ${r.memory.heapPerNodeKiB} KiB | ${r.replication.repairs} | ${pct(r.replication.duringChurnMean)} (min ${pct(r.replication.duringChurnMin)}) | ${pct(r.replication.afterRepair)} | ${r.wallSeconds} s |`)
const md = `# DHT simulation (issue 10): hyperdht at 100 to 10,000 nodes

Command: \`${command}\` (${result.date}; ${machine.cpus} x ${machine.cpuModel}, ${machine.totalMemGiB} GiB shared, Node ${machine.node}, hyperdht ${result.hyperdht}).

Method: the real hyperdht / dht-rpc code, unmodified, with \`opts.udx\` set to an in-memory UDX (virtual IPv4
10.x.y.z per node); every packet and timer runs on one virtual clock (a binary heap), so figures are simulated time
and do not depend on the machine's load. Link latency: lognormal per link (one way, median ${runs[0]?.network.medianMs} ms, sigma ${runs[0]?.network.sigma}) plus exponential
per-packet jitter (mean ${runs[0]?.network.jitterMs} ms), loss ${runs[0]?.network.loss}; seeded (seed ${runs[0]?.options.seed}). Per size: join in batches of N/50 (at least 20), settle
${(runs[0]?.options.settleMs ?? 0) / 1000} s, min(500, N/2) tracks announced by their k = ${runs[0]?.options.k} designated holders (\`designate\` over the live set), then a
${(runs[0]?.options.lookupPhaseMs ?? 0) / 60_000} min lookup phase: ${runs[0]?.options.lookups} lookups from random live non-holders, churn ${pct(runs[0]?.options.churnPerMin ?? 0)} of N per minute (crash: a node
stops at once; as many new nodes join), holders re-announce every ${(runs[0]?.options.reannounceMs ?? 0) / 60_000} min, replication passes every ${(runs[0]?.options.passMs ?? 0) / 1000} s with a
departed node still counted live for ${(runs[0]?.options.deadAfterMs ?? 0) / 60_000} min (deadAfterMs); then ${(runs[0]?.options.tailMs ?? 0) / 60_000} min without churn for repair.

Hops: depth of the node whose reply carried the first record naming a LIVE holder, in the lookup's introduction
tree (a node from the querier's own routing table = 1, a node learned from a depth-d node's reply = d + 1).
Latency: simulated time from the query's start to that reply. Success: a live holder found within 30 s.
Messages: UDP packets sent per live node per simulated minute, idle (second half of the settle) and over the
lookup phase (maintenance + announces + lookups + joins). Memory: RSS and heap (+ external) growth per node after
the settle, measured in the child process after GC.

| N | hops p50 / p99 | log2 N | latency p50 / p99 | success | msgs/node/min idle / lookup phase | RSS / heap per node | repairs | k live holders during churn | after repair | wall |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
${models.length ? `\nNot measured in this run (see failures and node/README.md "Simulation (issue 10)" for the 10,000-node attempt), a model from the measured sizes: ${models.map((m) => `N = ${m.n}: hops mean ${m.hopsMean}, latency p50 ${m.latencyP50Ms} ms`).join('; ')}.\n` : ''}
Target (issue 10): lookup p50 <= log2(N) hops at N = 10,000: ${at10k ? `${at10k.lookups.hops.p50} <= ${at10k.lookups.log2N}: ${target.met ? 'met' : 'NOT met'} (measured, same code)` : `not measured; model ${JSON.stringify(target)}`}.
${failures.length ? `\nFailures: ${failures.map((f) => `N = ${f.n}: ${f.error}`).join('; ')}\n` : ''}
Plots: scale-sim-hops.svg, scale-sim-latency.svg, scale-sim-messages.svg, scale-sim-replication.svg.
`

await saveResults('scale-sim', result, md)
if (!QUICK) {
  await mkdir(RESULTS, { recursive: true })
  const xs = (f: (r: ScenarioResult) => number): Array<[number, number]> => runs.map((r) => [r.n, f(r)])
  const charts: Record<string, string> = {
    'scale-sim-hops.svg': lineChart({ title: 'hyperdht lookup hops vs network size (simulated)', xLabel: 'nodes N', yLabel: 'hops to first live holder', xLog: true, yMin: 0, series: [{ name: 'p50', points: xs((r) => r.lookups.hops.p50) }, { name: 'mean', points: xs((r) => r.lookups.hops.mean) }, { name: 'p99', points: xs((r) => r.lookups.hops.p99) }, { name: 'log2 N (target)', points: xs((r) => Math.log2(r.n)), dashed: true }], note: `${command}, ${result.date.slice(0, 10)}` }),
    'scale-sim-latency.svg': lineChart({ title: 'lookup latency vs network size (simulated time)', xLabel: 'nodes N', yLabel: 'ms to first live holder', xLog: true, yMin: 0, series: [{ name: 'p50', points: xs((r) => r.lookups.latencyMs.p50) }, { name: 'p90', points: xs((r) => r.lookups.latencyMs.p90) }, { name: 'p99', points: xs((r) => r.lookups.latencyMs.p99) }], note: `one-way link latency lognormal, median ${runs[0]?.network.medianMs} ms` }),
    'scale-sim-messages.svg': lineChart({ title: 'UDP packets per node per minute', xLabel: 'nodes N', yLabel: 'packets / node / min', xLog: true, yMin: 0, series: [{ name: 'idle', points: xs((r) => r.messagesPerNodePerMin.idle) }, { name: 'lookup phase', points: xs((r) => r.messagesPerNodePerMin.lookupPhase) }], note: 'lookup phase: maintenance + churn joins + re-announces + repairs + lookups' }),
    'scale-sim-replication.svg': lineChart({ title: 'tracks with k = 3 live holders (churn 1 %/min)', xLabel: 'nodes N', yLabel: '% of tracks', xLog: true, yMin: 0, series: [{ name: 'during churn (mean)', points: xs((r) => 100 * r.replication.duringChurnMean) }, { name: 'during churn (min)', points: xs((r) => 100 * r.replication.duringChurnMin) }, { name: 'after repair', points: xs((r) => 100 * r.replication.afterRepair) }], note: 'a departed holder counts as live for deadAfterMs = 5 min, then the next ranked node fetches' }),
  }
  for (const [file, svg] of Object.entries(charts)) await writeFile(join(RESULTS, file), svg)
}
