import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { parseSignature, serializeSignature } from 'viem'
import type { Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { CLIENT_AUTH_HEADER, RECEIPT_STREAM_MAX_LINE, receiptStreamAnswerSchema } from '../../src/api.ts'
import { contentAuthMessage, servedRootOf } from '../../src/chain/receipts.ts'
import type { DcmxNode } from '../../src/node.ts'
import { randomBytesOf, startNode, upload } from '../helpers.ts'
import { chainConfig, deployProtocol, stakeByOperator } from './protocol.ts'
import type { DeployedContract } from './protocol.ts'
import { startTestChain } from './test-chain.ts'
import type { TestChain } from './test-chain.ts'

const MiB = 1 << 20
const WINDOW = 8 * MiB
const FREE_RATE = 4 * MiB
const SIZE = 20 * MiB

/** The nonce a client header carries; hand-made headers in this file reuse one on purpose (replays). */
const NONCE = '0123456789abcdef'

describe('bandwidth receipts between real nodes', () => {
  let chain: TestChain
  let protocol: Awaited<ReturnType<typeof deployProtocol>>
  let a: DcmxNode & { cleanup: () => Promise<void> }
  let b: DcmxNode & { cleanup: () => Promise<void> }
  let hash: string
  const bytes = randomBytesOf(SIZE, 7)

  async function advance(seconds: number): Promise<void> {
    await chain.provider.request({ method: 'evm_increaseTime', params: [seconds] })
    await chain.mine()
  }

  const rewardsConfig = { auto: false, windowBytes: WINDOW, freeRateBytesPerSec: FREE_RATE, stakeCacheMs: 0, receiptWaitMs: 1500 }

  before(async () => {
    chain = await startTestChain()
    protocol = await deployProtocol(chain)
    a = await startNode({ chain: chainConfig(chain, protocol), rewards: rewardsConfig })
    // B's own cadence (64 MiB) is longer than A's window: it must follow the window A announces.
    b = await startNode({ chain: chainConfig(chain, protocol), rewards: { ...rewardsConfig, signEveryBytes: 64 * MiB }, peers: [{ host: '127.0.0.1', port: Number(new URL(a.url).port) }] })
    await stakeByOperator(protocol, a, 1)
    await stakeByOperator(protocol, b, 2)
    const res = await upload(a, bytes)
    assert.equal(res.status, 201)
    hash = createHash('sha256').update(bytes).digest('hex')
    await res.body?.cancel()
    await b.gossip.round()
  })
  after(async () => {
    await b?.cleanup()
    await a?.cleanup()
    await chain?.close()
  })

  it('a staked client signs receipts the server stores; the server submits, claims and is paid exactly the formula', async () => {
    const rewards = protocol.deployed.rewards as DeployedContract
    const epoch = Number(await rewards.read.currentEpoch())
    await b.getContent(hash)
    await b.rewards?.receipts.flush()
    const held = a.rewards?.receipts.held(epoch) ?? []
    assert.equal(held.length, 1)
    assert.equal(held[0]?.client.toLowerCase(), b.account.address.toLowerCase())
    assert.equal(held[0]?.cumulativeBytes, BigInt(SIZE))
    assert.equal(held[0]?.servedRoot, servedRootOf([hash]))
    // A announced its 8 MiB window: B signed about every half window (4 MiB) and at the end, not once at the end
    // (A would have cut it off at 8 MiB) nor every MiB.
    const signed = b.rewards?.receipts.stats.signed ?? 0
    assert.ok(signed >= 3 && signed <= 7, `B signed ${signed} receipts for 20 MiB`)
    // All of them answered on B's receipt stream to A, none refused.
    assert.equal(b.rewards?.receipts.stats.streamed, signed)
    assert.equal(b.rewards?.receipts.stats.sendFailures, 0)

    const p = (await rewards.read.parametersOf([epoch])) as { epochLength: number; settlementDelay: number; diversityBonusBps: number; diversityTarget: number; rewardPerUnit: bigint }
    await advance(p.epochLength)
    await a.rewards?.receipts.refresh()
    const { jobs } = (await a.rewards?.submit(epoch)) as { jobs: string[] }
    assert.deepEqual(jobs, [`receipts:${epoch}:0`])
    await a.chain?.outbox.wait(`receipts:${epoch}:0`)
    const se = (await rewards.read.serverEpoch([a.account.address, epoch])) as { bytesServed: bigint; clients: number }
    assert.equal(se.bytesServed, BigInt(SIZE))
    assert.equal(se.clients, 1)

    const operator = (protocol.wallets[1] as (typeof protocol.wallets)[number]).account.address as Address
    const before = (await protocol.deployed.token.read.balanceOf([operator])) as bigint
    await advance(p.settlementDelay)
    await a.rewards?.receipts.refresh()
    await a.rewards?.claim(epoch)
    const job = await a.chain?.outbox.wait(`claim:${epoch}`)
    assert.equal(job?.result, 'mined')
    const afterBalance = (await protocol.deployed.token.read.balanceOf([operator])) as bigint
    const target = BigInt(p.diversityTarget)
    const expected = (BigInt(SIZE) * p.rewardPerUnit * (10_000n * target + 1n * BigInt(p.diversityBonusBps))) / (10_000n * target * BigInt(100 * MiB))
    assert.equal(afterBalance - before, expected)
    assert.ok(expected > 0n)
    // A second claim is already done (the contract's AlreadyClaimed), not an error.
    const status = await a.rewards?.status()
    assert.equal(status?.epochs.find((e) => e.epoch === epoch)?.status, 'claimed')
  })

  it('refuses forged, inflated and replayed receipts before storing them', async () => {
    await a.rewards?.receipts.refresh()
    const epoch = a.rewards?.receipts.epoch as number
    // B fetches again in this epoch (a fresh node C would be the same): A now holds a receipt for it.
    // C may only dial A: B holds the track too and could win C's race for the first chunk (C's receipts then go to B).
    const aPort = Number(new URL(a.url).port)
    const c = await startNode({ chain: chainConfig(chain, protocol), rewards: rewardsConfig, peers: [{ host: '127.0.0.1', port: aPort }], dialFilter: (addr) => addr.port === aPort })
    try {
      await stakeByOperator(protocol, c, 3)
      await c.gossip.round()
      await c.getContent(hash)
      await c.rewards?.receipts.flush()
      const held = (a.rewards?.receipts.held(epoch) ?? []).find((r) => r.client.toLowerCase() === c.account.address.toLowerCase())
      assert.equal(held?.cumulativeBytes, BigInt(SIZE))
      const post = (body: unknown) => fetch(`${a.url}/receipts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const base = { server: a.account.address, client: c.account.address, epoch, servedRoot: servedRootOf([hash]) }
      const svc = c.rewards?.receipts
      assert.ok(svc)
      // Forged: signed by another key in C's name.
      const forger = privateKeyToAccount(generatePrivateKey())
      const forged = await svc.sign(forger, { ...base, cumulativeBytes: String(SIZE), nonce: '999' })
      assert.equal((await post({ receipt: forged, contents: [hash] })).status, 403)
      // Inflated: C's own key, more bytes than A served it.
      const inflated = await svc.sign(c.account, { ...base, cumulativeBytes: String(SIZE + 1), nonce: '1000' })
      assert.equal((await post({ receipt: inflated, contents: [hash] })).status, 403)
      // Replayed older receipt: a lower nonce and fewer bytes than the one held.
      const older = await svc.sign(c.account, { ...base, cumulativeBytes: String(MiB), nonce: '1' })
      assert.equal((await post({ receipt: older, contents: [hash] })).status, 403)
      // The high-s twin of a valid signature (viem recovers it, the contract's compact form cannot carry it): 400.
      const valid = await svc.sign(c.account, { ...base, cumulativeBytes: String(SIZE), nonce: '2000' })
      const sig = parseSignature(valid.signature as `0x${string}`)
      const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
      const twin = serializeSignature({ r: sig.r, s: `0x${(N - BigInt(sig.s)).toString(16).padStart(64, '0')}`, yParity: sig.yParity === 0 ? 1 : 0 })
      assert.equal((await post({ receipt: { ...valid, signature: twin }, contents: [hash] })).status, 400)
      // A nonce a JS number would round: 400 before anything else.
      assert.equal((await post({ receipt: { ...valid, nonce: '9007199254740993' }, contents: [hash] })).status, 400)
      // Wrong content list for the root.
      assert.equal((await post({ receipt: inflated, contents: ['00'.repeat(32)] })).status, 403)
      // The same on the receipt stream, in one request: each line answered in order with POST's status, and a line that
      // is not JSON answered without ending the stream; the receipt A holds, sent again, is taken as it is.
      const stream = async (body: string) => {
        const res = await fetch(`${a.url}/receipts/stream`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body })
        assert.equal(res.status, 200)
        return (await res.text()).trim().split('\n').map((l) => receiptStreamAnswerSchema.parse(JSON.parse(l)))
      }
      const lines = [
        '{not json',
        { receipt: forged, contents: [hash] },
        { receipt: inflated, contents: [hash] },
        { receipt: older, contents: [hash] },
        { receipt: { ...valid, signature: twin }, contents: [hash] },
        { receipt: { ...valid, nonce: '9007199254740993' }, contents: [hash] },
        { receipt: inflated, contents: ['00'.repeat(32)] },
        { receipt: { ...base, cumulativeBytes: String(held?.cumulativeBytes), nonce: String(held?.nonce), signature: held?.signature }, contents: [hash] },
      ]
      const answers = await stream(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n')
      assert.deepEqual(
        answers.map((x) => (x.ok ? 200 : x.status)),
        [400, 403, 403, 403, 400, 400, 403, 200],
      )
      assert.equal(answers[7]?.ok && answers[7].result.cumulativeBytes, String(SIZE))
      // A line that arrives in pieces, then a second one, is answered as whole lines.
      const heldLine = `${JSON.stringify(lines[7])}\n`
      const pieces = [heldLine.slice(0, 100), heldLine.slice(100, 101), `${heldLine.slice(101)}{"x"`, ':1}\n']
      const split = await fetch(`${a.url}/receipts/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        duplex: 'half',
        body: new ReadableStream({
          async pull(ctl) {
            const next = pieces.shift()
            if (next === undefined) return ctl.close()
            await new Promise((r) => setTimeout(r, 20))
            ctl.enqueue(new TextEncoder().encode(next))
          },
        }),
      } as RequestInit)
      const splitAnswers = (await split.text()).trim().split('\n').map((l) => receiptStreamAnswerSchema.parse(JSON.parse(l)))
      assert.deepEqual(splitAnswers.map((x) => (x.ok ? 200 : x.status)), [200, 400])
      // Lines that take nothing new cost the server a recovery each: a stream carrying too many is ended (429), so one
      // request cannot get around the per-IP request limit. The held receipt again: taken, but a repeat.
      const repeats = await stream(`${JSON.stringify(lines[7])}\n`.repeat(20))
      assert.deepEqual(repeats.map((x) => (x.ok ? 200 : x.status)), [...Array<number>(17).fill(200), 429])
      // A line over the limit ends the stream (413); nothing after it is read.
      const tooLong = await stream(`${'x'.repeat(RECEIPT_STREAM_MAX_LINE + 1)}\n${JSON.stringify(lines[7])}\n`)
      assert.deepEqual(tooLong.map((x) => (x.ok ? 200 : x.status)), [413])
      const still = (a.rewards?.receipts.held(epoch) ?? []).find((r) => r.client.toLowerCase() === c.account.address.toLowerCase())
      assert.equal(still?.cumulativeBytes, BigInt(SIZE))
      assert.equal(still?.signature, held?.signature)
    } finally {
      await c.cleanup()
    }
  })

  it("refuses a client header signed by another key or replayed: nobody spends another client's window", async () => {
    const forger = privateKeyToAccount(generatePrivateKey())
    const ts = Math.floor(Date.now() / 1000)
    const sig = await forger.signMessage({ message: contentAuthMessage(a.account.address, hash, 0, ts, NONCE) })
    const r1 = await fetch(`${a.url}/content/${hash}`, { headers: { [CLIENT_AUTH_HEADER]: `${b.account.address}:${ts}:${NONCE}:${sig}` } })
    assert.equal(r1.status, 403)
    await r1.body?.cancel()
    const good = await b.account.signMessage({ message: contentAuthMessage(a.account.address, hash, 0, ts, NONCE) })
    const h = { [CLIENT_AUTH_HEADER]: `${b.account.address}:${ts}:${NONCE}:${good}`, range: 'bytes=0-0' }
    const r2 = await fetch(`${a.url}/content/${hash}`, { headers: h })
    assert.equal(r2.status, 206)
    await r2.arrayBuffer()
    const r3 = await fetch(`${a.url}/content/${hash}`, { headers: h })
    assert.equal(r3.status, 403, 'the same header twice is a replay')
    await r3.body?.cancel()
    // The same signature with v written as 0/1 instead of 27/28 (it recovers the same key) is the same replay.
    const v = Number.parseInt(good.slice(130), 16)
    const twin = `${good.slice(0, 130)}${(v - 27).toString(16).padStart(2, '0')}`
    const r4 = await fetch(`${a.url}/content/${hash}`, { headers: { ...h, [CLIENT_AUTH_HEADER]: `${b.account.address}:${ts}:${NONCE}:${twin}` } })
    assert.equal(r4.status, 403, 'a v-twin of a used header is a replay')
    await r4.body?.cancel()
    // Copies of a fresh header sent at once (the signature check awaits): exactly one is served.
    const fresh = await b.account.signMessage({ message: contentAuthMessage(a.account.address, hash, 0, ts, 'aaaabbbbccccdddd') })
    const copies = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const r = await fetch(`${a.url}/content/${hash}`, { headers: { [CLIENT_AUTH_HEADER]: `${b.account.address}:${ts}:aaaabbbbccccdddd:${fresh}`, range: 'bytes=0-0' } })
        await r.arrayBuffer()
        return r.status
      }),
    )
    assert.deepEqual(copies.sort(), [206, 403, 403, 403])
  })

  it('cuts off a staked client that stops signing after the window', async () => {
    const ts = Math.floor(Date.now() / 1000)
    const sig = await b.account.signMessage({ message: contentAuthMessage(a.account.address, hash, 0, ts, 'fedcba9876543210') })
    const before = a.rewards?.receipts.stats.cutOff ?? 0
    const res = await fetch(`${a.url}/content/${hash}`, { headers: { [CLIENT_AUTH_HEADER]: `${b.account.address}:${ts}:${'fedcba9876543210'}:${sig}` } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-dcmx-window'), String(WINDOW))
    let got = 0
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) got += chunk.byteLength
    } catch {
      // the server ends the stream early
    }
    assert.ok(got <= WINDOW, `served ${got} bytes without a receipt, window ${WINDOW}`)
    assert.ok(got < SIZE)
    assert.equal(a.rewards?.receipts.stats.cutOff, before + 1)
  })

  it('serves a client that signs nothing at the free rate only', async () => {
    const t0 = performance.now()
    const res = await fetch(`${a.url}/content/${hash}`, { headers: { range: `bytes=0-${12 * MiB - 1}` } })
    assert.equal(res.status, 206)
    const body = Buffer.from(await res.arrayBuffer())
    const sec = (performance.now() - t0) / 1000
    assert.equal(body.byteLength, 12 * MiB)
    // One second of burst, then FREE_RATE: 12 MiB at 4 MiB/s takes at least 2 s.
    assert.ok(sec >= 1.9, `free client got 12 MiB in ${sec.toFixed(2)} s`)
    assert.equal((a.rewards?.receipts.held(a.rewards.receipts.epoch as number) ?? []).length >= 0, true)
  })

  it('sends receipts by POST to a server without the receipt stream (an older node)', async () => {
    await a.rewards?.receipts.refresh()
    const epoch = a.rewards?.receipts.epoch as number
    const aPort = Number(new URL(a.url).port)
    // A in front of a proxy that answers the stream 404, as a node from before it would, and passes the rest to A.
    const proxy = createServer((req, res) => {
      if (req.url === '/receipts/stream') {
        req.resume()
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"NotFound"}')
        return
      }
      const up = request({ host: '127.0.0.1', port: aPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      })
      up.on('error', () => res.destroy())
      req.pipe(up)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const proxyPort = (proxy.address() as AddressInfo).port
    const c = await startNode({
      chain: chainConfig(chain, protocol),
      rewards: rewardsConfig,
      peers: [{ host: '127.0.0.1', port: aPort }],
      dialFilter: (addr) => addr.port === aPort || addr.port === proxyPort,
    })
    try {
      await stakeByOperator(protocol, c, 4)
      await c.gossip.round()
      // C reaches A only through the proxy (content and receipts alike).
      const entry = c.peers.get(a.account.address)
      assert.ok(entry)
      ;(entry.record as { port: number }).port = proxyPort
      await c.getContent(hash)
      await c.rewards?.receipts.flush()
      const stats = c.rewards?.receipts.stats
      assert.ok((stats?.signed ?? 0) >= 3)
      assert.equal(stats?.streamed, 0)
      assert.equal(stats?.sendFailures, 0)
      const held = (a.rewards?.receipts.held(epoch) ?? []).find((r) => r.client.toLowerCase() === c.account.address.toLowerCase())
      assert.equal(held?.cumulativeBytes, BigInt(SIZE))
    } finally {
      await c.cleanup()
      proxy.closeAllConnections()
      await new Promise((r) => proxy.close(r))
    }
  })

  it('counts and logs a receipt that cannot be signed, and signs again once it can: never an unhandled rejection', async () => {
    const receipts = b.rewards?.receipts
    assert.ok(receipts)
    const rejections: unknown[] = []
    const onRejection = (err: unknown) => void rejections.push(err)
    process.on('unhandledRejection', onRejection)
    const sign = b.account.sign
    // Another server than A (nothing to deliver to it): only the signing matters here.
    const server = privateKeyToAccount(generatePrivateKey()).address
    try {
      b.account.sign = async () => {
        throw new Error('signer down')
      }
      const before = { ...receipts.stats }
      receipts.verified(server, hash, MiB, true)
      await receipts.flush()
      await new Promise((r) => setImmediate(r))
      assert.deepEqual(rejections, [])
      assert.equal(receipts.stats.sendFailures, before.sendFailures + 1)
      assert.equal(receipts.stats.signed, before.signed)
      b.account.sign = sign
      receipts.verified(server, hash, MiB, true)
      await receipts.flush()
      assert.equal(receipts.stats.signed, before.signed + 1)
    } finally {
      b.account.sign = sign
      process.off('unhandledRejection', onRejection)
    }
  })
})
