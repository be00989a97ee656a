/**
 * Three nodes on three (virtual) hosts, each in its own network namespace with its own 10.x address (see netns.ts).
 * Skipped, with the reason, when not root or iproute2 is missing.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { NetnsMesh, netnsUnavailable, sh, until } from './netns.ts'

const skip = await netnsUnavailable()
if (skip) process.stderr.write(`netns tests skipped: ${skip}\n`)

describe('nodes on separate hosts (network namespaces)', { skip }, () => {
  const mesh = new NetnsMesh()
  let files: string
  const file = async (name: string, bytes: Buffer): Promise<string> => {
    const path = join(files, name)
    await writeFile(path, bytes)
    return path
  }

  before(async () => {
    files = await mkdtemp(join(tmpdir(), 'dcmx-netns-files-'))
    await mesh.create(3)
    const [a, b, c] = mesh.hosts as [typeof mesh.hosts[0], typeof mesh.hosts[0], typeof mesh.hosts[0]]
    const gossip = ['--interval', '300', '--disconnected-retry', '1000']
    await mesh.start(a, [...gossip, '--peers', `${b.ip}:8080`])
    await Promise.all([mesh.start(b, [...gossip, '--peers', `${a.ip}:8080`]), mesh.start(c, [...gossip, '--peers', `${a.ip}:8080`])])
  })

  after(async () => {
    await mesh.destroy()
    if (files) await rm(files, { recursive: true, force: true })
    const left = (await sh('ip', ['netns', 'list'])).split('\n').filter((l) => l.startsWith(mesh.prefix))
    assert.deepEqual(left, [], 'every namespace the test made is gone')
  })

  it('gossip reaches every host, a partitioned host misses news while cut off, and the mesh reconverges once it heals', async () => {
    const [a, b, c] = mesh.hosts as [typeof mesh.hosts[0], typeof mesh.hosts[0], typeof mesh.hosts[0]]
    const first = await Promise.all(mesh.hosts.map(async (h, i) => mesh.upload(h, await file(`t${i}`, randomBytes(4096)), `track ${i}`)))
    const knowsAll = async (hashes: string[]): Promise<boolean> => {
      for (const h of mesh.hosts) {
        const k = await mesh.known(h)
        if (!hashes.every((x) => k.has(x))) return false
      }
      return true
    }
    await until('every host to know the three tracks', () => knowsAll(first), 15_000)

    // C's only link goes down: A's new track reaches B but not C, and C's new track reaches nobody.
    await mesh.setLink(c, false)
    const fromA = await mesh.upload(a, await file('a-cut', randomBytes(4096)), 'while C is cut off')
    const fromC = await mesh.upload(c, await file('c-cut', randomBytes(4096)), 'from C, cut off')
    await until('B to hear of the track A added', async () => (await mesh.known(b)).has(fromA), 10_000)
    await new Promise((r) => setTimeout(r, 1500)) // five gossip rounds
    assert.equal((await mesh.known(c)).has(fromA), false, 'a cut-off host hears nothing')
    assert.equal((await mesh.known(a)).has(fromC), false, 'nothing leaves a cut-off host')
    assert.equal((await mesh.known(b)).has(fromC), false, 'nothing leaves a cut-off host')

    // Healed: both tracks reach every host.
    await mesh.setLink(c, true)
    await until('the mesh to reconverge after the partition heals', () => knowsAll([...first, fromA, fromC]), 20_000)
  })

  it('a verified fetch over a slow link (tc tbf, 8 Mbit/s) completes, at the link speed', async () => {
    const [a, , c] = mesh.hosts as [typeof mesh.hosts[0], typeof mesh.hosts[0], typeof mesh.hosts[0]]
    const bytes = randomBytes(3 << 20)
    const hash = await mesh.upload(a, await file('slow', bytes), 'over a slow link')
    assert.equal(hash, createHash('sha256').update(bytes).digest('hex'))
    await until('C to know who holds the track', async () => (await mesh.known(c)).has(hash), 15_000)
    // Traffic towards C leaves the bridge through C's link: shape it there.
    await sh('tc', ['-n', mesh.hub, 'qdisc', 'add', 'dev', c.link, 'root', 'tbf', 'rate', '8mbit', 'burst', '32kb', 'latency', '400ms'])
    try {
      const token = (await import('node:fs')).readFileSync(join(c.dataDir, 'api-token'), 'utf8').trim()
      const t0 = performance.now()
      const r = await mesh.json<{ from: string | null; manifest_root: string; path: string }>(c, '/local/request_file', [
        '-X', 'POST', '-H', `authorization: Bearer ${token}`, '-H', 'content-type: application/json', '--data', JSON.stringify({ content_hash: hash }),
      ])
      const seconds = (performance.now() - t0) / 1000
      assert.ok(r.from, 'fetched from a peer, not found locally')
      // 3 MiB at 8 Mbit/s is ~3.1 s: faster means the shaping did not apply and the test proves nothing.
      assert.ok(seconds > 2.5, `the fetch took ${seconds.toFixed(2)} s, faster than the link allows`)
      const stored = await sh('sha256sum', [r.path])
      assert.equal(stored.split(' ')[0], hash, 'the stored copy is the verified bytes')
    } finally {
      await sh('tc', ['-n', mesh.hub, 'qdisc', 'del', 'dev', c.link, 'root']).catch(() => undefined)
    }
  })
})
