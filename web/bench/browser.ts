/**
 * Browser benchmarks against the local network (`startNetwork`, app built and served), Debian Chromium:
 * - press play to first audio: `audio.play()` to the `playing` event on the track page, each play in a fresh
 *   browser context (empty service worker cache; the worker installed before the clock starts), 20 plays, p50/p99;
 *   target p50 <= 300 ms. Baseline in the same run: the same element playing the same node's /content URL directly
 *   (no verification), the plain tool a listener would otherwise use.
 * - Lighthouse (npm) on the listen and edition pages: accessibility (target >= 95) and performance.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as chromeLauncher from 'chrome-launcher'
import lighthouse from 'lighthouse'
import { chromium, type Browser } from 'playwright-core'

import { startNetwork } from '../../scripts/network.ts'
import { CHROMIUM_ARGS as FLAGS, CHROMIUM_PATH as CHROMIUM } from '../test/chromium.ts'

const here = dirname(fileURLToPath(import.meta.url))
const results = resolve(here, '..', '..', 'bench', 'results')
const PLAYS = Number(process.env.PLAYS ?? 20)

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return +s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(1)
}

async function playTimes(browser: Browser, url: string, src: 'player' | string): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < PLAYS; i++) {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(url)
      if (src === 'player') {
        await page.getByTestId('player').waitFor()
      } else {
        await page.setContent(`<audio data-testid="player" preload="none" src="${src}"></audio>`)
      }
      const ms = await page.getByTestId('player').evaluate(
        (a: HTMLAudioElement) =>
          new Promise<number>((ok, fail) => {
            const t0 = performance.now()
            a.addEventListener('playing', () => ok(performance.now() - t0), { once: true })
            a.addEventListener('error', () => fail(new Error(`audio error ${a.error?.code}`)), { once: true })
            void a.play().catch(fail)
          }),
      )
      times.push(ms)
    } finally {
      await context.close()
    }
  }
  return times
}

async function lighthouseScores(url: string, port: number): Promise<{ accessibility: number; performance: number }> {
  const r = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: ['accessibility', 'performance'], formFactor: 'desktop', screenEmulation: { disabled: true }, throttlingMethod: 'provided' })
  const c = r!.lhr.categories
  return { accessibility: Math.round((c.accessibility.score ?? 0) * 100), performance: Math.round((c.performance.score ?? 0) * 100) }
}

const dataDir = await mkdtemp(join(tmpdir(), 'dcmx-bench-web-'))
for (const v of ['HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME']) process.env[v] = join(dataDir, 'browser-home')
const net = await startNetwork({ dataDir, reset: true, seed: true, web: 'build+start', ports: { chain: 0, nodes: [0, 0, 0], web: 0 }, logger: { info: () => {}, warn: (m) => console.warn(m) } })
try {
  const track = net.seeded!.tracks.find((t) => t.mediaType === 'audio/wav')!
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  const verified = await playTimes(browser, `${net.webUrl}/track/${track.contentHash}`, 'player')
  const direct = await playTimes(browser, `${net.webUrl}/`, `${net.nodes[0].url}/content/${track.contentHash}`)
  await browser.close()

  const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: ['--headless=new', ...FLAGS] })
  let listen, edition
  try {
    listen = await lighthouseScores(`${net.webUrl}/`, chrome.port)
    edition = await lighthouseScores(`${net.webUrl}/edition/${net.seeded!.editionId}`, chrome.port)
  } finally {
    chrome.kill()
  }
  const out = {
    bench: 'web-browser',
    date: new Date().toISOString(),
    plays: PLAYS,
    play_to_audio_ms: { verified_p50: pct(verified, 50), verified_p99: pct(verified, 99), direct_p50: pct(direct, 50), direct_p99: pct(direct, 99) },
    ratio_verified_vs_direct_p50: +(pct(verified, 50) / pct(direct, 50)).toFixed(2),
    lighthouse: { listen, edition },
    targets: { play_p50_ms: 300, accessibility: 95 },
  }
  await writeFile(join(results, 'web-browser.json'), `${JSON.stringify(out, null, 2)}\n`)
  console.log(JSON.stringify(out, null, 2))
} finally {
  await net.stop()
}
