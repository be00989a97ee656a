/**
 * Node-on-chain benchmark (issue 8): verified fetch of a track anchored on TrackRegistry between two nodes (and the same
 * fetch between two staked nodes exchanging receipts: receipts on vs off), against
 * `curl -o f && sync f && openssl dgst -sha256 f` from the same node and against one core's SHA-256 speed, all in the
 * same run. Run: `npm run bench:node-chain -w @dcmx/node`. Prints one JSON object on stdout (the integrator commits
 * it); progress goes to stderr. BENCH_QUICK=1: 16 MiB and fewer repetitions (smoke run). Also `dcmx get` end to end
 * (a CLI process; the node fetches from the peer and leaves the verified file at the path) against `curl -o f &&
 * openssl dgst -sha256 f` of the same bytes. The serving nodes run as their own processes (`dcmx start`), as in a real
 * mesh and as curl's server effectively is; the fetching node runs in this process, so its fetch is timed exactly.
 */
import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Hex } from 'viem'
import { parseEther } from 'viem'

import { createLogger } from '../src/core/logger.ts'
import { createNode } from '../src/node.ts'
import type { DcmxNode } from '../src/node.ts'
import { chainConfig, deployProtocol } from '../test/chain/protocol.ts'
import { startTestChain } from '../test/chain/test-chain.ts'

import { binLaunch, saveResults } from './results.ts'

const QUICK = process.env.BENCH_QUICK === '1'
const FILE_MIB = QUICK ? 16 : 100
/** The warm-up track (see below): large enough for a full-size download ring (32 MiB). */
const WARM_MIB = QUICK ? 4 : 40
const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 2 : 7))
/** BENCH_ONLY=receipts: only the anchored fetch and the receipts fetch (the pair of the receipts ratio), for tuning. */
const ONLY_RECEIPTS = process.env.BENCH_ONLY === 'receipts'
/** BENCH_ONLY=get: only `dcmx get` and its curl + openssl baseline (with the node's own share of the time logged). */
const ONLY_GET = process.env.BENCH_ONLY === 'get'
/** BENCH_WINDOW_MIB=n: the metered server's receipts window (`--receipt-window-mib`; default 8 MiB), for experiments. */
const WINDOW_MIB = process.env.BENCH_WINDOW_MIB
const TOKEN = 'bench-operator-token-0123456789abcdef'

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const best = (xs: number[]): number => Math.min(...xs)
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const mibps = (bytes: number, ms: number): number => round(bytes / (1 << 20) / (ms / 1000))

function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { maxBuffer: 1 << 24, env: { ...process.env, ...env } }, (err, out, errOut) => (err ? rej(new Error(`${err.message}\n${errOut}`)) : res(out))),
  )
}

/**
 * `dcmx` as an operator runs it: the bin (node/bin/dcmx.js, which runs node/dist when it is newer than the sources:
 * built first, below) with its shebang's flags, for the serving nodes and for `dcmx get`.
 */
const CLI = fileURLToPath(new URL('../bin/dcmx.js', import.meta.url))
const LAUNCH = binLaunch(CLI)

async function node(dataDir: string, extra: Record<string, unknown> = {}): Promise<DcmxNode> {
  const n = await createNode(
    { host: '127.0.0.1', port: 0, autoGossip: false, rateLimitMax: 0, apiToken: TOKEN, ipfs: false, maxUploadBytes: 1 << 30, dataDir, ...extra },
    { logger: createLogger({ level: 'silent' }) },
  )
  await n.start()
  return n
}

type Served = { url: string; port: number; peerId: `0x${string}`; pid: number; stop: () => Promise<void> }

/** CPU time (ms) a process has spent on all its threads so far (the kernel's schedstat, in ns). */
async function cpuMs(pid: number): Promise<number> {
  const dir = `/proc/${pid}/task`
  let ns = 0
  for (const t of await readdir(dir)) ns += Number((await readFile(`${dir}/${t}/schedstat`, 'utf8').catch(() => '0')).split(' ')[0])
  return ns / 1e6
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => res(port))
    })
  })
}

/**
 * The serving node in its own process (`dcmx start`), as in any real mesh and as curl's server is: the fetching
 * node's event loop then carries only the fetch, not the other side's sends too.
 */
async function servingNode(dataDir: string, chain?: { url: string; contracts: Record<string, string> }): Promise<Served> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await writeFile(join(dataDir, 'api-token'), TOKEN, { mode: 0o600 })
  const port = await freePort()
  const args = [CLI, '--data-dir', dataDir, 'start', '--host', '127.0.0.1', '--port', String(port), '--interval', '3600000', '--rate-limit', '0', '--max-upload-mib', '1024', '--no-ipfs', '--log-level', 'warn']
  if (chain) args.push(...(WINDOW_MIB ? ['--receipt-window-mib', WINDOW_MIB] : []), '--rpc-url', chain.url, '--chain-id', '31337', '--confirmations', '1', '--contracts', JSON.stringify(chain.contracts))
  // BENCH_PROF_DIR: the serving nodes write V8 CPU profiles there (run the bench itself with --cpu-prof for the client).
  const prof = process.env.BENCH_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF_DIR] : []
  const child = spawn(process.execPath, [...LAUNCH.flags, ...prof, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...LAUNCH.env } })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${url}/ping`)
      if (r.ok) {
        const { peer_id } = (await r.json()) as { peer_id: `0x${string}` }
        return {
          url,
          port,
          peerId: peer_id,
          pid: child.pid as number,
          stop: () => new Promise<void>((done) => (child.exitCode !== null ? done() : (child.once('exit', () => done()), child.kill('SIGTERM')))),
        }
      }
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 300) throw new Error(`the serving node at ${url} did not start`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const asOperator = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${TOKEN}` } })

/** Bytes/s of one core's SHA-256: `openssl speed -evp sha256` (16 KiB blocks) and node:crypto over the file. */
async function sha256Speed(bytes: Buffer): Promise<{ openssl_mibps: number; node_crypto_mibps: number }> {
  const out = await sh('openssl', ['speed', '-seconds', '2', '-bytes', '16384', '-evp', 'sha256']).catch(() => '')
  // Last line: "sha256   <bytes/s in k>k" for the one block size asked.
  const m = /sha256\s+([\d.]+)k\s*$/m.exec(out)
  const openssl = m ? (Number(m[1]) * 1000) / (1 << 20) : Number.NaN
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    createHash('sha256').update(bytes).digest()
    times.push(performance.now() - t0)
  }
  return { openssl_mibps: round(openssl), node_crypto_mibps: mibps(bytes.length, median(times)) }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((x) => round(x))
  // node/dist from this checkout's sources, so the bin runs the compiled node (as after scripts/setup.sh).
  await sh(process.execPath, [fileURLToPath(new URL('../scripts/build.ts', import.meta.url))])
  const work = await mkdtemp(join(tmpdir(), 'dcmx-bench-chain-'))
  const chain = await startTestChain()
  try {
    const protocol = await deployProtocol(chain)
    const cfg = chainConfig(chain, protocol, { pollMs: 100 })
    const bytes = randomBytes(FILE_MIB << 20)
    const hash = createHash('sha256').update(bytes).digest('hex')
    log(`${FILE_MIB} MiB track ${hash.slice(0, 12)}..`)

    const server = await servingNode(join(work, 'server'))
    const res = await fetch(`${server.url}/tracks?title=Bench&artist=Bench`, asOperator({ method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes }))
    if (res.status !== 201) throw new Error(`upload failed: ${res.status}`)
    // A smaller track each fetching node gets first, outside the timing: the timed fetch is then a running node's
    // (its hash worker up and a download ring kept from the previous download), not a fresh process's first.
    const warmBytes = randomBytes(WARM_MIB << 20)
    const warmHash = createHash('sha256').update(warmBytes).digest('hex')
    const uploadWarm = async (url: string): Promise<void> => {
      const r = await fetch(`${url}/tracks?title=Warm&artist=Bench`, asOperator({ method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: warmBytes }))
      if (r.status !== 201) throw new Error(`warm-up upload failed: ${r.status}`)
    }
    await uploadWarm(server.url)
    const root = ((await (await fetch(`${server.url}/manifest/${hash}`)).json()) as { root: string }).root

    // Anchor it: the artist (Hardhat account 1) commits and registers directly.
    const registry = protocol.deployed.trackRegistry
    const artist = (protocol.wallets[1] as (typeof protocol.wallets)[number]).account
    const salt = `0x${randomBytes(32).toString('hex')}` as Hex
    await registry.write.commit([await registry.read.commitmentOf([`0x${hash}`, artist.address, salt])], { account: artist })
    await chain.provider.request({ method: 'evm_increaseTime', params: [2] })
    await registry.write.register(
      [{ contentHash: `0x${hash}`, manifestRoot: `0x${root}`, size: BigInt(bytes.length), duration: 0, title: 'Bench', artistName: 'Bench', album: '', metadataURI: '' }, salt],
      { account: artist },
    )

    // CPU (ms) of the fetching process and of its server over each timed fetch: [client, server].
    const anchoredCpu: [number, number][] = []
    const receiptsCpu: [number, number][] = []
    // The timed fetches' windows on the monotonic clock (us), written beside the CPU profiles (BENCH_PROF_DIR).
    const profWindows = { anchored: [] as [number, number][], receipts: [] as [number, number][] }
    const fetchOnce = async (anchored: boolean, i: number, how: 'api' | 'cli' = 'api'): Promise<number> => {
      const dir = join(work, `client-${anchored ? 'a' : 'u'}-${how}-${i}`)
      const client = await node(dir, anchored ? { chain: cfg } : {})
      try {
        if (anchored) {
          await (protocol.wallets[0] as (typeof protocol.wallets)[number]).sendTransaction({ to: client.account.address, value: parseEther('1') })
          // Warm the anchor cache and let the fresh node's indexer catch up outside the timing, as a running node
          // would be; otherwise the catch-up competes with the fetch for the two cores.
          if ((await client.registration?.anchoredRoot(hash)) !== root) throw new Error('the track is not anchored')
          await client.chain?.indexer.sync()
        }
        if (!(await client.gossip.exchange({ host: '127.0.0.1', port: server.port }))) throw new Error('could not reach the server node')
        await client.getContent(warmHash)
        if (how === 'cli') {
          // `dcmx get` end to end: a CLI process asks this node, which fetches from the peer (verified) and leaves the
          // file on disk at the path asked; then the bytes are checked here, outside the timing.
          const out = join(work, `dcmx-get-${i}.bin`)
          // The node's share (fetch, verify, copy to the path), apart from the CLI process's start and its request.
          let nodeMs = 0
          const getContent = client.getContent.bind(client)
          client.getContent = async (...args) => {
            const n0 = performance.now()
            try {
              return await getContent(...args)
            } finally {
              nodeMs = performance.now() - n0
            }
          }
          const t0 = performance.now()
          const printed = await sh(process.execPath, [...LAUNCH.flags, CLI, '--node', client.url, '--data-dir', dir, 'get', hash, '-o', out], { ...LAUNCH.env, DCMX_API_TOKEN: TOKEN })
          const ms = performance.now() - t0
          getNodeMs.push(nodeMs)
          if (!/verified by the node/.test(printed)) throw new Error(`dcmx get did not take the local path: ${printed}`)
          if (createHash('sha256').update(await readFile(out)).digest('hex') !== hash) throw new Error('dcmx get wrote wrong bytes')
          await rm(out, { force: true })
          return ms
        }
        const cpu0 = [await cpuMs(process.pid), await cpuMs(server.pid)]
        const us0 = process.hrtime.bigint() / 1000n
        const t0 = performance.now()
        await client.getContent(hash)
        const ms = performance.now() - t0
        if (anchored) profWindows.anchored.push([Number(us0), Number(process.hrtime.bigint() / 1000n)])
        if (anchored) anchoredCpu.push([(await cpuMs(process.pid)) - (cpu0[0] as number), (await cpuMs(server.pid)) - (cpu0[1] as number)])
        return ms
      } finally {
        await client.stop()
        await rm(dir, { recursive: true, force: true })
      }
    }

    // The baseline of `dcmx get`: curl -o + openssl dgst of the same bytes from the same server (no sync).
    const curlDgstOnce = async (i: number): Promise<number> => {
      const f = join(work, `curl-dgst-${i}`)
      const t0 = performance.now()
      await sh('sh', ['-c', `curl -s -f -o "${f}" "${server.url}/content/${hash}" && openssl dgst -sha256 "${f}"`])
      const ms = performance.now() - t0
      await rm(f, { force: true })
      return ms
    }

    const curlOnce = async (i: number): Promise<number> => {
      const f = join(work, `curl-${i}`)
      const t0 = performance.now()
      await sh('sh', ['-c', `curl -s -f -o "${f}" "${server.url}/content/${hash}" && sync "${f}" && openssl dgst -sha256 "${f}"`])
      const ms = performance.now() - t0
      await rm(f, { force: true })
      return ms
    }

    // Receipts on: a staked server metering a staked client (8 MiB window, receipts signed every MiB and checked
    // before the window grows), against the same fetch from the off-chain server (receipts off).
    const holder = protocol.wallets[2] as (typeof protocol.wallets)[number]
    const staked = async (n: DcmxNode): Promise<void> => {
      await holder.sendTransaction({ to: n.account.address, value: parseEther('1') })
      await protocol.deployed.token.write.transfer([n.account.address, parseEther('10000')], { account: holder.account })
      await n.stake?.stake(parseEther('10000'), n.url, 'bench')
      await n.chain?.outbox.wait('stake:register')
    }
    const meteredServer = await servingNode(join(work, 'metered-server'), { url: chain.url, contracts: cfg.contracts })
    await holder.sendTransaction({ to: meteredServer.peerId, value: parseEther('1') })
    await protocol.deployed.token.write.transfer([meteredServer.peerId, parseEther('10000')], { account: holder.account })
    const stakeRes = await fetch(`${meteredServer.url}/stake`, asOperator({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: parseEther('10000').toString(), request_id: 'bench' }) }))
    if (!stakeRes.ok) throw new Error(`stake failed: ${stakeRes.status} ${await stakeRes.text()}`)
    for (let i = 0; ; i++) {
      const stats = (await (await fetch(`${meteredServer.url}/stats`)).json()) as { chain?: { stake_wei?: string } }
      if (BigInt(stats.chain?.stake_wei ?? '0') >= parseEther('10000')) break
      if (i > 600) throw new Error('the metered server did not get staked')
      await chain.provider.request({ method: 'evm_mine', params: [] })
      await new Promise((r) => setTimeout(r, 100))
    }
    const upload = await fetch(`${meteredServer.url}/tracks?title=Bench&artist=Bench`, asOperator({ method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes }))
    if (upload.status !== 201) throw new Error(`upload failed: ${upload.status}`)
    await uploadWarm(meteredServer.url)
    type Metering = { window_waits: number; window_wait_ms: number; accepted: number; accept_ms: number }
    const metering = async (): Promise<Metering> => ((await (await fetch(`${meteredServer.url}/rewards`, asOperator())).json()) as { metering: Metering }).metering
    const clientMs = { sign: 0, post: 0 }
    const receiptsSigned: number[] = []
    // The metered server's counters over the timed fetches only (not the warm-ups).
    const timedMetering: Metering = { window_waits: 0, window_wait_ms: 0, accepted: 0, accept_ms: 0 }
    const receiptsOnce = async (i: number): Promise<number> => {
      const dir = join(work, `client-r-${i}`)
      const client = await node(dir, { chain: cfg })
      try {
        await staked(client)
        // As for the anchored fetch it is compared with: the anchor cache warm and the indexer caught up, outside the
        // timing (before, only the receipts fetch paid the anchor's RPC read inside it).
        if ((await client.registration?.anchoredRoot(hash)) !== root) throw new Error('the track is not anchored')
        await client.chain?.indexer.sync()
        if (!(await client.gossip.exchange({ host: '127.0.0.1', port: meteredServer.port }))) throw new Error('could not reach the metered server')
        await client.getContent(warmHash)
        await client.rewards?.receipts.flush()
        const stats = client.rewards?.receipts.stats
        const before = { signed: stats?.signed ?? 0, signMs: stats?.signMs ?? 0, postMs: stats?.postMs ?? 0, server: await metering() }
        const cpu0 = [await cpuMs(process.pid), await cpuMs(meteredServer.pid)]
        const us0 = process.hrtime.bigint() / 1000n
        const t0 = performance.now()
        await client.getContent(hash)
        const ms = performance.now() - t0
        profWindows.receipts.push([Number(us0), Number(process.hrtime.bigint() / 1000n)])
        receiptsCpu.push([(await cpuMs(process.pid)) - (cpu0[0] as number), (await cpuMs(meteredServer.pid)) - (cpu0[1] as number)])
        await client.rewards?.receipts.flush()
        const after = await metering()
        for (const k of Object.keys(timedMetering) as (keyof Metering)[]) timedMetering[k] += after[k] - before.server[k]
        receiptsSigned.push((stats?.signed ?? 0) - before.signed)
        clientMs.sign += (stats?.signMs ?? 0) - before.signMs
        clientMs.post += (stats?.postMs ?? 0) - before.postMs
        return ms
      } finally {
        await client.stop()
        await rm(dir, { recursive: true, force: true })
      }
    }

    const anchored: number[] = []
    const unanchored: number[] = []
    const curl: number[] = []
    const withReceipts: number[] = []
    const dcmxGet: number[] = []
    const getNodeMs: number[] = []
    const curlDgst: number[] = []
    // Every timed step starts with no dirty data of the step before it still going to the disk (`curl -o` without a
    // sync leaves 100 MiB of it): otherwise whichever step comes next pays for the previous one's writeback.
    const settled = async <T,>(step: () => Promise<T>): Promise<T> => {
      await sh('sync', [])
      return step()
    }
    for (let i = 0; i < REPS; i++) {
      if (!ONLY_GET) anchored.push(await settled(() => fetchOnce(true, i)))
      if (!ONLY_RECEIPTS && !ONLY_GET) unanchored.push(await settled(() => fetchOnce(false, i)))
      if (!ONLY_RECEIPTS && !ONLY_GET) curl.push(await settled(() => curlOnce(i)))
      if (!ONLY_GET) withReceipts.push(await settled(() => receiptsOnce(i)))
      if (!ONLY_RECEIPTS) dcmxGet.push(await settled(() => fetchOnce(true, i, 'cli')))
      if (!ONLY_RECEIPTS) curlDgst.push(await settled(() => curlDgstOnce(i)))
      log(
        `rep ${i + 1}/${REPS}: anchored ${round(anchored.at(-1) as number, 0)} ms, unanchored ${round(unanchored.at(-1) as number, 0)} ms, ` +
          `curl+sync+dgst ${round(curl.at(-1) as number, 0)} ms, with receipts ${round(withReceipts.at(-1) as number, 0)} ms, ` +
          `dcmx get ${round(dcmxGet.at(-1) as number, 0)} ms (node ${round(getNodeMs.at(-1) as number, 0)} ms), curl+dgst ${round(curlDgst.at(-1) as number, 0)} ms`,
      )
    }
    const held = (await (await fetch(`${meteredServer.url}/rewards`, asOperator())).json()) as { epochs: { clients: number }[] }
    const receiptsHeld = held.epochs.reduce((n, e) => n + e.clients, 0)
    await meteredServer.stop()
    const sha = await sha256Speed(bytes)
    await server.stop()

    const size = bytes.length
    const anchoredMibps = mibps(size, median(anchored))
    const oneCore = Number.isFinite(sha.openssl_mibps) ? sha.openssl_mibps : sha.node_crypto_mibps
    const out = {
      bench: 'node-chain',
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      file_mib: FILE_MIB,
      reps: REPS,
      // The box is shared: its load average (1, 5, 15 min) when the run started and ended. Medians are the figures;
      // the best of the interleaved repetitions (*_best) shows what the code does when the box is quiet.
      load_avg_start: loadAtStart,
      load_avg_end: loadavg().map((x) => round(x)),
      anchored_fetch_ms: round(median(anchored), 0),
      anchored_fetch_mibps: anchoredMibps,
      unanchored_fetch_ms: round(median(unanchored), 0),
      unanchored_fetch_mibps: mibps(size, median(unanchored)),
      curl_sync_dgst_ms: round(median(curl), 0),
      curl_sync_dgst_mibps: mibps(size, median(curl)),
      sha256_one_core_openssl_mibps: sha.openssl_mibps,
      sha256_one_core_node_crypto_mibps: sha.node_crypto_mibps,
      ratio_anchored_vs_curl: round(median(curl) / median(anchored)),
      ratio_unanchored_vs_curl: round(median(curl) / median(unanchored)),
      ratio_anchored_vs_one_core_sha256: round(anchoredMibps / oneCore),
      with_receipts_fetch_ms: round(median(withReceipts), 0),
      receipts_held_by_server: receiptsHeld,
      receipts_signed_per_fetch: round(median(receiptsSigned), 0),
      // How long the metered server held streams at its window waiting for a receipt, per fetch (server counters).
      server_window_waits_per_fetch: round(timedMetering.window_waits / REPS, 1),
      server_window_wait_ms_per_fetch: round(timedMetering.window_wait_ms / REPS, 1),
      // Per receipt: the client's signing, its POST round trip (sign excluded), the server's check and persist.
      receipt_sign_ms: round(clientMs.sign / receiptsSigned.reduce((a, b) => a + b, 0)),
      receipt_post_round_trip_ms: round(clientMs.post / receiptsSigned.reduce((a, b) => a + b, 0)),
      receipt_accept_ms: round(timedMetering.accept_ms / Math.max(1, timedMetering.accepted)),
      ratio_receipts_on_vs_off: round(median(anchored) / median(withReceipts)),
      // CPU per fetch (median ms, all threads): the fetching node's process and the serving node's.
      anchored_cpu_ms: { client: round(median(anchoredCpu.map((c) => c[0])), 0), server: round(median(anchoredCpu.map((c) => c[1])), 0) },
      with_receipts_cpu_ms: { client: round(median(receiptsCpu.map((c) => c[0])), 0), server: round(median(receiptsCpu.map((c) => c[1])), 0) },
      anchored_fetch_ms_best: round(best(anchored), 0),
      with_receipts_fetch_ms_best: round(best(withReceipts), 0),
      ratio_receipts_on_vs_off_best: round(best(anchored) / best(withReceipts)),
      dcmx_get_ms: round(median(dcmxGet), 0),
      // Of which the node's getContent (fetch from the peer, verify, copy to the path asked).
      dcmx_get_node_ms: round(median(getNodeMs), 0),
      curl_dgst_ms: round(median(curlDgst), 0),
      ratio_dcmx_get_vs_curl_dgst: round(median(dcmxGet) / median(curlDgst)),
      ratio_anchored_vs_curl_best: round(best(curl) / best(anchored)),
      ratio_anchored_vs_one_core_sha256_best: round(mibps(size, best(anchored)) / oneCore),
      ratio_dcmx_get_vs_curl_dgst_best: round(best(dcmxGet) / best(curlDgst)),
      targets: { anchored_vs_curl: 1.5, anchored_vs_one_core_sha256: 0.5, receipts_on_vs_off: 0.9, dcmx_get_vs_curl_dgst_at_most: 1.5 },
    }
    if (process.env.BENCH_PROF_DIR) await writeFile(join(process.env.BENCH_PROF_DIR, 'windows.json'), JSON.stringify(profWindows))
    // A partial run (BENCH_ONLY) or another window prints its figures but never replaces the committed results.
    if (ONLY_RECEIPTS || ONLY_GET || WINDOW_MIB) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
    else await saveResults('node-chain', out)
  } finally {
    await chain.close()
    await rm(work, { recursive: true, force: true })
  }
}

await main()
