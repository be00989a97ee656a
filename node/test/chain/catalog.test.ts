import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

import { getAddress, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { Address, Hex, WalletClient } from 'viem'

import {
  catalogArtistSalesResponseSchema,
  catalogEditionResponseSchema,
  catalogEditionsResponseSchema,
  catalogListingsResponseSchema,
  catalogOwnerResponseSchema,
  catalogRewardsResponseSchema,
  catalogTrackResponseSchema,
  catalogTracksResponseSchema,
  errorResponseSchema,
} from '../../src/api.ts'
import { Catalog } from '../../src/chain/catalog.ts'
import { contractAbis } from '../../src/chain/contracts.ts'
import { ChainIndexer } from '../../src/chain/indexer.ts'
import { createLogger } from '../../src/core/logger.ts'
import { openDb } from '../../src/storage/db.ts'
import type { Db } from '../../src/storage/db.ts'
import { rewardsDomain, signReceipt, signRegistration, stakingDomain } from '../../../test/helpers/receipts.ts'
import { startNode, tempDir } from '../helpers.ts'
import { chainConfig, deployProtocol } from './protocol.ts'
import { startTestChain } from './test-chain.ts'
import type { TestChain } from './test-chain.ts'

const logger = createLogger({ level: process.env.DCMX_TEST_LOG ?? 'silent' })
const ZERO32 = `0x${'0'.repeat(64)}` as Hex
const addr = (w: { account: { address: string } }) => getAddress(w.account.address)
const tokenId = (edition: bigint, serial: bigint) => (edition << 32n) | serial

describe('catalog index and API', () => {
  let chain: TestChain
  let protocol: Awaited<ReturnType<typeof deployProtocol>>
  let node: Awaited<ReturnType<typeof startNode>>
  let artist: WalletClient & { account: { address: Address } }
  let buyer: typeof artist
  let other: typeof artist
  let hashA: string
  const dirs: Awaited<ReturnType<typeof tempDir>>[] = []

  const get = async (path: string) => {
    const res = await fetch(`${node.url}${path}`)
    return { status: res.status, body: (await res.json()) as unknown, cors: res.headers.get('access-control-allow-origin') }
  }
  const as = (w: typeof artist) => ({ account: w.account })

  async function register(w: typeof artist, hash: string, root: string, size: number, title: string, artistName: string) {
    const salt = `0x${randomBytes(32).toString('hex')}` as Hex
    const c = protocol.deployed.trackRegistry
    const commitment = (await c.read.commitmentOf([`0x${hash}`, w.account.address, salt])) as Hex
    await c.write.commit([commitment], as(w))
    await chain.mine()
    await c.write.register([{ contentHash: `0x${hash}`, manifestRoot: `0x${root}`, size: BigInt(size), duration: 200, title, artistName, album: 'Sides', metadataURI: 'ipfs://meta' }, salt], as(w))
  }

  async function expiry(seconds = 3600): Promise<bigint> {
    return (await chain.publicClient.getBlock({ blockTag: 'latest' })).timestamp + BigInt(seconds)
  }

  /** A ChainIndexer + Catalog over a fresh database (the reference a reorged or restarted index must equal). */
  async function freshCatalog(db?: Db) {
    if (!db) {
      const dir = await tempDir('dcmx-cat-')
      dirs.push(dir)
      db = openDb(dir.path)
    }
    const c = protocol.contracts
    const ix = new ChainIndexer(
      { db, publicClient: chain.publicClient, logger },
      { chainId: 31337, sources: (Object.keys(c) as (keyof typeof c)[]).map((n) => ({ address: c[n], abi: contractAbis[n] })), fromBlock: protocol.fromBlock, maxRange: 500 },
    )
    await ix.sync()
    return { ix, db, catalog: new Catalog({ db, now: () => Math.floor(Date.now() / 1000) }, { chainId: 31337, contracts: c }) }
  }

  /** Every catalog answer for the test's accounts and editions, for equality between two indexes. */
  function snapshotOf(cat: Catalog) {
    const people = [artist, buyer, other].map((w) => w.account.address)
    return {
      tracks: cat.tracks({ limit: 200 }),
      editions: cat.editions({ limit: 200 }),
      edition1: cat.edition(1),
      edition2: cat.edition(2),
      listings: cat.listings({ limit: 200 }),
      owners: people.map((p) => cat.owner(p)),
      sales: people.map((p) => cat.artistSales(p)),
      rewards: people.map((p) => cat.rewards(p)),
    }
  }

  before(async () => {
    chain = await startTestChain()
    protocol = await deployProtocol(chain)
    ;[, artist, buyer, other] = protocol.wallets as unknown as (typeof artist)[]
    node = await startNode({ chain: chainConfig(chain, protocol, { pollMs: 60_000 }) })
    const { track } = await node.addTrack([randomBytes(5000)], { title: 'Night Drive', artist: 'Ada' })
    hashA = track.content_hash
    const { editions, marketplace } = protocol.deployed
    await register(artist, hashA, track.manifest_root as string, track.size, 'Night Drive', 'Ada')
    await register(other, randomBytes(32).toString('hex'), randomBytes(32).toString('hex'), 1234, 'Morning 100%', 'Bo')
    // Edition 1 of track A: 0.01 ETH, 10 tokens, 10% royalty, a presale.
    const saleStart = await expiry(0)
    await editions.write.createEdition(
      [{ contentHash: `0x${hashA}`, name: 'Night Drive', price: parseEther('0.01'), maxSupply: 10, royaltyBps: 1000, saleStart, saleEnd: 0n, perWalletCap: 0, presale: { merkleRoot: ZERO32, price: 0n, start: 0n, perWalletCap: 0 } }],
      as(artist),
    )
    // Three in one batch, then one with a comment.
    await editions.write.buy([1n, 3n], { ...as(buyer), value: parseEther('0.03') })
    await editions.write.buyWithComment([1n, 1n, 'first!'], { ...as(other), value: parseEther('0.01') })
    await editions.write.setApprovalForAll([marketplace.address, true], as(buyer))
    // Serial 1 listed then sold to `other`; serial 2 listed then transferred away and back; serial 3 listed then cancelled.
    await marketplace.write.list([editions.address, tokenId(1n, 1n), parseEther('1'), await expiry(), 0n], as(buyer))
    await marketplace.write.list([editions.address, tokenId(1n, 2n), parseEther('2'), await expiry(), 0n], as(buyer))
    await marketplace.write.list([editions.address, tokenId(1n, 3n), parseEther('3'), await expiry(), 0n], as(buyer))
    await marketplace.write.buy([editions.address, tokenId(1n, 1n)], { ...as(other), value: parseEther('1') })
    await editions.write.transferFrom([addr(buyer), addr(other), tokenId(1n, 2n)], as(buyer))
    await editions.write.transferFrom([addr(other), addr(buyer), tokenId(1n, 2n)], as(other))
    await marketplace.write.cancel([editions.address, tokenId(1n, 3n)], as(buyer))
    await editions.write.withdraw(as(artist))
    await node.chain?.indexer.sync()
  })
  after(async () => {
    await node?.cleanup()
    await chain?.close()
    for (const dir of dirs) await dir[Symbol.asyncDispose]()
  })

  it('lists registered tracks with artist, metadata, registration and holders; filters by artist and text', async () => {
    const all = await get('/catalog/tracks')
    assert.equal(all.status, 200)
    assert.equal(all.cors, null, 'no Origin, no CORS header')
    const { tracks, next_cursor } = catalogTracksResponseSchema.parse(all.body)
    assert.equal(next_cursor, null)
    assert.deepEqual(tracks.map((t) => t.title), ['Morning 100%', 'Night Drive'])
    const a = tracks[1]
    assert.equal(a.content_hash, hashA)
    assert.equal(a.artist, addr(artist))
    assert.equal(a.artist_name, 'Ada')
    assert.equal(a.album, 'Sides')
    assert.equal(a.size, 5000)
    assert.equal(a.duration, 200)
    assert.equal(a.metadata_uri, 'ipfs://meta')
    assert.equal(a.manifest_root, node.tracks.get(hashA)?.manifest_root)
    assert.deepEqual(a.holders.map((h) => [h.peer_id, h.self]), [[node.peerId, true]])
    assert.deepEqual(tracks[0].holders, [])
    const byArtist = catalogTracksResponseSchema.parse((await get(`/catalog/tracks?artist=${addr(artist).toLowerCase()}`)).body)
    assert.deepEqual(byArtist.tracks.map((t) => t.title), ['Night Drive'])
    const byText = catalogTracksResponseSchema.parse((await get('/catalog/tracks?q=night')).body)
    assert.deepEqual(byText.tracks.map((t) => t.content_hash), [hashA])
    assert.deepEqual(catalogTracksResponseSchema.parse((await get('/catalog/tracks?q=bo')).body).tracks.map((t) => t.title), ['Morning 100%'], 'matches the artist name')
    assert.deepEqual(catalogTracksResponseSchema.parse((await get('/catalog/tracks?q=%25')).body).tracks.map((t) => t.title), ['Morning 100%'], 'LIKE wildcards are literal')
    const cors = await fetch(`${node.url}/catalog/tracks`, { headers: { origin: 'http://example.test' } })
    assert.equal(cors.headers.get('access-control-allow-origin'), 'http://example.test')
  })

  it('pages tracks with limit and cursor', async () => {
    const p1 = catalogTracksResponseSchema.parse((await get('/catalog/tracks?limit=1')).body)
    assert.deepEqual(p1.tracks.map((t) => t.title), ['Morning 100%'])
    assert.ok(p1.next_cursor)
    const p2 = catalogTracksResponseSchema.parse((await get(`/catalog/tracks?limit=1&cursor=${p1.next_cursor}`)).body)
    assert.deepEqual(p2.tracks.map((t) => t.title), ['Night Drive'])
    assert.equal(p2.next_cursor, null)
  })

  it('shows one track with its editions, and 404 for an unregistered hash', async () => {
    const r = catalogTrackResponseSchema.parse((await get(`/catalog/tracks/0x${hashA.toUpperCase()}`)).body)
    assert.equal(r.track.content_hash, hashA)
    assert.deepEqual(r.editions.map((e) => e.edition_id), [1])
    const missing = await get(`/catalog/tracks/${'ab'.repeat(32)}`)
    assert.equal(missing.status, 404)
    errorResponseSchema.parse(missing.body)
  })

  it('lists editions with price, supply, minted, revenue, royalty, comments count', async () => {
    const { editions } = catalogEditionsResponseSchema.parse((await get(`/catalog/editions?contentHash=${hashA}`)).body)
    assert.equal(editions.length, 1)
    const e = editions[0]
    assert.equal(e.edition_id, 1)
    assert.equal(e.artist, addr(artist))
    assert.equal(e.name, 'Night Drive')
    assert.equal(e.price_wei, String(parseEther('0.01')))
    assert.equal(e.max_supply, 10)
    assert.equal(e.minted, 4)
    assert.equal(e.revenue_wei, String(parseEther('0.04')))
    assert.equal(e.royalty_bps, 1000)
    assert.equal(e.royalty_receiver, addr(artist))
    assert.equal(e.presale, null)
    assert.equal(e.closed, null)
    assert.equal(e.comments, 1)
    assert.deepEqual(catalogEditionsResponseSchema.parse((await get(`/catalog/editions?artist=${addr(other)}`)).body).editions, [])
  })

  it('shows an edition with collectors by serial (a batch resolved) and comments', async () => {
    const r = catalogEditionResponseSchema.parse((await get('/catalog/editions/1')).body)
    assert.deepEqual(
      r.collectors.map((c) => [c.serial, c.owner]),
      [
        [1, addr(other)],
        [2, addr(buyer)],
        [3, addr(buyer)],
        [4, addr(other)],
      ],
    )
    assert.equal(r.collectors[0].token_id, String(tokenId(1n, 1n)))
    assert.deepEqual(r.comments.map((c) => [c.buyer, c.comment, c.quantity, c.first_token_id]), [[addr(other), 'first!', 1, String(tokenId(1n, 4n))]])
    const page = catalogEditionResponseSchema.parse((await get('/catalog/editions/1?limit=2&cursor=2')).body)
    assert.deepEqual(page.collectors.map((c) => c.serial), [3, 4])
    assert.equal(page.next_cursor, null)
    assert.equal((await get('/catalog/editions/99')).status, 404)
  })

  it('lists the tokens an address holds now', async () => {
    const mine = catalogOwnerResponseSchema.parse((await get(`/catalog/owners/${addr(buyer)}`)).body)
    assert.deepEqual(mine.tokens.map((t) => [t.edition_id, t.serial, t.content_hash]), [
      [1, 2, hashA],
      [1, 3, hashA],
    ])
    const theirs = catalogOwnerResponseSchema.parse((await get(`/catalog/owners/${addr(other)}`)).body)
    assert.deepEqual(theirs.tokens.map((t) => t.serial), [1, 4])
  })

  it('shows listings sold, transferred and cancelled as inactive, and filters active ones', async () => {
    const { listings } = catalogListingsResponseSchema.parse((await get('/catalog/listings')).body)
    assert.deepEqual(
      listings.map((l) => [l.token_id, l.status, l.active]),
      [
        [String(tokenId(1n, 3n)), 'cancelled', false],
        [String(tokenId(1n, 2n)), 'transferred', false],
        [String(tokenId(1n, 1n)), 'sold', false],
      ],
    )
    assert.equal(listings[0].seller, addr(buyer))
    assert.equal(listings[0].price_wei, String(parseEther('3')))
    // A new listing is active until its seller's counter moves.
    const { editions, marketplace } = protocol.deployed
    await marketplace.write.list([editions.address, tokenId(1n, 2n), parseEther('5'), await expiry(), 0n], as(buyer))
    await node.chain?.indexer.sync()
    const active = catalogListingsResponseSchema.parse((await get(`/catalog/listings?active=true&seller=${addr(buyer)}&nft=${editions.address}`)).body)
    assert.deepEqual(active.listings.map((l) => [l.token_id, l.price_wei, l.status]), [[String(tokenId(1n, 2n)), String(parseEther('5')), 'active']])
    await marketplace.write.incrementCounter(as(buyer))
    await node.chain?.indexer.sync()
    assert.deepEqual(catalogListingsResponseSchema.parse((await get('/catalog/listings?active=true')).body).listings, [])
    const inactive = catalogListingsResponseSchema.parse((await get('/catalog/listings?active=false&limit=1')).body)
    assert.deepEqual(inactive.listings.map((l) => l.status), ['counter_moved'])
    assert.ok(inactive.next_cursor)
  })

  it("shows an artist's primary sales, royalties and withdrawals", async () => {
    const r = catalogArtistSalesResponseSchema.parse((await get(`/catalog/artists/${addr(artist)}/sales`)).body)
    assert.equal(r.primary_wei, String(parseEther('0.04')))
    assert.deepEqual(r.primary.map((p) => [p.quantity, p.paid_wei]), [
      [1, String(parseEther('0.01'))],
      [3, String(parseEther('0.03'))],
    ])
    assert.equal(r.royalties_wei, String(parseEther('0.1')), '10% of the 1 ETH resale')
    assert.deepEqual(r.royalties.map((x) => [x.seller, x.buyer]), [[addr(buyer), addr(other)]])
    assert.equal(r.withdrawn_wei, String((await chain.publicClient.getContractEvents({ address: protocol.contracts.Editions, abi: contractAbis.Editions, eventName: 'ProceedsWithdrawn', fromBlock: protocol.fromBlock }))[0]?.args.amount))
    assert.notEqual(r.withdrawn_wei, '0')
  })

  it("shows a node's rewards by epoch (none yet)", async () => {
    const r = catalogRewardsResponseSchema.parse((await get(`/catalog/rewards/${node.peerId}`)).body)
    assert.deepEqual(r, { node: node.peerId, claimed_wei: '0', epochs: [] })
  })

  it('answers 400 to bad query parameters', async () => {
    for (const path of [
      '/catalog/tracks?limit=0',
      '/catalog/tracks?limit=201',
      '/catalog/tracks?artist=0x123',
      '/catalog/tracks?cursor=abc',
      `/catalog/tracks?q=${'x'.repeat(101)}`,
      '/catalog/tracks/xyz',
      '/catalog/editions?contentHash=12',
      '/catalog/editions/0',
      '/catalog/editions/abc',
      '/catalog/owners/nope',
      '/catalog/listings?active=maybe',
      '/catalog/artists/0x12/sales',
      '/catalog/rewards/0xzz',
    ]) {
      const r = await get(path)
      assert.equal(r.status, 400, path)
      assert.equal(errorResponseSchema.parse(r.body).error, 'ValidationError', path)
    }
  })

  it('resumes after a restart without duplicates and equals a fresh index', async () => {
    const first = await freshCatalog()
    const before = snapshotOf(first.catalog)
    await first.ix.stop()
    await protocol.deployed.editions.write.buy([1n, 2n], { ...as(buyer), value: parseEther('0.02') })
    const restarted = await freshCatalog(first.db)
    const count = (db: Db) => (db.prepare('SELECT count(*) AS n FROM chain_events').get() as { n: number }).n
    const fresh = await freshCatalog()
    assert.equal(count(restarted.db), count(fresh.db))
    assert.deepEqual(snapshotOf(restarted.catalog), snapshotOf(fresh.catalog))
    assert.equal(snapshotOf(restarted.catalog).edition1?.edition.minted, (before.edition1?.edition.minted ?? 0) + 2)
  })

  it('after a reorg (other blocks at the same heights) equals a fresh index of the canonical chain', async () => {
    const { editions, marketplace } = protocol.deployed
    const live = await freshCatalog()
    const snapshot = await chain.provider.request({ method: 'evm_snapshot', params: [] })
    // The abandoned branch: a sale of serial 5, a second edition, a listing.
    await editions.write.buy([1n, 1n], { ...as(other), value: parseEther('0.01') })
    await editions.write.createEdition(
      [{ contentHash: `0x${hashA}`, name: 'Abandoned', price: 0n, maxSupply: 5, royaltyBps: 0, saleStart: 0n, saleEnd: 0n, perWalletCap: 0, presale: { merkleRoot: ZERO32, price: 0n, start: 0n, perWalletCap: 0 } }],
      as(artist),
    )
    await marketplace.write.list([editions.address, tokenId(1n, 3n), parseEther('9'), await expiry(), 0n], as(buyer))
    await live.ix.sync()
    assert.equal(live.catalog.edition(2)?.edition.name, 'Abandoned')
    await chain.provider.request({ method: 'evm_revert', params: [snapshot] })
    // The canonical branch: other transactions at the same heights, and more blocks.
    await chain.mine()
    await editions.write.createEdition(
      [{ contentHash: `0x${hashA}`, name: 'Canonical', price: parseEther('0.5'), maxSupply: 2, royaltyBps: 500, saleStart: 0n, saleEnd: 0n, perWalletCap: 1, presale: { merkleRoot: ZERO32, price: 0n, start: 0n, perWalletCap: 0 } }],
      as(artist),
    )
    await editions.write.buy([2n, 1n], { ...as(buyer), value: parseEther('0.5') })
    await chain.mine(3)
    let reorged = false
    live.ix.on('reorg', () => {
      reorged = true
    })
    await live.ix.sync()
    assert.ok(reorged)
    const fresh = await freshCatalog()
    assert.deepEqual(snapshotOf(live.catalog), snapshotOf(fresh.catalog))
    assert.equal(live.catalog.edition(2)?.edition.name, 'Canonical')
    assert.deepEqual(live.catalog.edition(2)?.collectors.map((c) => c.owner), [addr(buyer)])
  })

  it("shows a node's submitted receipts, the settled pool and its claim by epoch", async () => {
    const { token, staking, rewards } = protocol.deployed
    const [serverKey, clientKey, peerKey] = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()))
    const operators = protocol.wallets.slice(4, 7) as unknown as (typeof artist)[]
    const minStake = (await staking.read.minStake()) as bigint
    for (const [i, key] of [serverKey, clientKey, peerKey].entries()) {
      const op = operators[i]
      if (i === 2) await token.write.transfer([op.account.address, minStake], as(operators[0]))
      await token.write.approve([staking.address, minStake], as(op))
      const sig = await signRegistration(key, stakingDomain(31337, staking.address), op.account.address)
      await staking.write.registerNode([key.address, '/dns4/node.test/tcp/1', minStake, sig], as(op))
    }
    const epoch = Number(await rewards.read.currentEpoch())
    const domain = rewardsDomain(31337, rewards.address)
    const MiB = 1024n * 1024n
    // Two batches (clients ascending across them): the event carries the server's running totals, not the batch's.
    const [first, second] = [{ key: clientKey, bytes: 300n * MiB }, { key: peerKey, bytes: 100n * MiB }].sort((x, y) =>
      x.key.address.toLowerCase() < y.key.address.toLowerCase() ? -1 : 1,
    )
    for (const { key, bytes } of [first, second]) {
      const receipt = await signReceipt(key, domain, { server: serverKey.address, client: key.address, epoch, cumulativeBytes: bytes, servedRoot: ZERO32, nonce: 1n })
      await rewards.write.submitReceipts([serverKey.address, epoch, [receipt]], as(operators[0]))
    }
    const [, , settlesAt] = (await rewards.read.epochTimes([epoch])) as [bigint, bigint, bigint]
    await chain.provider.request({ method: 'evm_setNextBlockTimestamp', params: [Number(settlesAt)] })
    await chain.mine()
    await rewards.write.claim([serverKey.address, epoch], as(operators[0]))
    await node.chain?.indexer.sync()
    const r = catalogRewardsResponseSchema.parse((await get(`/catalog/rewards/${serverKey.address}`)).body)
    const claimed = (await chain.publicClient.getContractEvents({ address: protocol.contracts.BandwidthRewards, abi: contractAbis.BandwidthRewards, eventName: 'RewardClaimed', fromBlock: protocol.fromBlock }))[0]?.args.amount
    assert.ok(claimed && claimed > 0n)
    assert.equal(r.node, serverKey.address)
    assert.equal(r.claimed_wei, String(claimed))
    assert.equal(r.epochs.length, 1)
    const e = r.epochs[0]
    assert.equal(e.epoch, epoch)
    assert.deepEqual(e.receipts, { batches: 2, count: 2, bytes_served: String(400n * MiB), clients: 2 })
    assert.equal(e.claimed_wei, String(claimed))
    assert.equal(e.claimed_by, addr(operators[0]))
    assert.ok(e.pool_wei && BigInt(e.pool_wei) >= claimed, 'the settled pool')
  })
})
