/**
 * Gossip traffic per node per minute against network size and tracks in the network (issue 10), before and after
 * the change, in the same run. Run: `npm run bench:gossip -w @dcmx/node` (or `node node/bench/gossip-traffic.ts`).
 * Writes bench/results/gossip-traffic.json, .md and .svg at the repo root. Everything runs on 127.0.0.1.
 *
 * "Before" is the node code at BENCH_BEFORE_REF (default: the merge-base of HEAD and `main`), extracted with
 * `git archive` into a temp dir; "after" is this checkout. Each (variant, nodes, tracks) point runs in its own
 * child process with the variant's own test helpers: N real nodes on a line (node i bootstraps to node i-1),
 * fanout 3, the tracks split over the nodes (signed metadata stored locally, no audio: gossip never reads it),
 * lockstep gossip rounds until every node knows every track's holder and metadata, then MEASURE_ROUNDS steady
 * rounds during which every byte read and written by the nodes' HTTP servers is counted (each /discover exchange
 * has one callee, so this counts every exchange once, headers included). Per node per minute = bytes per node per
 * round x 12 (the default interval, 5 s). BENCH_QUICK=1: a smaller grid, results not written.
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const REPO = resolve(HERE, '../..')
const QUICK = process.env.BENCH_QUICK === '1'
const MEASURE_ROUNDS = QUICK ? 3 : 5
const MAX_WARMUP_ROUNDS = 20
const ROUNDS_PER_MINUTE = 60_000 / 5000
const FANOUT = 3

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`)
const round = (x: number, d = 0): number => Math.round(x * 10 ** d) / 10 ** d

interface Point {
  variant: 'before' | 'after'
  nodes: number
  tracks: number
  /** Lockstep rounds until every node knew every holder and every track's metadata (null: not within the cap). */
  convergeRounds: number | null
  bytesPerNodePerRound: number
  bytesPerNodePerMinute: number
  /** After only: the node's own dcmx_gossip_bytes_total over the same rounds (bodies only), per node per minute. */
  metricBytesPerNodePerMinute?: number
  seconds: number
}

// ---------------------------------------------------------------------------------------------------------------
// Worker: one point, with the code under `root` (a checkout's node/ directory).

async function worker(root: string, n: number, t: number, variant: 'before' | 'after'): Promise<Point> {
  const t0 = performance.now()
  const helpers = (await import(pathToFileURL(join(root, 'test/helpers.ts')).href)) as typeof import('../test/helpers.ts')
  const meta = (await import(pathToFileURL(join(root, 'src/mesh/track-metadata.ts')).href)) as typeof import('../src/mesh/track-metadata.ts')
  type Node = Awaited<ReturnType<typeof helpers.startNode>>
  const nodes: Node[] = []
  const sockets: Socket[] = []
  try {
    for (let i = 0; i < n; i++) {
      const prev = nodes[i - 1]
      const node = await helpers.startNode({ fanout: FANOUT, ipfs: false, connectTimeoutMs: 60_000, peers: prev ? [{ host: '127.0.0.1', port: Number(new URL(prev.url).port) }] : [] })
      node.server.server.on('connection', (s: Socket) => sockets.push(s))
      nodes.push(node)
    }
    const hashes: string[] = []
    for (let k = 0; k < t; k++) {
      const node = nodes[k % n]
      const content_hash = createHash('sha256').update(`gossip-bench ${n} ${t} ${k}`).digest('hex')
      const track = { title: `Track ${k}`, artist: `Artist ${k % 97}`, album: null, duration: 180, content_hash, size: 4_000_000, manifest_root: null, created_at: new Date().toISOString() }
      node.tracks.upsert(await meta.signTrackMetadata(node.announcer.account, track), true)
      hashes.push(content_hash)
    }
    const lockstep = (): Promise<unknown> => Promise.all(nodes.map((x) => x.gossip.round()))
    const converged = (): boolean => nodes.every((x) => x.peers.size === n - 1 && x.knownHashes().size >= t && x.tracks.listAll().length >= t)
    let convergeRounds: number | null = null
    for (let r = 1; r <= MAX_WARMUP_ROUNDS; r++) {
      await lockstep()
      if (converged()) {
        convergeRounds = r
        break
      }
    }
    // Two more rounds so that acknowledgements settle, then the steady state.
    await lockstep()
    await lockstep()
    const bytes = (): number => sockets.reduce((s, x) => s + x.bytesRead + x.bytesWritten, 0)
    const metric = async (): Promise<number> => {
      let s = 0
      for (const x of nodes) {
        const c = (x.metrics as { gossipBytes?: { get: () => Promise<{ values: Array<{ value: number }> }> } }).gossipBytes
        if (c) for (const v of (await c.get()).values) s += v.value
      }
      return s
    }
    const b0 = bytes()
    const m0 = await metric()
    for (let r = 0; r < MEASURE_ROUNDS; r++) await lockstep()
    // Socket counters are read on the server side: bytes written by the server reach the counter at once, bytes
    // read may lag a tick behind; let the event loop drain.
    await new Promise((r) => setTimeout(r, 50))
    const perRound = (bytes() - b0) / n / MEASURE_ROUNDS
    const m = ((await metric()) - m0) / n / MEASURE_ROUNDS
    return {
      variant,
      nodes: n,
      tracks: t,
      convergeRounds,
      bytesPerNodePerRound: round(perRound),
      bytesPerNodePerMinute: round(perRound * ROUNDS_PER_MINUTE),
      ...(m > 0 ? { metricBytesPerNodePerMinute: round(m * ROUNDS_PER_MINUTE) } : {}),
      seconds: round((performance.now() - t0) / 1000, 1),
    }
  } finally {
    await Promise.all(nodes.map((x) => x.cleanup()))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator.

/** The node package at `ref`, extracted to a temp dir that resolves this checkout's node_modules. */
async function checkoutBefore(ref: string): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dcmx-gossip-before-'))
  const tar = execFileSync('git', ['-C', REPO, 'archive', ref, 'package.json', 'node/package.json', 'node/src', 'node/test/helpers.ts'], { maxBuffer: 1 << 30 })
  execFileSync('tar', ['-x', '-C', dir], { input: tar })
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'))
  try {
    await symlink(join(REPO, 'node/node_modules'), join(dir, 'node/node_modules'))
  } catch {}
  return { root: join(dir, 'node'), cleanup: () => rm(dir, { recursive: true, force: true }) }
}

function runPoint(root: string, variant: 'before' | 'after', n: number, t: number): Promise<Point> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', root, String(n), String(t), variant], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
    child.on('exit', (code) => (code === 0 ? res(JSON.parse(out) as Point) : rej(new Error(`${variant} N=${n} T=${t} exited with ${code}`))))
  })
}

const fmt = (b: number): string => (b >= 1e6 ? `${round(b / 1e6, 2)} MB` : b >= 1e3 ? `${round(b / 1e3, 1)} kB` : `${round(b)} B`)

/** Two log-scale panels: bytes per node per minute vs tracks (fixed nodes) and vs nodes (fixed tracks). */
function svg(points: Point[], fixedNodes: number, fixedTracks: number): string {
  const W = 900
  const H = 380
  const panel = (x0: number, title: string, xs: number[], pick: (p: Point) => boolean, xOf: (p: Point) => number, xLabel: string): string => {
    const pw = 380
    const ph = 260
    const y0 = 60
    const sel = points.filter(pick)
    if (sel.length === 0) return ''
    const ys = sel.map((p) => p.bytesPerNodePerMinute).filter((v) => v > 0)
    const lo = Math.floor(Math.log10(Math.min(...ys)))
    const hi = Math.ceil(Math.log10(Math.max(...ys)))
    const lx = (v: number): number => x0 + ((Math.log10(v) - Math.log10(xs[0])) / (Math.log10(xs[xs.length - 1]) - Math.log10(xs[0]) || 1)) * pw
    const ly = (v: number): number => y0 + ph - ((Math.log10(v) - lo) / (hi - lo || 1)) * ph
    let s = `<text x="${x0 + pw / 2}" y="${y0 - 25}" text-anchor="middle" font-weight="bold">${title}</text>`
    s += `<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`
    for (let e = lo; e <= hi; e++) {
      s += `<line x1="${x0}" x2="${x0 + pw}" y1="${ly(10 ** e)}" y2="${ly(10 ** e)}" stroke="#eee"/><text x="${x0 - 6}" y="${ly(10 ** e) + 4}" text-anchor="end" font-size="11">${fmt(10 ** e)}</text>`
    }
    for (const v of xs) s += `<text x="${lx(v)}" y="${y0 + ph + 16}" text-anchor="middle" font-size="11">${v}</text>`
    s += `<text x="${x0 + pw / 2}" y="${y0 + ph + 34}" text-anchor="middle" font-size="12">${xLabel}</text>`
    for (const [variant, color] of [['before', '#c0392b'], ['after', '#2471a3']] as const) {
      const line = sel.filter((p) => p.variant === variant).sort((a, b) => xOf(a) - xOf(b))
      s += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${line.map((p) => `${lx(xOf(p))},${ly(p.bytesPerNodePerMinute)}`).join(' ')}"/>`
      for (const p of line) s += `<circle cx="${lx(xOf(p))}" cy="${ly(p.bytesPerNodePerMinute)}" r="3" fill="${color}"><title>${variant}: ${fmt(p.bytesPerNodePerMinute)}/min</title></circle>`
    }
    return s
  }
  const tracksXs = [...new Set(points.filter((p) => p.nodes === fixedNodes).map((p) => p.tracks))].sort((a, b) => a - b)
  const nodesXs = [...new Set(points.filter((p) => p.tracks === fixedTracks).map((p) => p.nodes))].sort((a, b) => a - b)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">Steady-state gossip bytes per node per minute (5 s interval, log scales)</text>
${panel(70, `vs tracks in the network (${fixedNodes} nodes)`, tracksXs, (p) => p.nodes === fixedNodes, (p) => p.tracks, 'tracks in the network')}
${panel(510, `vs nodes (${fixedTracks} tracks)`, nodesXs, (p) => p.tracks === fixedTracks, (p) => p.nodes, 'nodes')}
<g font-size="12"><rect x="${W - 190}" y="${H - 26}" width="12" height="4" fill="#c0392b"/><text x="${W - 172}" y="${H - 20}">before</text>
<rect x="${W - 110}" y="${H - 26}" width="12" height="4" fill="#2471a3"/><text x="${W - 92}" y="${H - 20}">after</text></g>
</svg>
`
}

async function main(): Promise<void> {
  const ref = process.env.BENCH_BEFORE_REF ?? execFileSync('git', ['-C', REPO, 'merge-base', 'HEAD', 'main'], { encoding: 'utf8' }).trim()
  const head = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  const fixedNodes = 10
  const fixedTracks = 1000
  // BENCH_GRID="10x100,10x1000": nodes x tracks points (default below).
  const grid: Array<[number, number]> = process.env.BENCH_GRID
    ? process.env.BENCH_GRID.split(',').map((x) => x.split('x').map(Number) as [number, number])
    : QUICK
    ? [
        [5, 100],
        [10, 100],
        [10, 1000],
      ]
    : [
        [10, 100],
        [10, 1000],
        [10, 10_000],
        [5, 1000],
        [20, 1000],
        [40, 1000],
      ]
  const before = await checkoutBefore(ref)
  const points: Point[] = []
  try {
    for (const [n, t] of grid) {
      // Interleaved: before and after of one point run back to back, under the same machine load.
      for (const [variant, root] of [['before', before.root], ['after', join(REPO, 'node')]] as const) {
        const p = await runPoint(root, variant, n, t)
        log(`${variant.padEnd(6)} N=${n} T=${t}: ${fmt(p.bytesPerNodePerMinute)}/node/min, converged in ${p.convergeRounds ?? '>' + MAX_WARMUP_ROUNDS} rounds (${p.seconds} s)`)
        points.push(p)
      }
      if (!QUICK) await writeResults(ref, head, grid, points, fixedNodes, fixedTracks) // after each pair: a cut-short run still leaves its figures
    }
  } finally {
    await before.cleanup()
  }
}

async function writeResults(ref: string, head: string, grid: Array<[number, number]>, points: Point[], fixedNodes: number, fixedTracks: number): Promise<void> {
  const out = join(REPO, 'bench/results')
  await mkdir(out, { recursive: true })
  const json = {
    bench: 'gossip-traffic',
    issue: 10,
    date: new Date().toISOString(),
    before: ref,
    after: head,
    method: {
      topology: 'line (node i bootstraps to node i-1), fanout 3, gossipPeerSample 32 (default)',
      tracks: 'split evenly over the nodes; signed metadata stored locally, no audio',
      counted: 'bytes read+written by every node HTTP server (each /discover has one callee), headers included',
      steadyRounds: MEASURE_ROUNDS,
      perMinute: `bytes per node per lockstep round x ${ROUNDS_PER_MINUTE} (discoveryIntervalMs 5000)`,
    },
    points,
  }
  await writeFile(join(out, 'gossip-traffic.json'), `${JSON.stringify(json, null, 2)}\n`)
  const pair = (n: number, t: number): [Point | undefined, Point | undefined] => [
    points.find((p) => p.variant === 'before' && p.nodes === n && p.tracks === t),
    points.find((p) => p.variant === 'after' && p.nodes === n && p.tracks === t),
  ]
  let md = `# Gossip traffic per node per minute (issue 10)\n\nGenerated by \`npm run bench:gossip -w @dcmx/node\` (node/bench/gossip-traffic.ts) on ${json.date}.\n`
  md += `Before = \`${ref.slice(0, 10)}\`, after = \`${head}\`, measured in the same run, interleaved. ${json.method.topology}; ${json.method.tracks}.\n`
  md += `Counted: ${json.method.counted}, over ${MEASURE_ROUNDS} steady lockstep rounds after convergence; per minute = ${json.method.perMinute}.\n\n`
  md += '| nodes | tracks | before, per node per minute | after | after / before | rounds to converge, before / after |\n|---:|---:|---:|---:|---:|---:|\n'
  for (const [n, t] of grid) {
    const [b, a] = pair(n, t)
    if (!b || !a) continue
    md += `| ${n} | ${t} | ${fmt(b.bytesPerNodePerMinute)} | ${fmt(a.bytesPerNodePerMinute)} | ${round(a.bytesPerNodePerMinute / b.bytesPerNodePerMinute, 4)} | ${b.convergeRounds ?? '>20'} / ${a.convergeRounds ?? '>20'} |\n`
  }
  md += `\n![gossip traffic](gossip-traffic.svg)\n`
  await writeFile(join(out, 'gossip-traffic.md'), md)
  await writeFile(join(out, 'gossip-traffic.svg'), svg(points, fixedNodes, fixedTracks))
  log(`wrote ${join(out, 'gossip-traffic.{json,md,svg}')}`)
}

if (process.argv[2] === '--worker') {
  const [root, n, t, variant] = process.argv.slice(3)
  const p = await worker(root, Number(n), Number(t), variant as 'before' | 'after')
  process.stdout.write(JSON.stringify(p))
  process.exit(0)
} else {
  await main()
}
