import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { randomBytesOf, tempDir } from '../helpers.ts'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

function dcmx(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, DCMX_API_TOKEN: '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

/** Starts `dcmx start` and resolves with its URL once it prints that it listens. */
async function startCli(dataDir: string, peers: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [MAIN, '--data-dir', dataDir, 'start', '--host', '127.0.0.1', '--port', '0', '--interval', '100', '--log-level', 'info', ...(peers.length ? ['--peers', ...peers] : [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let err = ''
  proc.stderr?.setEncoding('utf8')
  while (true) {
    const [chunk] = (await once(proc.stderr as NodeJS.ReadableStream, 'data')) as [string]
    err += chunk
    const m = /listening on (http:\/\/\S+)/.exec(err)
    if (m) return { proc, url: m[1] }
  }
}

describe('dcmx CLI', () => {
  let dirA: Awaited<ReturnType<typeof tempDir>>
  let dirB: Awaited<ReturnType<typeof tempDir>>
  let a: { proc: ChildProcess; url: string }
  let b: { proc: ChildProcess; url: string }

  before(async () => {
    dirA = await tempDir()
    dirB = await tempDir()
    a = await startCli(dirA.path)
    b = await startCli(dirB.path, [new URL(a.url).host])
  })
  after(async () => {
    for (const n of [a, b]) {
      n.proc.kill('SIGTERM')
      await once(n.proc, 'exit')
    }
    await dirA[Symbol.asyncDispose]()
    await dirB[Symbol.asyncDispose]()
  })

  it('adds on one node and gets it through another, with progress and a verified hash', async () => {
    const bytes = randomBytesOf(1_500_000, 9)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const file = join(dirA.path, 'song.wav')
    await writeFile(file, bytes)

    const add = await dcmx(['--node', a.url, '--data-dir', dirA.path, 'add', file, '--title', 'Song', '--artist', 'Band', '--album', 'LP'])
    assert.equal(add.code, 0, add.stderr)
    assert.match(add.stdout, new RegExp(`added ${hash}`))

    const tracks = await dcmx(['--node', a.url, 'tracks'])
    assert.match(tracks.stdout, /Band\s+Song\s+LP/)

    const out = join(dirB.path, 'out.wav')
    // B's gossip (100 ms) learns A's track; `get` retries until B knows a holder.
    let got = await dcmx(['--node', b.url, '--data-dir', dirB.path, 'get', hash, '-o', out])
    for (let i = 0; got.code !== 0 && i < 50; i++) got = await dcmx(['--node', b.url, '--data-dir', dirB.path, 'get', hash, '-o', out])
    assert.equal(got.code, 0, got.stderr)
    // B's node may not write into its own data dir: the CLI streams it through HTTP instead (progress, own hash check).
    assert.match(got.stderr, /100% .*MiB\/s ETA/)
    assert.match(got.stdout, /SHA-256 verified/)
    assert.ok((await readFile(out)).equals(bytes))

    // Elsewhere on this machine, the local node writes the verified file itself: no bytes through the CLI.
    await using elsewhere = await tempDir()
    const direct = join(elsewhere.path, 'sub', 'direct.wav')
    const saved = await dcmx(['--node', b.url, '--data-dir', dirB.path, 'get', hash, '-o', direct])
    assert.equal(saved.code, 0, saved.stderr)
    assert.match(saved.stdout, /verified by the node/)
    assert.equal(saved.stderr, '')
    assert.ok((await readFile(direct)).equals(bytes))
    // --via-http forces the stream.
    const streamed = await dcmx(['--node', b.url, '--data-dir', dirB.path, 'get', hash, '-o', join(elsewhere.path, 'streamed.wav'), '--via-http'])
    assert.match(streamed.stdout, /SHA-256 verified/)
    assert.ok((await readFile(join(elsewhere.path, 'streamed.wav'))).equals(bytes))

    const stats = await dcmx(['--node', b.url, 'stats', '--json'])
    const s = JSON.parse(stats.stdout) as { tracks_local: number; peers_known: number }
    assert.deepEqual([s.tracks_local, s.peers_known], [1, 1])
    const peers = await dcmx(['--node', b.url, 'peers'])
    assert.match(peers.stdout, /ACTIVE|CONNECTED/)

    const audit = await dcmx(['--node', b.url, '--data-dir', dirB.path, 'audit', 'export', '--format', 'csv', '--from', '2020-01-01'])
    assert.equal(audit.code, 0, audit.stderr)
    assert.match(audit.stdout, /DOWNLOAD.*SUCCESS/)

    const logs = await dcmx(['--data-dir', dirB.path, 'logs', '-n', '3'])
    assert.equal(logs.code, 0)
    assert.ok(logs.stdout.trim().split('\n').every((l) => JSON.parse(l).component !== undefined || JSON.parse(l).msg))
  })

  it('fails clearly on bad flags, a missing token and an unreachable node', async () => {
    const badHash = await dcmx(['--node', a.url, 'get', 'not-a-hash', '-o', '/tmp/x'])
    assert.equal(badHash.code, 1)
    assert.match(badHash.stderr, /Invalid hash/)
    const missingOpt = await dcmx(['add', '/etc/hostname'])
    assert.notEqual(missingOpt.code, 0)
    assert.match(missingOpt.stderr, /required option '--title <title>' not specified/)
    const noToken = await dcmx(['--node', a.url, '--data-dir', '/nonexistent', 'add', '/etc/hostname', '--title', 't', '--artist', 'a'])
    assert.equal(noToken.code, 1)
    assert.match(noToken.stderr, /No operator token/)
    const down = await dcmx(['--node', 'http://127.0.0.1:1', 'stats'])
    assert.equal(down.code, 1)
    assert.match(down.stderr, /Cannot reach a DCMX node at http:\/\/127.0.0.1:1/)
    const badUrl = await dcmx(['--node', 'ftp://x', 'stats'])
    assert.match(badUrl.stderr, /Invalid --node/)
    const badPeer = await dcmx(['start', '--peers', 'nohostport'])
    assert.equal(badPeer.code, 1)
    assert.match(badPeer.stderr, /Invalid --peers nohostport: expected host:port/)
    const badWindow = await dcmx(['start', '--receipt-window-mib', '0'])
    assert.equal(badWindow.code, 1)
    assert.match(badWindow.stderr, /Invalid --receipt-window-mib/)
    const badRate = await dcmx(['start', '--free-rate-kib', 'fast'])
    assert.equal(badRate.code, 1)
    assert.match(badRate.stderr, /Invalid --free-rate-kib/)
  })
})

describe('the dcmx bin (bin/dcmx.js)', () => {
  const BIN = fileURLToPath(new URL('../../bin/dcmx.js', import.meta.url))

  it('runs the compiled build while it is newer than every source, else the sources', async () => {
    // A copy of the bin in a tree whose "build" and "sources" only say which one ran.
    await using t = await tempDir()
    const file = async (rel: string, text: string, mtimeSec: number): Promise<void> => {
      await mkdir(dirname(join(t.path, rel)), { recursive: true })
      await writeFile(join(t.path, rel), text)
      await utimes(join(t.path, rel), mtimeSec, mtimeSec)
    }
    await file('bin/dcmx.js', await readFile(BIN, 'utf8'), 1000)
    await file('package.json', '{"type":"module"}', 1000)
    await file('src/cli/main.ts', "console.log('src')", 1000)
    await file('src/mesh/deep.ts', '', 1000)
    const ran = (env: Record<string, string> = {}): Promise<string> =>
      new Promise((resolve, reject) =>
        execFile(process.execPath, [join(t.path, 'bin/dcmx.js')], { env: { ...process.env, DCMX_FROM_SRC: '', ...env } }, (err, out) => (err ? reject(err) : resolve(out.trim()))),
      )
    assert.equal(await ran(), 'src', 'no build yet')
    await file('dist/main.js', "console.log('dist')", 2000)
    assert.equal(await ran(), 'dist', 'the build is newer than every source')
    assert.equal(await ran({ DCMX_FROM_SRC: '1' }), 'src', 'DCMX_FROM_SRC=1')
    await utimes(join(t.path, 'src/mesh/deep.ts'), 3000, 3000)
    assert.equal(await ran(), 'src', 'a source (in a subfolder) edited after the build')
  })
})
