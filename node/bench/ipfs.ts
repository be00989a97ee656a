/**
 * IPFS benchmarks (issue 11). Run: `npm run bench:ipfs -w @dcmx/node` (or `node node/bench/ipfs.ts`).
 * Prints JSON and writes bench/results/ipfs.{json,md} at the repo root (not for BENCH_QUICK smoke runs).
 * Everything runs on 127.0.0.1 with two `dcmx start` processes. BENCH_QUICK=1 for a smoke run.
 *
 * 1. CID at upload: `POST /tracks` of a fresh 100 MiB file to a node computing CIDs and to one
 *    started with --no-ipfs, interleaved, same files; overhead = median(with) / median(without) - 1.
 * 2. CAR export: `curl` of `GET /ipfs/{cid}?format=car` vs `GET /content/{hash}` of the same track on
 *    the same node, interleaved; ratio of best-of-N throughputs (medians alongside).
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { computeManifest } from '../src/core/manifest.ts'
import { buildTrackDag } from '../src/ipfs/dag.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const MAIN = join(HERE, '../src/cli/main.ts')
import { saveResults } from './results.ts'

const QUICK = process.env.BENCH_QUICK === '1'
const FILE_MIB = QUICK ? 16 : 100
const REPS = QUICK ? 2 : 7

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => execFile(cmd, args, { maxBuffer: 1 << 20 }, (err, out) => (err ? rej(err) : res(out))))
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
})

async function startCliNode(dataDir: string, extra: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--optimize-for-size', MAIN, '--data-dir', dataDir, 'start', '--host', '127.0.0.1', '--port', '0', '--rate-limit', '0', '--log-level', 'warn', '--max-upload-mib', '1024', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  children.add(proc)
  let buf = ''
  proc.stderr?.setEncoding('utf8')
  while (true) {
    const [chunk] = (await once(proc.stderr as NodeJS.ReadableStream, 'data')) as [string]
    buf += chunk
    const m = /listening on (http:\/\/\S+)/.exec(buf)
    if (m) return { proc, url: m[1] }
  }
}

async function stop(proc: ChildProcess): Promise<void> {
  children.delete(proc)
  if (proc.exitCode !== null) return
  proc.kill('SIGTERM')
  await once(proc, 'exit')
}

/** A distinct pseudo-random file per `seed` (every upload is new content: no dedup shortcut). */
async function writeFile(path: string, mib: number, seed: number): Promise<void> {
  const ws = createWriteStream(path)
  const block = Buffer.alloc(1 << 20)
  for (let i = 0; i < mib; i++) {
    createHash('sha256').update(`${seed}:${i}`).digest().copy(block, 0)
    for (let j = 32; j < block.length; j += 32) block.writeUInt32LE((i * 2654435761 + j * 40503 + seed * 97) >>> 0, j)
    if (!ws.write(block)) await once(ws, 'drain')
  }
  ws.end()
  await once(ws, 'finish')
}

/** `POST /tracks` with curl; seconds from first byte sent to the response. */
async function uploadSeconds(url: string, dataDir: string, file: string): Promise<{ seconds: number; track: { content_hash: string; cid?: string } }> {
  const token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim()
  const out = await sh('curl', ['-s', '-f', '-X', 'POST', '-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/octet-stream', '--data-binary', `@${file}`, '-w', '\n%{time_total}', `${url}/tracks?title=bench&artist=bench`])
  const nl = out.lastIndexOf('\n')
  return { seconds: Number(out.slice(nl + 1)), track: (JSON.parse(out.slice(0, nl)) as { track: { content_hash: string; cid?: string } }).track }
}

/** `curl -o /dev/null`: bytes per second of one whole download. */
async function curlSpeed(url: string, headers: string[] = []): Promise<{ bps: number; size: number }> {
  const out = await sh('curl', ['-s', '-f', ...headers.flatMap((h) => ['-H', h]), '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url])
  const [size, t] = out.trim().split(' ').map(Number)
  return { bps: size / t, size }
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'dcmx-bench-ipfs-'))
  try {
    const dirA = join(work, 'with-ipfs')
    const dirB = join(work, 'no-ipfs')
    const a = await startCliNode(dirA)
    const b = await startCliNode(dirB, ['--no-ipfs'])
    const withCid: number[] = []
    const withoutCid: number[] = []
    let last: { content_hash: string; cid?: string } | undefined
    const file = join(work, 'track.bin')
    for (let r = 0; r <= REPS; r++) {
      await writeFile(file, FILE_MIB, r)
      // Alternate the order so page cache and CPU warmth favour neither side.
      const order = r % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)
      for (const side of order) {
        const u = side === 'a' ? await uploadSeconds(a.url, dirA, file) : await uploadSeconds(b.url, dirB, file)
        if (r === 0) continue // warm-up
        ;(side === 'a' ? withCid : withoutCid).push(u.seconds)
        if (side === 'a') last = u.track
      }
      log(`upload ${r}: with CID ${withCid.at(-1) ?? '-'} s, without ${withoutCid.at(-1) ?? '-'} s`)
    }
    const manifest = await computeManifest(file)
    const t0 = performance.now()
    const dag = await buildTrackDag(manifest)
    const dagMs = performance.now() - t0
    await rm(file, { force: true })
    await stop(b.proc)

    if (!last?.cid) throw new Error('node did not return a CID')
    const content = `${a.url}/content/${last.content_hash}`
    const car = `${a.url}/ipfs/${last.cid}?format=car`
    const carHeaders = ['accept: application/vnd.ipld.car']
    await curlSpeed(content)
    const carSize = (await curlSpeed(car, carHeaders)).size
    const speeds = { content: [] as number[], car: [] as number[] }
    for (let i = 0; i < REPS; i++) {
      speeds.content.push((await curlSpeed(content)).bps)
      speeds.car.push((await curlSpeed(car, carHeaders)).bps)
    }
    await stop(a.proc)
    const best = (xs: number[]): number => Math.max(...xs)
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      fileMiB: FILE_MIB,
      repetitions: REPS,
      upload: {
        withCidMedianS: round(median(withCid)),
        withoutCidMedianS: round(median(withoutCid)),
        withCidBestS: round(Math.min(...withCid)),
        withoutCidBestS: round(Math.min(...withoutCid)),
        overheadMedian: round(median(withCid) / median(withoutCid) - 1),
        overheadBest: round(Math.min(...withCid) / Math.min(...withoutCid) - 1),
        dagBuildMs: round(dagMs, 2),
        interiorNodes: dag.nodes.length,
        target: '<= 0.10',
      },
      carExport: {
        contentBestMBps: round(best(speeds.content) / 1e6, 0),
        carBestMBps: round(best(speeds.car) / 1e6, 0),
        contentMedianMBps: round(median(speeds.content) / 1e6, 0),
        carMedianMBps: round(median(speeds.car) / 1e6, 0),
        ratioBest: round(best(speeds.car) / best(speeds.content)),
        ratioMedian: round(median(speeds.car) / median(speeds.content)),
        carBytes: carSize,
        contentBytes: FILE_MIB << 20,
        target: '>= 0.8',
      },
    }
    const u = result.upload
    const c = result.carExport
    const table = `# IPFS (\`npm run bench:ipfs\`)

${result.date.slice(0, 10)}, ${cpus().length} vCPUs, everything on 127.0.0.1, ${FILE_MIB} MiB file.

| Figure | Result | Target |
|---|---|---|
| POST /tracks ${FILE_MIB} MiB, CID computed vs --no-ipfs (median of ${REPS}) | ${u.withCidMedianS} s vs ${u.withoutCidMedianS} s: ${round(u.overheadMedian * 100, 1)}% (best ${round(u.overheadBest * 100, 1)}%) | <= 10% |
| DAG build from the manifest alone | ${u.dagBuildMs} ms, ${u.interiorNodes} interior node(s) | |
| GET /ipfs/{cid} CAR vs /content, median of ${REPS} | ${c.carMedianMBps} vs ${c.contentMedianMBps} MB/s: ${c.ratioMedian}x (best of ${REPS}: ${c.ratioBest}x) | >= 0.8x |
`
    await saveResults('ipfs', result, table)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

await main()
