import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { randomBytesOf, tempDir } from '../helpers.ts'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function dcmx(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, DCMX_API_TOKEN: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

interface CliNode {
  proc: ChildProcess
  url: string
  dir: string
  /** The `dcmx dht <key> on udp host:port` line, when started with --dht. */
  dht?: { key: string; host: string; port: number }
}

/** `dcmx start` with extra flags; resolves once it listens (and, with --dht, once it printed its DHT address). */
async function startCli(dir: string, extra: string[]): Promise<CliNode> {
  const proc = spawn(process.execPath, [MAIN, '--data-dir', dir, 'start', '--host', '127.0.0.1', '--port', '0', '--interval', '3600000', '--log-level', 'warn', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  proc.stderr?.setEncoding('utf8')
  const wantDht = extra.includes('--dht')
  while (true) {
    const [chunk] = (await once(proc.stderr as NodeJS.ReadableStream, 'data')) as [string]
    err += chunk
    const m = /listening on (http:\/\/\S+)/.exec(err)
    const d = /dcmx dht ([0-9a-f]{64}) on udp (\S+):(\d+)/.exec(err)
    if (m && (!wantDht || d)) return { proc, url: m[1] as string, dir, dht: d ? { key: d[1] as string, host: d[2] as string, port: Number(d[3]) } : undefined }
  }
}

async function local(n: CliNode, command: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const token = (await readFile(join(n.dir, 'api-token'), 'utf8')).trim()
  const res = await fetch(`${n.url}/local/${command}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

describe('dcmx start --dht flags', () => {
  const procs: ChildProcess[] = []
  const dirs: Array<Awaited<ReturnType<typeof tempDir>>> = []
  after(async () => {
    for (const p of procs) {
      if (p.exitCode !== null) continue
      p.kill('SIGTERM')
      await once(p, 'exit')
    }
    for (const d of dirs) await d[Symbol.asyncDispose]()
  })

  it('refuses bad DHT flags with a clear message, before starting anything', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--dht', '--dht-port', '70000'], /Invalid --dht-port: /],
      [['--dht', '--dht-port', 'udp'], /Invalid --dht-port: /],
      [['--dht', '--dht-bootstrap', 'nohostport'], /Invalid --dht-bootstrap nohostport: expected host:port/],
      [['--dht', '--dht-bootstrap', '127.0.0.1:0'], /Invalid --dht-bootstrap 127.0.0.1:0: port out of range/],
      [['--dht', '--dht-bootstrap', ','], /Invalid --dht-bootstrap: expected host:port/],
      [['--dht', '--dht-host', 'a b'], /Invalid --dht-host: expected a host name or IP address/],
      [['--dht-client'], /--dht-client needs --dht/],
      [['--dht-bootstrap', '127.0.0.1:4000'], /--dht-bootstrap needs --dht/],
      [['--dht-port', '4000'], /--dht-port needs --dht/],
      [['--replicate', '3', '--replicate-interval', '5'], /Invalid --replicate-interval: /],
      [['--max-retries', '-1'], /Invalid --max-retries: /],
    ]
    const d = await tempDir()
    dirs.push(d)
    for (const [flags, message] of cases) {
      const r = await dcmx(['--data-dir', join(d.path, 'never'), 'start', '--port', '0', ...flags])
      assert.equal(r.code, 1, `${flags.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message)
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace')
    }
    await assert.rejects(readFile(join(d.path, 'never', 'node.key')), 'no data dir was made: nothing started')
  })

  it('runs a DHT from the flags: stats show its address and key, and a client bootstrapped from it finds a holder', async () => {
    const da = await tempDir()
    const db = await tempDir()
    dirs.push(da, db)
    const a = await startCli(da.path, ['--dht', '--dht-port', '0'])
    procs.push(a.proc)
    assert.ok(a.dht, 'A printed its DHT address')
    // B routes for others (a record needs a node besides its announcer to live on); C only looks up.
    const dr = await tempDir()
    dirs.push(dr)
    const router = await startCli(dr.path, ['--dht', '--dht-bootstrap', `${a.dht.host}:${a.dht.port}`])
    procs.push(router.proc)
    const b = await startCli(db.path, ['--dht', '--dht-client', '--dht-bootstrap', `${a.dht.host}:${a.dht.port}`])
    procs.push(b.proc)

    const stats = await dcmx(['--node', a.url, 'stats', '--json'])
    assert.equal(stats.code, 0, stats.stderr)
    const s = JSON.parse(stats.stdout) as { dht?: { host: string; port: number; public_key: string; server: boolean } }
    assert.deepEqual(s.dht, { host: a.dht.host, port: a.dht.port, public_key: a.dht.key, server: true })
    const table = await dcmx(['--node', b.url, 'stats'])
    assert.match(table.stdout, /dht\s+udp 127\.0\.0\.1:\d+ key [0-9a-f]{64} \(client\)/)

    // A track uploaded on A (its HTTP port announced with its DHT record), which B has never heard of by gossip.
    const bytes = randomBytesOf(100_000, 3)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const token = (await readFile(join(da.path, 'api-token'), 'utf8')).trim()
    const up = await fetch(`${a.url}/tracks?title=Flags&artist=DHT`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: bytes })
    assert.equal(up.status, 201)
    let found = await local(b, 'find_providers', { content_hash: hash, max: 1 })
    for (let i = 0; i < 50 && (found.json.providers as unknown[]).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100)) // the upload's announce runs in the background
      found = await local(b, 'find_providers', { content_hash: hash, max: 1 })
    }
    assert.equal(found.status, 200)
    assert.deepEqual(found.json.providers, [{ public_key: a.dht.key, host: '127.0.0.1', port: Number(new URL(a.url).port) }])
    assert.equal(typeof found.json.elapsed_ms, 'number')

    const bad = await local(b, 'find_providers', { content_hash: 'xyz' })
    assert.equal(bad.status, 400)
  })

  it('POST /local/find_providers on a node without --dht says so', async () => {
    const d = await tempDir()
    dirs.push(d)
    const n = await startCli(d.path, [])
    procs.push(n.proc)
    const r = await local(n, 'find_providers', { content_hash: 'ab'.repeat(32) })
    assert.equal(r.status, 400)
    assert.match(String(r.json.message), /without a DHT \(start it with --dht\)/)
    const s = await dcmx(['--node', n.url, 'stats', '--json'])
    assert.equal((JSON.parse(s.stdout) as { dht?: unknown }).dht, undefined)
  })
})
