/**
 * The bundled streaming worker in a real browser (Debian's Chromium via @playwright/test's launcher): registered the way the app
 * does (lib/stream/register.ts, bundled for the page), it plays a registered WAV in a plain <audio> element, seeks,
 * names the node that served a bad chunk, and answers 416. Skipped with a message when Chromium is not installed.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, request as httpRequest } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

import { build } from 'esbuild'
import { chromium } from '@playwright/test'
import type { BrowserContext, Page } from '@playwright/test'

import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.ts'
import { registeredTrackWithLiar } from './stream-fixture.ts'
import type { ChainFixture, FakeNode, Track } from './stream-fixture.ts'

/** The browser globals the page functions below use, typed here so this file checks without the DOM lib (the
 * functions run in the page; only their types are checked in Node). */
interface AudioLike {
  muted: boolean
  src: string
  currentTime: number
  readonly duration: number
  readonly error: { message: string } | null
  play(): Promise<void>
  addEventListener(type: 'seeked', fn: (e: unknown) => void, opts: { once: boolean }): void
}
interface PageGlobals {
  ready: Promise<unknown>
  events: { kind: string; node: string; chunk: number | null; reason: string | null }[]
  streamUrl: (hash: string) => string
  navigator: { serviceWorker: { controller: object | null } }
  document: { getElementById(id: 'player'): AudioLike }
}

const CHROMIUM = CHROMIUM_PATH
const web = fileURLToPath(new URL('../../', import.meta.url))

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('stream worker in Chromium', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {
  let fx: ChainFixture
  let track: Track
  let liar: FakeNode
  let honest: FakeNode
  let rpc: Server
  let app: Server
  let appUrl: string
  let dir: string
  let ctx: BrowserContext

  before(async () => {
    ;({ fx, track, liar, honest } = await registeredTrackWithLiar())
    // The page reaches the chain cross-origin: a CORS front for the test chain (Hardhat's own node sends CORS).
    rpc = createServer((req, res) => {
      res.setHeader('access-control-allow-origin', '*')
      res.setHeader('access-control-allow-headers', '*')
      if (req.method === 'OPTIONS') return void res.end()
      req.pipe(httpRequest(fx.chain.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
        res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json' })
        r.pipe(res)
      }))
    })
    const rpcUrl = await listen(rpc)

    await promisify(execFile)(process.execPath, ['scripts/build-sw.ts'], { cwd: web })
    const worker = await readFile(join(web, 'public', 'stream-sw.js'), 'utf8')
    const client = await build({
      stdin: {
        contents: `import { registerStreamWorker, onStreamMessage, streamUrl, warmStream } from './lib/stream/register.ts'
          window.events = []
          onStreamMessage((m) => window.events.push(m))
          window.ready = registerStreamWorker(${JSON.stringify({ rpcUrl, registry: fx.registry, nodes: [liar.url, honest.url] })})
          window.streamUrl = streamUrl
          window.warmStream = warmStream`,
        resolveDir: web,
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      write: false,
      alias: { zod: join(web, 'node_modules', 'zod') },
    })
    const page = `<!doctype html><html lang="en"><title>stream test</title><audio id="player" controls></audio><script>${client.outputFiles[0]?.text}</script></html>`
    app = createServer((req, res) => {
      if (req.url?.startsWith('/stream-sw.js')) {
        res.writeHead(200, { 'content-type': 'text/javascript' })
        return void res.end(worker)
      }
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' })
        return void res.end(page)
      }
      res.writeHead(404)
      res.end()
    })
    appUrl = await listen(app)

    dir = await mkdtemp(join(tmpdir(), 'dcmx-sw-test-'))
    ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_CACHE_HOME: dir, TMPDIR: dir },
      args: CHROMIUM_ARGS,
    })
  })

  after(async () => {
    await ctx?.close()
    await Promise.all([liar?.close(), honest?.close()])
    rpc?.closeAllConnections()
    rpc?.close()
    app?.closeAllConnections()
    app?.close()
    await fx?.chain.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  async function openPage(): Promise<Page> {
    const page = await ctx.newPage()
    await page.goto(appUrl)
    await page.evaluate(() => (globalThis as unknown as PageGlobals).ready)
    return page
  }

  it('plays a registered track from verified chunks, names the node that lied, and seeks natively', async () => {
    const page = await openPage()
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.serviceWorker.controller !== null), true)
    const r = await page.evaluate(async (hash) => {
      const w = globalThis as unknown as PageGlobals
      const a = w.document.getElementById('player')
      a.muted = true
      a.src = w.streamUrl(hash)
      await a.play()
      const advanced = (min: number) =>
        new Promise<number>((resolve) => {
          const tick = () => (a.currentTime > min ? resolve(a.currentTime) : setTimeout(tick, 20))
          tick()
        })
      const first = await advanced(0.3)
      a.currentTime = a.duration / 2
      await new Promise((resolve) => a.addEventListener('seeked', resolve, { once: true }))
      const afterSeek = await advanced(a.duration / 2 + 0.3)
      return { first, afterSeek, duration: a.duration, error: a.error?.message ?? null }
    }, track.hash)
    assert.equal(r.error, null)
    assert.ok(Math.abs(r.duration - 40) < 0.1, `duration ${r.duration}`)
    assert.ok(r.first > 0.3)
    assert.ok(r.afterSeek > 20, `after seeking to the middle it plays from there (${r.afterSeek})`)
    const events = await page.evaluate(() => (globalThis as unknown as PageGlobals).events)
    const bad = events.filter((e) => e.kind === 'bad-chunk')
    assert.ok(bad.length > 0 && bad.every((e) => e.node === liar.url && /SHA-256/.test(e.reason ?? '')), JSON.stringify(bad))
    const served = events.filter((e) => e.kind === 'served')
    assert.ok(served.length >= 2 && served.every((e) => e.node === honest.url))
    assert.ok(served.some((e) => e.chunk === 2), 'the middle of the track (chunk 2) was served after the seek')
    await page.close()
  })

  it('answers a range past the end with 416 inside the browser, and a closed range with the exact bytes', async () => {
    const page = await openPage()
    const size = track.bytes.length
    const r = await page.evaluate(async ([hash, size]) => {
      const past = await fetch(`/stream/${hash}`, { headers: { range: `bytes=${size}-` } })
      const part = await fetch(`/stream/${hash}`, { headers: { range: 'bytes=0-11' } })
      return { past: [past.status, past.headers.get('content-range')], part: [part.status, part.headers.get('content-range'), part.headers.get('content-type'), Array.from(new Uint8Array(await part.arrayBuffer()))] }
    }, [track.hash, size] as const)
    assert.deepEqual(r.past, [416, `bytes */${size}`])
    assert.deepEqual(r.part, [206, `bytes 0-11/${size}`, 'audio/wav', Array.from(track.bytes.subarray(0, 12))])
    await page.close()
  })

  it('takes control of a page loaded with a hard reload', async () => {
    const page = await openPage()
    const cdp = await ctx.newCDPSession(page)
    const reloaded = page.waitForEvent('load')
    await cdp.send('Page.reload', { ignoreCache: true })
    await reloaded
    await page.evaluate(() => (globalThis as unknown as PageGlobals).ready)
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.serviceWorker.controller !== null), true)
    await page.close()
  })
})
