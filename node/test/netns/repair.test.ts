/**
 * k-replication across (virtual) hosts: four nodes, each in its own network namespace (see netns.ts), with
 * `--replicate 2`. An upload reaches two holders; the uploader's host then dies (SIGKILL, no goodbye) and the mesh
 * repairs the track back to two holders from the surviving copy, every byte verified. Skipped, with the reason,
 * when not root or iproute2 is missing.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import type { Host } from './netns.ts'
import { NetnsMesh, netnsUnavailable, sh, until } from './netns.ts'

const skip = await netnsUnavailable()
if (skip) process.stderr.write(`netns tests skipped: ${skip}\n`)

const K = 2

describe('replication across hosts (network namespaces)', { skip }, () => {
  const mesh = new NetnsMesh()
  let files: string

  before(async () => {
    files = await mkdtemp(join(tmpdir(), 'dcmx-netns-files-'))
    await mesh.create(4)
    const [a, ...rest] = mesh.hosts as [Host, ...Host[]]
    // Fast gossip and replication passes so a dead holder is noticed and replaced within seconds.
    const args = ['--interval', '300', '--disconnected-retry', '1000', '--replicate', String(K), '--replicate-interval', '500']
    await mesh.start(a, args)
    await Promise.all(rest.map((h) => mesh.start(h, [...args, '--peers', `${a.ip}:8080`])))
  })

  after(async () => {
    await mesh.destroy()
    if (files) await rm(files, { recursive: true, force: true })
    const left = (await sh('ip', ['netns', 'list'])).split('\n').filter((l) => l.startsWith(mesh.prefix))
    assert.deepEqual(left, [], 'every namespace the test made is gone')
  })

  /** The hosts (among those still running) whose node stores `hash`. */
  const holders = async (hash: string, hosts: Host[]): Promise<Host[]> => {
    const local = await Promise.all(hosts.map(async (h) => ((await mesh.local(h).catch(() => new Set<string>())).has(hash) ? h : undefined)))
    return local.filter((h): h is Host => h !== undefined)
  }

  it('an upload reaches k holders, and when the uploader dies another host takes its place with verified bytes', async () => {
    const [a] = mesh.hosts as [Host, ...Host[]]
    const bytes = randomBytes(2 << 20)
    const path = join(files, 'track')
    await writeFile(path, bytes)
    const hash = await mesh.upload(a, path, 'replicated across hosts')
    assert.equal(hash, createHash('sha256').update(bytes).digest('hex'))

    const t0 = performance.now()
    await until(`${K} hosts to hold the track`, async () => (await holders(hash, mesh.hosts)).length >= K, 30_000)
    const toK = performance.now() - t0
    // Nodes whose views were stale (a young mesh) can all fetch; the surplus replicas are dropped after an interval,
    // leaving k copies plus, when the uploader ranks below them, the upload (never evicted).
    await new Promise((r) => setTimeout(r, 2000))
    await until(`the copies to settle at k or k + 1`, async () => (await holders(hash, mesh.hosts)).length <= K + 1, 15_000)
    const before = await holders(hash, mesh.hosts)
    assert.ok(before.length >= K && before.length <= K + 1, `${before.length} copies once k is reached`)
    assert.ok(before.includes(a), 'the uploader keeps its copy')

    // The uploader dies (and a spare copy's host too, if any): k - 1 copies survive, so the mesh must repair.
    const victims = before.slice(0, before.length - (K - 1))
    assert.equal(victims[0], a)
    for (const v of victims) await mesh.kill(v)
    const survivors = mesh.hosts.filter((h) => !victims.includes(h))
    const t1 = performance.now()
    await until(`the mesh to repair the track to ${K} live holders`, async () => (await holders(hash, survivors)).length >= K, 60_000)
    const repair = performance.now() - t1
    const after = await holders(hash, survivors)
    const fresh = after.filter((h) => !before.includes(h))
    assert.ok(fresh.length >= 1, 'a new host replaced the dead one')
    // The new copy is the verified bytes (the store keeps content under its hash).
    const check = fresh[0] as Host
    const r = await mesh.json<{ path: string; from: string | null }>(check, '/local/request_file', [
      '-X', 'POST', '-H', `authorization: Bearer ${(await readFile(join(check.dataDir, 'api-token'), 'utf8')).trim()}`,
      '-H', 'content-type: application/json', '--data', JSON.stringify({ content_hash: hash }),
    ])
    assert.equal(r.from, null, 'the new holder serves it from its own store')
    assert.equal((await sh('sha256sum', [r.path])).split(' ')[0], hash)
    process.stderr.write(`netns replication: ${K} holders in ${toK.toFixed(0)} ms, repaired in ${repair.toFixed(0)} ms after the uploader died\n`)
  })
})
