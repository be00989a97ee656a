/**
 * Nodes on separate (virtual) hosts: each `dcmx start` runs in its own Linux network namespace with its own 10.x
 * address, joined to the others through a bridge in a hub namespace by one veth pair per node. Links are cut with
 * `ip link set ... down` and shaped with `tc ... tbf` on the hub side. Needs root and iproute2 (`ip`, `tc`):
 * `netnsUnavailable()` says why not, for a skip. Every namespace carries the prefix `dcmxt-<pid>-<random>-`; `destroy()`
 * kills the nodes and deletes them (call it from an `after` hook), and namespaces left by a dead test process are
 * swept on the next `createMesh`.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The CLI the nodes run: src by default; DCMX_NETNS_MAIN=dist/main.js runs the same tests against the build. */
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../..', process.env.DCMX_NETNS_MAIN ?? 'src/cli/main.ts')
const BASE = 'dcmxt-'
const PORT = 8080

export function sh(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, out, errOut) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${errOut.trim() || err.message}`)) : resolve(out),
    )
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

/** Why these tests cannot run here, or undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the tests as root)'
  for (const tool of ['ip', 'tc', 'curl']) {
    try {
      await sh('sh', ['-c', `command -v ${tool}`])
    } catch {
      return `\`${tool}\` is missing (iproute2 / curl)`
    }
  }
  const probe = `${BASE}${process.pid}-probe`
  try {
    await sh('ip', ['netns', 'add', probe])
    await sh('ip', ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge'])
  } catch (err) {
    return `cannot create a network namespace with a bridge here: ${(err as Error).message}`
  } finally {
    await sh('ip', ['netns', 'del', probe]).catch(() => undefined)
  }
  return undefined
}

export interface Host {
  ns: string
  /** The hub-side end of this host's link: cut or shape it to cut or shape the host. */
  link: string
  ip: string
  dataDir: string
  url: string
  proc?: ChildProcess
}

export class NetnsMesh {
  readonly prefix: string
  readonly hub: string
  readonly hosts: Host[] = []
  readonly #subnet: string

  constructor() {
    this.prefix = `${BASE}${process.pid}-${randomBytes(3).toString('hex')}-`
    this.hub = `${this.prefix}hub`
    this.#subnet = `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}`
  }

  /** Hub namespace with a bridge, then one namespace per host linked to it. */
  async create(n: number): Promise<void> {
    await sweepStale()
    await sh('ip', ['netns', 'add', this.hub])
    await sh('ip', ['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge'])
    await sh('ip', ['-n', this.hub, 'link', 'set', 'br0', 'up'])
    for (let i = 0; i < n; i++) {
      const ns = `${this.prefix}n${i}`
      const link = `v${i}`
      const ip = `${this.#subnet}.${i + 1}`
      await sh('ip', ['netns', 'add', ns])
      this.hosts.push({ ns, link, ip, dataDir: await mkdtemp(join(tmpdir(), 'dcmx-netns-')), url: `http://${ip}:${PORT}` })
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
      await sh('ip', ['-n', this.hub, 'link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
      await sh('ip', ['-n', this.hub, 'link', 'set', link, 'master', 'br0', 'up'])
      await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0'])
      await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
    }
  }

  /** `dcmx start` inside the host's namespace, on all its interfaces, announcing its 10.x address. */
  async start(h: Host, args: string[] = []): Promise<void> {
    const proc = spawn(
      'ip',
      ['netns', 'exec', h.ns, process.execPath, '--optimize-for-size', MAIN, '--data-dir', h.dataDir, 'start', '--host', '0.0.0.0', '--advertise-host', h.ip, '--port', String(PORT), '--rate-limit', '0', '--log-level', 'warn', ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    h.proc = proc
    let buf = ''
    proc.stderr?.setEncoding('utf8')
    proc.stderr?.on('data', (c: string) => void (buf += c))
    const exited = once(proc, 'exit').then(() => {
      throw new Error(`node in ${h.ns} exited: ${buf}`)
    })
    const listening = (async () => {
      while (!/listening on/.test(buf)) await once(proc.stderr as NodeJS.ReadableStream, 'data')
    })()
    await Promise.race([listening, exited])
    void exited.catch(() => undefined)
  }

  /** curl inside the host's namespace against its own node (loopback: the local API accepts the operator there). */
  async curl(h: Host, path: string, args: string[] = []): Promise<string> {
    return sh('ip', ['netns', 'exec', h.ns, 'curl', '-s', '-f', '--max-time', '60', ...args, `http://127.0.0.1:${PORT}${path}`])
  }

  async json<T>(h: Host, path: string, args: string[] = []): Promise<T> {
    return JSON.parse(await this.curl(h, path, args)) as T
  }

  async upload(h: Host, file: string, title: string): Promise<string> {
    const token = (await readFile(join(h.dataDir, 'api-token'), 'utf8')).trim()
    const r = await this.json<{ track: { content_hash: string } }>(h, `/tracks?title=${encodeURIComponent(title)}&artist=netns`, [
      '-X', 'POST', '-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/octet-stream', '--data-binary', `@${file}`,
    ])
    return r.track.content_hash
  }

  /** Every hash the host's node knows of (its own and its peers'). */
  async known(h: Host): Promise<Set<string>> {
    return new Set((await this.json<Array<{ content_hash: string }>>(h, '/tracks?scope=all')).map((t) => t.content_hash))
  }

  /** Cuts (down) or restores (up) the host's only link. */
  async setLink(h: Host, up: boolean): Promise<void> {
    await sh('ip', ['-n', this.hub, 'link', 'set', h.link, up ? 'up' : 'down'])
  }

  /** SIGKILLs the host's node (a crash: no goodbye to its peers) and waits for it to exit. */
  async kill(h: Host): Promise<void> {
    if (!h.proc || h.proc.exitCode !== null || h.proc.signalCode !== null) return
    const exit = once(h.proc, 'exit')
    h.proc.kill('SIGKILL')
    await exit
  }

  /** Hashes the host's node stores itself (GET /tracks: local tracks). */
  async local(h: Host): Promise<Set<string>> {
    return new Set((await this.json<Array<{ content_hash: string }>>(h, '/tracks')).map((t) => t.content_hash))
  }

  /** Kills every node, deletes every namespace made here (their veths go with them) and the data dirs. */
  async destroy(): Promise<void> {
    await Promise.all(this.hosts.map((h) => this.kill(h)))
    for (const ns of [...this.hosts.map((h) => h.ns), this.hub]) await deleteNamespace(ns)
    await Promise.all(this.hosts.map((h) => rm(h.dataDir, { recursive: true, force: true })))
  }
}

/** Kills what still runs in the namespace (only processes started there) and deletes it; absent is fine. */
async function deleteNamespace(ns: string): Promise<void> {
  const pids = await sh('ip', ['netns', 'pids', ns]).catch(() => '')
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await sh('ip', ['netns', 'del', ns]).catch(() => undefined)
}

/** Namespaces of test processes that died without cleaning up (killed runner, power loss). */
async function sweepStale(): Promise<void> {
  const names = (await sh('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(BASE))
  for (const name of names) {
    const pid = Number(name.slice(BASE.length).split('-')[0])
    let alive = true
    try {
      process.kill(pid, 0)
    } catch {
      alive = false
    }
    if (!alive) await deleteNamespace(name)
  }
}

export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
