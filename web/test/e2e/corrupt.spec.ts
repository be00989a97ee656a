/**
 * A node serving corrupted audio: the player refuses its chunks (each checked against the manifest whose root the
 * browser read from the TrackRegistry), names the node, and plays on from another holder.
 */
import { open } from 'node:fs/promises'
import { join } from 'node:path'

import { expect, test } from '@playwright/test'

import { network, until } from './network.ts'

test('a node that serves corrupted chunks is named and playback continues from another node', async ({ browser }) => {
  const net = network()
  const seeded = JSON.parse(JSON.stringify(net)).seeded as { tracks: { contentHash: string; mediaType: string }[] }
  const hash = seeded.tracks.find((t) => t.mediaType === 'audio/wav')!.contentHash
  // Two of the three holders lie (the uploader and a node that fetched it), so whichever holder the player tries
  // first for a chunk, it meets a liar before it can finish; only the third node serves true bytes.
  const [uploader, liar, honest] = net.nodes
  const liars = [uploader, liar]
  for (const n of [liar, honest]) {
    const res = await fetch(`${n.url}/local/request_file`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${n.apiToken}` },
      body: JSON.stringify({ content_hash: hash }),
    })
    expect(res.ok, await res.text()).toBe(true)
  }
  await until('the liar and the honest node listed as holders', async () => {
    const r = (await (await fetch(`${net.nodes[0].url}/catalog/tracks/${hash}`)).json()) as { track: { holders: { host: string; port: number }[] } }
    const ports = r.track.holders.map((h) => h.port)
    return [liar, honest].every((n) => ports.includes(Number(new URL(n.url).port)))
  })
  // Flip one byte in every 1 MiB chunk of the liars' stored copies: whatever they serve is wrong.
  for (const n of liars) {
    const fh = await open(join(n.dataDir, 'content', hash.slice(0, 2), hash), 'r+')
    try {
      const { size } = await fh.stat()
      for (let at = 100; at < size; at += 1 << 20) {
        const b = Buffer.alloc(1)
        await fh.read(b, 0, 1, at)
        b[0] ^= 0xff
        await fh.write(b, 0, 1, at)
      }
    } finally {
      await fh.close()
    }
  }

  const context = await browser.newContext({ baseURL: net.webUrl })
  try {
    const page = await context.newPage()
    await page.goto(`/track/${hash}`)
    const audio = page.getByTestId('player')
    await expect(audio).toBeVisible()
    await audio.evaluate((a: HTMLAudioElement) => a.play())
    await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 30_000 }).toBeGreaterThan(0.5)
    const duration = await audio.evaluate((a: HTMLAudioElement) => a.duration)
    await audio.evaluate((a: HTMLAudioElement, t: number) => (a.currentTime = t), duration * 0.75)
    await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 30_000 }).toBeGreaterThan(duration * 0.75 + 0.3)
    // Every chunk came from the honest node, and each liar the player met is named.
    const named = await page.getByTestId('bad-node').allTextContents()
    expect(named.length).toBeGreaterThan(0)
    for (const text of named) expect(liars.some((n) => text.includes(n.url)), text).toBe(true)
    const servedBy = (await page.getByTestId('served-by').textContent()) ?? ''
    expect(servedBy).toContain(honest.url)
    for (const n of liars) expect(servedBy).not.toContain(n.url)
  } finally {
    await context.close()
  }
})
