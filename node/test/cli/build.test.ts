/**
 * The compiled node (`npm run build`: node/dist, plain JavaScript) runs as the src one does: two built nodes on
 * 127.0.0.1, one fetches the other's track through the hash worker of the build.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const BUILT = join(ROOT, 'dist/main.js')

describe('the built node (npm run build)', () => {
  const procs: ChildProcess[] = []
  const dirs: string[] = []

  async function start(extra: string[] = []): Promise<{ url: string; dir: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'dcmx-built-'))
    dirs.push(dir)
    const proc = spawn(process.execPath, ['--optimize-for-size', BUILT, '--data-dir', dir, 'start', '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--interval', '200', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] })
    procs.push(proc)
    let buf = ''
    proc.stderr?.setEncoding('utf8')
    while (!/listening on (http:\/\/\S+)/.test(buf)) {
      const [chunk] = (await Promise.race([once(proc.stderr as NodeJS.ReadableStream, 'data'), once(proc, 'exit').then(() => [''])])) as [string]
      if (proc.exitCode !== null) throw new Error(`built node exited: ${buf}`)
      buf += chunk
    }
    return { url: (/listening on (http:\/\/\S+)/.exec(buf) as RegExpExecArray)[1] as string, dir }
  }

  before(async () => {
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/build.ts')])
  })

  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('lists its commands without loading any TypeScript', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', '--no-experimental-strip-types', BUILT, '--help'])
    assert.match(stdout, /start/)
    assert.match(stdout, /get/)
  })

  it('fetches and verifies a peer track', async () => {
    const a = await start()
    const b = await start(['--peers', new URL(a.url).host])
    const bytes = randomBytes(3 << 20)
    const token = (dir: string): Promise<string> => readFile(join(dir, 'api-token'), 'utf8').then((t) => t.trim())
    const up = await fetch(`${a.url}/tracks?title=built&artist=test`, { method: 'POST', headers: { authorization: `Bearer ${await token(a.dir)}`, 'content-type': 'application/octet-stream' }, body: bytes })
    assert.equal(up.status, 201, await up.clone().text())
    const hash = ((await up.json()) as { track: { content_hash: string } }).track.content_hash
    assert.equal(hash, createHash('sha256').update(bytes).digest('hex'))
    const end = Date.now() + 15_000
    let r: Response
    do {
      await new Promise((res) => setTimeout(res, 200))
      r = await fetch(`${b.url}/local/request_file`, { method: 'POST', headers: { authorization: `Bearer ${await token(b.dir)}`, 'content-type': 'application/json' }, body: JSON.stringify({ content_hash: hash }) })
    } while (r.status !== 200 && Date.now() < end)
    const body = (await r.json()) as { from: string | null; path: string }
    assert.equal(r.status, 200, JSON.stringify(body))
    assert.ok(body.from, 'fetched from the peer')
    assert.equal(createHash('sha256').update(await readFile(body.path)).digest('hex'), hash)
  })
})
