import assert from 'node:assert/strict'
import { request as rawRequest } from 'node:http'
import { after, before, describe, it } from 'node:test'

import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'

import { UPLOAD_AUTH_MAX_SEC, UPLOAD_HEADERS, uploadAuthMessage } from '../../src/api.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode as startOffChain, upload } from '../helpers.ts'
import { chainConfig, protocolChain } from '../chain/protocol.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }

const KIB = 1024
const now = () => Math.floor(Date.now() / 1000)

/** The three headers of a wallet's signed upload authorization for `node` (by default: for itself, 10 min). */
async function authHeaders(account: PrivateKeyAccount, node: string, opts: { wallet?: string; expires?: number } = {}): Promise<Record<string, string>> {
  const wallet = opts.wallet ?? account.address
  const expires = opts.expires ?? now() + 600
  const signature = await account.signMessage({ message: uploadAuthMessage(node, wallet, expires) })
  return { [UPLOAD_HEADERS.wallet]: wallet, [UPLOAD_HEADERS.expires]: String(expires), [UPLOAD_HEADERS.signature]: signature }
}

/** Wallet uploads wait for their uploader's on-chain registration, so these nodes run on a chain. */
function onChain(ctx: ReturnType<typeof protocolChain>) {
  return (cfg: Parameters<typeof startOffChain>[0] = {}) => startOffChain({ chain: chainConfig(ctx.chain, ctx.protocol), ...cfg })
}

describe('wallet-signed uploads (POST /tracks without the operator token)', () => {
  const startNode = onChain(protocolChain())
  let n: TestNode
  let other: TestNode
  const alice = privateKeyToAccount(generatePrivateKey())
  const mallory = privateKeyToAccount(generatePrivateKey())
  const auth = (account: PrivateKeyAccount, opts: { node?: string; wallet?: string; expires?: number } = {}) => authHeaders(account, opts.node ?? n.peerId, opts)
  const send = (bytes: Uint8Array, headers: Record<string, string>, title = 'Song') =>
    fetch(`${n.url}/tracks?title=${title}&artist=Alice`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: bytes })

  before(async () => {
    n = await startNode({ walletUploadBytesPerDay: 300 * KIB, walletUploadTotalBytesPerDay: 500 * KIB })
    other = await startNode()
  })
  after(async () => {
    await n.cleanup()
    await other.cleanup()
  })

  it('stores a track uploaded with a valid wallet signature', async () => {
    const res = await send(randomBytesOf(100 * KIB, 1), await auth(alice))
    assert.equal(res.status, 201)
    const body = (await res.json()) as { track: { size: number } }
    assert.equal(body.track.size, 100 * KIB)
  })

  it('refuses an upload with neither the token nor a signature (401)', async () => {
    const res = await send(randomBytesOf(KIB, 2), {})
    assert.equal(res.status, 401)
    assert.match(((await res.json()) as { message: string }).message, /Upload authorization required/)
  })

  it("refuses a signature by another wallet, for another node, expired, or valid too long (401), and stores nothing", async () => {
    const before = ((await (await fetch(`${n.url}/tracks`)).json()) as unknown[]).length
    const cases = [
      await auth(mallory, { wallet: alice.address }), // mallory signs claiming alice
      await auth(alice, { node: other.peerId }), // alice's authorization for another node, replayed here
      await auth(alice, { expires: now() - 1 }),
      await auth(alice, { expires: now() + UPLOAD_AUTH_MAX_SEC + 120 }),
    ]
    for (const [i, headers] of cases.entries()) {
      const res = await send(randomBytesOf(KIB, 10 + i), headers)
      assert.equal(res.status, 401, `case ${i}`)
    }
    const tampered = await auth(alice)
    tampered[UPLOAD_HEADERS.expires] = String(Number(tampered[UPLOAD_HEADERS.expires]) + 1)
    assert.equal((await send(randomBytesOf(KIB, 20), tampered)).status, 401)
    const malformed = await send(randomBytesOf(KIB, 21), { ...(await auth(alice)), [UPLOAD_HEADERS.signature]: '0x1234' })
    assert.equal(malformed.status, 400)
    assert.equal(((await (await fetch(`${n.url}/tracks`)).json()) as unknown[]).length, before)
  })

  it("enforces each wallet's daily budget and the node's total (429), while the operator token still works", async () => {
    // alice used 100 KiB; 250 more would pass 300 KiB
    const over = await send(randomBytesOf(250 * KIB, 30), await auth(alice))
    assert.equal(over.status, 429)
    assert.equal((await send(randomBytesOf(150 * KIB, 31), await auth(alice))).status, 201)
    // a fresh wallet has its own budget, but the node's total (500 KiB) caps them together: 250 used so far
    const bob = privateKeyToAccount(generatePrivateKey())
    assert.equal((await send(randomBytesOf(200 * KIB, 32), await auth(bob))).status, 201)
    assert.equal((await send(randomBytesOf(100 * KIB, 33), await auth(bob))).status, 429)
    assert.equal((await upload(n, randomBytesOf(100 * KIB, 34))).status, 201)
  })

  it('a node with wallet uploads off answers 403', async () => {
    const closed = await startNode({ walletUploadBytesPerDay: 0 })
    try {
      const res = await fetch(`${closed.url}/tracks?title=x&artist=y`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', ...(await authHeaders(alice, closed.peerId)) },
        body: randomBytesOf(KIB, 40),
      })
      assert.equal(res.status, 403)
    } finally {
      await closed.cleanup()
    }
  })
})

describe('wallet-upload budgets: refunds and counts', () => {
  const startNode = onChain(protocolChain())
  const alice = privateKeyToAccount(generatePrivateKey())
  const headers = (n: DcmxNode, account: PrivateKeyAccount = alice) => authHeaders(account, n.peerId)
  const send = (n: DcmxNode, bytes: Uint8Array, h: Record<string, string>) =>
    fetch(`${n.url}/tracks?title=t&artist=a`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...h }, body: bytes })

  it('an upload aborted after its headers is refunded, so declaring and hanging up cannot exhaust the budget', async () => {
    const n = await startNode({ walletUploadBytesPerDay: 400 * KIB, walletUploadTotalBytesPerDay: 400 * KIB })
    try {
      const h = await headers(n)
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => {
          const req = rawRequest(`${n.url}/tracks?title=t&artist=a`, { method: 'POST', headers: { ...h, 'content-type': 'application/octet-stream', 'content-length': String(300 * KIB) } })
          req.on('error', () => resolve())
          req.write(Buffer.alloc(10))
          setTimeout(() => {
            req.destroy()
            resolve()
          }, 150)
        })
      }
      await new Promise((r) => setTimeout(r, 200))
      const res = await send(n, randomBytesOf(150 * KIB, 50), await headers(n))
      assert.equal(res.status, 201, await res.text())
      // a duplicate stores nothing new and is refunded too: 150 + 240 fits in 400 only if it was
      assert.equal((await send(n, randomBytesOf(150 * KIB, 50), await headers(n))).status, 200)
      assert.equal((await send(n, randomBytesOf(240 * KIB, 51), await headers(n))).status, 201)
    } finally {
      await n.cleanup()
    }
  })

  it('tiny uploads are charged the minimum and counted, so a budget in bytes also bounds the number of tracks', async () => {
    const n = await startNode({ walletUploadBytesPerDay: 1024 * KIB, walletUploadsPerDay: 3, walletUploadTotalPerDay: 4 })
    try {
      for (let i = 0; i < 3; i++) assert.equal((await send(n, randomBytesOf(10, 60 + i), await headers(n))).status, 201)
      assert.equal((await send(n, randomBytesOf(10, 70), await headers(n))).status, 429)
      const bob = privateKeyToAccount(generatePrivateKey())
      assert.equal((await send(n, randomBytesOf(10, 71), await headers(n, bob))).status, 201)
      assert.equal((await send(n, randomBytesOf(10, 72), await headers(n, bob))).status, 429, 'the node-wide count is used up')
    } finally {
      await n.cleanup()
    }
  })

  it('a request refused before the handler (bad query, wrong content type) is refunded too', async () => {
    const n = await startNode({ walletUploadBytesPerDay: 400 * KIB, walletUploadTotalBytesPerDay: 400 * KIB })
    try {
      const noTitle = await fetch(`${n.url}/tracks?artist=a`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...(await headers(n)) }, body: randomBytesOf(190 * KIB, 90) })
      assert.equal(noTitle.status, 400)
      const text = await fetch(`${n.url}/tracks?title=t&artist=a`, { method: 'POST', headers: { 'content-type': 'text/plain', ...(await headers(n)) }, body: randomBytesOf(190 * KIB, 91) })
      assert.ok(text.status >= 400 && text.status < 500, `status ${text.status}`)
      assert.equal((await send(n, randomBytesOf(390 * KIB, 92), await headers(n))).status, 201)
    } finally {
      await n.cleanup()
    }
  })

  it('a node off chain refuses wallet uploads (they could only be announced, never reserved for registration)', async () => {
    const n = await startOffChain({ walletUploadBytesPerDay: 1024 * KIB })
    try {
      assert.equal((await send(n, randomBytesOf(KIB, 93), await headers(n))).status, 403)
    } finally {
      await n.cleanup()
    }
  })

  it('wallet-signed uploads are off unless the operator opens them', async () => {
    const n = await startNode()
    try {
      assert.equal((await send(n, randomBytesOf(KIB, 80), await headers(n))).status, 403)
    } finally {
      await n.cleanup()
    }
  })
})

describe('wallet-signed uploads from smart wallets (ERC-1271)', () => {
  const ctx = protocolChain()
  const startNode = onChain(ctx)
  const owner = privateKeyToAccount(generatePrivateKey())
  const stranger = privateKeyToAccount(generatePrivateKey())

  it("accepts an authorization a contract wallet validates, checked through the chain, and refuses one it does not", async () => {
    const n = await startNode({ walletUploadBytesPerDay: 10 << 20 })
    try {
      const safe = (await ctx.chain.viem.deployContract('MockSmartWallet', [owner.address])) as { address: `0x${string}` }
      const send = async (headers: Record<string, string>, seed: number) =>
        fetch(`${n.url}/tracks?title=Song&artist=Safe`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: randomBytesOf(KIB, seed) })
      // The owner's key signs in the name of the contract wallet, which says yes (isValidSignature).
      assert.equal((await send(await authHeaders(owner, n.peerId, { wallet: safe.address }), 90)).status, 201)
      // A key the wallet does not accept, and the owner's key for an address with no code: both 401.
      assert.equal((await send(await authHeaders(stranger, n.peerId, { wallet: safe.address }), 91)).status, 401)
      assert.equal((await send(await authHeaders(owner, n.peerId, { wallet: stranger.address }), 92)).status, 401)
      // Longer signatures are allowed for smart wallets, within bounds; beyond them, 400 before any RPC.
      const long = await authHeaders(owner, n.peerId, { wallet: safe.address })
      assert.equal((await send({ ...long, [UPLOAD_HEADERS.signature]: `0x${'ab'.repeat(2049)}` }, 93)).status, 400)
    } finally {
      await n.cleanup()
    }
  })
})
