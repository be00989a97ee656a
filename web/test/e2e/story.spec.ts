/**
 * The whole story in a real browser (Debian Chromium) against `next build` + `next start` and the local network:
 * an artist uploads, registers and creates an edition -> a collector buys 2 -> lists one -> a second collector buys
 * it and the artist's royalty grows by exactly the royalty -> a listener plays the track from a node other than the
 * uploader (verified in the browser, currentTime advances, seeking works) -> the operator submits and claims and
 * the DCMX balance grows -> a governance proposal passes and its effect shows. Wallets are the injected EIP-6963
 * test wallet (wallet.ts), signing in this process. One screenshot per step in .artifacts/story/.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { formatEther, parseEther } from 'viem'

import { encodeWav, renderMelody } from '../../../scripts/demo-audio.ts'

import { account, network, rpc, until, type E2eNetwork, type Role } from './network.ts'
import { installTestWallet, TEST_WALLET } from './wallet.ts'

const SHOTS = join(import.meta.dirname, '.artifacts', 'story')
const DAY = 86_400

test.describe.configure({ mode: 'serial' })

let net: E2eNetwork
let step = 0
const contexts: BrowserContext[] = []

async function shot(page: Page, name: string): Promise<void> {
  step++
  await page.screenshot({ path: join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true })
}

async function as(browser: Browser, role: Role | null): Promise<Page> {
  const context = await browser.newContext({ baseURL: net.webUrl })
  contexts.push(context)
  if (role) await installTestWallet(context, { privateKey: account(net, role).privateKey, rpcUrl: net.rpcUrl, chainId: net.chainId })
  return context.newPage()
}

async function connect(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Connect wallet' }).click()
  await page.getByRole('button', { name: TEST_WALLET.name }).click()
  await expect(page.getByTestId('connected-address')).toBeVisible()
}

/** Waits for the write labelled `label` (or the last write) to be confirmed, failing fast on a revert. */
async function confirmed(page: Page, scope = page.locator('body'), label?: string): Promise<void> {
  const status = scope.getByTestId('tx-status').last()
  await expect(status).toHaveAttribute('data-status', /confirmed|reverted|failed/, { timeout: 60_000 })
  expect(await status.getAttribute('data-status'), await status.textContent() ?? '').toBe('confirmed')
  if (label) await expect(status).toContainText(`${label}: confirmed`, { timeout: 60_000 })
}

const node = (i: number) => net.nodes[i]
async function nodeJson<T>(i: number, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${node(i).url}${path}`, init)
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

test.beforeAll(() => {
  net = network()
})
test.afterAll(async () => {
  for (const c of contexts) await c.close()
})

// 40 s of mono 16-bit PCM: 3.4 MiB, four 1 MiB chunks, so playback and seeking cross chunks and nodes.
const wav = encodeWav(renderMelody({ notes: [[3, 1], [7, 1], [10, 1], [15, 2], [10, 1], [7, 1], [5, 2], [null, 1]], bpm: 96, seconds: 40, sampleRate: 44_100 }), 44_100)
let contentHash = ''
let editionId = 0

test('an artist uploads with progress, registers through the node, and creates an edition', async ({ browser }) => {
  const page = await as(browser, 'artist')
  await page.goto('/studio')
  await connect(page)
  await page.setInputFiles('#file', { name: 'first-light.wav', mimeType: 'audio/wav', buffer: Buffer.from(wav) })
  await page.fill('#title', 'First Light')
  await page.fill('#artist-name', 'The Test Artist')
  await page.getByTestId('upload').click()
  const status = page.getByTestId('upload-status')
  await expect(status).toHaveAttribute('data-step', 'registered', { timeout: 90_000 })
  await expect(page.getByTestId('upload-progress')).toHaveAttribute('value', '100')
  await shot(page, 'artist-registered')

  const artist = account(net, 'artist').address
  const tracks = await until('the track in the catalog', async () => {
    const r = await nodeJson<{ tracks: { content_hash: string; title: string }[] }>(0, `/catalog/tracks?artist=${artist}`)
    return r.tracks.find((t) => t.title === 'First Light')
  })
  contentHash = tracks.content_hash

  await page.reload()
  await expect(page.locator(`#ed-track option[value="${contentHash}"]`)).toHaveCount(1)
  await page.fill('#ed-name', 'First Light')
  await page.selectOption('#ed-track', contentHash)
  await page.fill('#ed-price', '0.1')
  await page.fill('#ed-supply', '10')
  await page.fill('#ed-royalty', '10')
  await page.getByTestId('create-edition').click()
  await confirmed(page)
  await shot(page, 'artist-edition-created')
  editionId = await until('the edition in the catalog', async () => {
    const r = await nodeJson<{ editions: { edition_id: number; content_hash: string }[] }>(0, `/catalog/editions?artist=${artist}`)
    return r.editions.find((e) => e.content_hash === contentHash)?.edition_id
  })
})

test('a collector buys 2 and lists one; a second collector buys it and the royalty is exact', async ({ browser }) => {
  const artist = account(net, 'artist').address
  const c1 = await as(browser, 'collector 1')
  await c1.goto(`/edition/${editionId}`)
  await connect(c1)
  await c1.fill('#qty', '2')
  await c1.getByTestId('buy').click()
  await confirmed(c1)
  await expect(c1.getByTestId('edition-sold')).toContainText('2', { timeout: 30_000 })
  await expect(c1.getByTestId('collectors')).toContainText(account(net, 'collector 1').address)
  await shot(c1, 'collector-bought-2')

  await c1.goto('/collection')
  const firstToken = (BigInt(editionId) << 32n) | 1n
  const row = c1.getByTestId(`token-${firstToken}`)
  await row.getByLabel('Resale price (ETH)').fill('0.5')
  await row.getByTestId('list').click()
  await expect(row.getByTestId('tx-status')).toContainText('List for sale: confirmed', { timeout: 60_000 })
  await shot(c1, 'collector-listed')

  const sales = () => nodeJson<{ royalties_wei: string }>(0, `/catalog/artists/${artist}/sales`)
  const before = BigInt((await sales()).royalties_wei)
  const c2 = await as(browser, 'collector 2')
  await c2.goto('/market')
  await connect(c2)
  const listing = c2.getByTestId(`listing-${firstToken}`)
  await expect(listing.getByTestId('royalty-split')).toContainText('royalty 0.05 ETH')
  await listing.getByTestId('buy-listing').click()
  await confirmed(c2, listing)
  await shot(c2, 'second-collector-bought')
  const royalty = parseEther('0.05')
  await until('the royalty in the index', async () => BigInt((await sales()).royalties_wei) === before + royalty)

  const studio = await as(browser, 'artist')
  await studio.goto('/studio')
  await connect(studio)
  await expect(studio.getByTestId('royalty-total')).toHaveText(`${formatEther(before + royalty)} ETH`)
  await shot(studio, 'artist-royalty')
})

test('a listener plays the track, verified in the browser, from a node other than the uploader, and seeks', async ({ browser }) => {
  // Nodes 2 and 3 fetch the track from node 1 over the mesh (paying it with signed receipts).
  for (const i of [1, 2]) {
    await nodeJson(i, '/local/request_file', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${node(i).apiToken}` }, body: JSON.stringify({ content_hash: contentHash }) })
  }
  await until('three holders', async () => (await nodeJson<{ track: { holders: unknown[] } }>(0, `/catalog/tracks/${contentHash}`)).track.holders.length >= 3)

  const page = await as(browser, null)
  await page.goto(`/track/${contentHash}`)
  const audio = page.getByTestId('player')
  await expect(audio).toBeVisible()
  await audio.evaluate((a: HTMLAudioElement) => a.play())
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 30_000 }).toBeGreaterThan(0.5)
  const duration = await audio.evaluate((a: HTMLAudioElement) => a.duration)
  expect(duration).toBeGreaterThan(10)
  await audio.evaluate((a: HTMLAudioElement, t: number) => (a.currentTime = t), duration / 2)
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 30_000 }).toBeGreaterThan(duration / 2 + 0.3)
  const servedBy = await page.getByTestId('served-by').textContent()
  expect([node(1).url, node(2).url].some((u) => servedBy!.includes(u)), `served by ${servedBy}`).toBe(true)
  await shot(page, 'listener-playing')
})

test('the operator submits receipts and claims; the DCMX balance grows', async ({ browser }) => {
  const page = await as(browser, 'operator 1')
  await page.goto('/operate')
  await connect(page)
  const card = page.getByTestId('node-card').first()
  await rpc(net, 'evm_increaseTime', [DAY + 60])
  await rpc(net, 'evm_mine')
  await card.locator('summary').click()
  await card.getByLabel(/API token/).fill(node(0).apiToken)
  await expect(card.getByTestId('receipts-held')).toContainText('MiB')
  await expect(page.getByTestId('current-epoch')).toContainText('Current epoch 1')
  await card.getByRole('button', { name: 'Submit receipts for epoch 0' }).click()
  await expect(card.getByRole('status').last()).toContainText('queued')
  await until('the receipts on chain', async () => {
    const r = await nodeJson<{ epochs: { receipts: { count: number } }[] }>(0, `/catalog/rewards/${node(0).peerId}`)
    return r.epochs.some((e) => e.receipts.count > 0)
  })
  await rpc(net, 'evm_increaseTime', [2 * DAY])
  await rpc(net, 'evm_mine')
  const balance = page.getByTestId('dcmx-balance')
  const before = await balance.textContent()
  await card.getByTestId('claim').first().click()
  await confirmed(page, card)
  await expect(balance).not.toHaveText(before!)
  await shot(page, 'operator-claimed')
})

test('a governance proposal passes and its effect shows in the app', async ({ browser }) => {
  // Quorum is 4% of the supply; three holders of 2M each clear it.
  const voters = [await as(browser, 'operator 2'), await as(browser, 'artist'), await as(browser, 'collector 1')]
  for (const v of voters) {
    await v.goto('/govern')
    await connect(v)
    await v.getByTestId('delegate').click()
    await confirmed(v)
  }
  const [proposer, second] = voters
  await expect(proposer.getByTestId('param-maxRoyalty')).toHaveText('25 %')
  await proposer.selectOption('#param', 'maxRoyalty')
  await proposer.fill('#param-value', '20')
  await proposer.getByTestId('propose').click()
  await confirmed(proposer)
  await proposer.getByTestId('skip-day').click()
  await proposer.getByTestId('skip-day').click()
  for (const v of voters) {
    await v.reload()
    await v.getByTestId('vote-for').first().click()
    await confirmed(v)
  }
  await proposer.getByTestId('skip-week').click()
  await proposer.reload()
  await expect(proposer.getByTestId('proposal-state').first()).toHaveText('Succeeded')
  await proposer.getByTestId('queue').click()
  await confirmed(proposer)
  await proposer.getByTestId('skip-week').click()
  await proposer.reload()
  await proposer.getByTestId('execute').click()
  await confirmed(proposer)
  await expect(proposer.getByTestId('param-maxRoyalty')).toHaveText('20 %')
  await second.goto('/studio')
  await expect(second.getByLabel(/Resale royalty/)).toHaveAttribute('max', '20')
  await shot(proposer, 'governance-executed')
  await writeFile(join(SHOTS, 'README.txt'), 'Screenshots of the browser story, one per step (web/test/e2e/story.spec.ts).\n')
})
