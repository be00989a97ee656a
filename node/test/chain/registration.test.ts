import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { trackRegistryAbi, typedData } from '@dcmx/deployments'
import { encodeFunctionData, getAddress, parseEther, parseEventLogs } from 'viem'
import type { Address, Hex } from 'viem'

import { registrationResponseSchema, trackSchema, UPLOAD_HEADERS, uploadAuthMessage, verifyFileResponseSchema } from '../../src/api.ts'
import type { Track, TrackRegistration } from '../../src/api.ts'
import type { DcmxNode } from '../../src/node.ts'
import { RESERVATION_MS } from '../../src/chain/register-then-announce.ts'
import { randomBytesOf, startNode, TOKEN, upload } from '../helpers.ts'
import { startRecorder } from '../ipfs/kubo-recorder.ts'
import { chainConfig, deployProtocol, until } from './protocol.ts'
import { startTestChain } from './test-chain.ts'
import type { TestChain } from './test-chain.ts'

type TestNode = DcmxNode & { cleanup: () => Promise<void> }

describe('registering tracks on chain', () => {
  let chain: TestChain
  let protocol: Awaited<ReturnType<typeof deployProtocol>>
  let seed = 100
  before(async () => {
    chain = await startTestChain()
    protocol = await deployProtocol(chain)
  })
  after(() => chain.close())

  const registry = () => protocol.deployed.trackRegistry
  const wallet = (i: number) => protocol.wallets[i] as (typeof protocol.wallets)[number]
  const addr = (i: number) => getAddress(wallet(i).account.address)

  /** Governance (the timelock, impersonated) sets the registry's commit ages. */
  async function setCommitAges(min: number, max: number): Promise<void> {
    const timelock = protocol.contracts.DCMXTimelock
    await chain.provider.request({ method: 'hardhat_impersonateAccount', params: [timelock] })
    await chain.provider.request({ method: 'hardhat_setBalance', params: [timelock, '0xde0b6b3a7640000'] })
    const data = encodeFunctionData({ abi: trackRegistryAbi, functionName: 'setCommitAges', args: [min, max] })
    await chain.provider.request({ method: 'eth_sendTransaction', params: [{ from: timelock, to: registry().address, data }] })
    await chain.provider.request({ method: 'hardhat_stopImpersonatingAccount', params: [timelock] })
  }

  async function chainNode(opts: { dataDir?: string } = {}): Promise<TestNode> {
    const node = await startNode({ chain: chainConfig(chain, protocol, { pollMs: 50 }), ...opts })
    if ((await chain.publicClient.getBalance({ address: node.account.address })) === 0n) {
      await wallet(0).sendTransaction({ to: node.account.address, value: parseEther('10') })
    }
    return node
  }

  async function addTrack(node: DcmxNode, bytes = randomBytesOf(300_000, seed++)): Promise<Track> {
    const res = await upload(node, bytes, { title: 'Night Drive', artist: 'Ada' })
    assert.equal(res.status, 201)
    return trackSchema.parse(((await res.json()) as { track: unknown }).track)
  }

  /** What the artist signs (the fields the node will relay) and the request body carrying the signature. */
  async function signed(node: DcmxNode, track: Track, signer: number, claimed?: Address, validForSec = 3600) {
    const artist = claimed ?? wallet(signer).account.address
    const deadline = BigInt(Math.floor(Date.now() / 1000) + validForSec)
    const nonce = (await registry().read.nonces([artist])) as bigint
    const message = {
      contentHash: `0x${track.content_hash}` as Hex,
      manifestRoot: `0x${track.manifest_root}` as Hex,
      size: BigInt(track.size),
      duration: 200,
      title: track.title,
      artistName: 'Ada Lovelace',
      album: '',
      metadataURI: 'ipfs://meta',
      artist,
      nonce,
      deadline,
    }
    const signature = await wallet(signer).signTypedData({
      account: wallet(signer).account,
      domain: { ...typedData.register.domain, chainId: 31337, verifyingContract: registry().address },
      types: typedData.register.types,
      primaryType: 'Register',
      message,
    })
    return { artist, deadline: String(deadline), signature, duration: 200, title: track.title, artist_name: 'Ada Lovelace', metadata_uri: 'ipfs://meta' }
  }

  async function post(node: DcmxNode, hash: string, body: unknown, token?: string): Promise<Response> {
    return fetch(`${node.url}/tracks/${hash}/registration`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    })
  }

  /** Uploads as wallet `signer` with its signed upload authorization (the web app's way): the upload is reserved. */
  function walletUploader(node: DcmxNode, signer: number) {
    return async (bytes: Uint8Array): Promise<Track> => {
      const account = wallet(signer).account
      const expires = Math.floor(Date.now() / 1000) + 600
      const auth = await wallet(signer).signMessage({ account, message: uploadAuthMessage(node.peerId, account.address, expires) })
      const res = await fetch(`${node.url}/tracks?title=Draft&artist=Ada`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', [UPLOAD_HEADERS.wallet]: account.address, [UPLOAD_HEADERS.expires]: String(expires), [UPLOAD_HEADERS.signature]: auth },
        body: bytes,
      })
      assert.equal(res.status, 201, await res.clone().text())
      return trackSchema.parse(((await res.json()) as { track: unknown }).track)
    }
  }

  /** Registers directly from a wallet (commit, wait, reveal), as an artist without a node would. */
  async function registerDirect(signer: number, hash: string, root: string, size: number): Promise<void> {
    const account = wallet(signer).account
    const salt = `0x${randomBytes(32).toString('hex')}` as Hex
    const commitment = (await registry().read.commitmentOf([`0x${hash}`, account.address, salt])) as Hex
    await registry().write.commit([commitment], { account })
    await chain.provider.request({ method: 'evm_increaseTime', params: [2] })
    const reg = { contentHash: `0x${hash}`, manifestRoot: `0x${root}`, size: BigInt(size), duration: 1, title: 't', artistName: 'a', album: '', metadataURI: '' }
    await registry().write.register([reg, salt], { account })
  }

  async function logs() {
    return chain.publicClient.getLogs({ address: registry().address, fromBlock: protocol.fromBlock, toBlock: 'latest' })
  }
  const registeredEvents = async () => parseEventLogs({ abi: trackRegistryAbi, logs: await logs(), eventName: 'TrackRegistered' })
  const committedEvents = async () => parseEventLogs({ abi: trackRegistryAbi, logs: await logs(), eventName: 'RegistrationCommitted' })

  async function settled(node: DcmxNode, hash: string): Promise<TrackRegistration> {
    return (node.registration as NonNullable<DcmxNode['registration']>).settled(hash, { timeoutMs: 30_000 })
  }

  it('relays an artist-signed registration once, even asked twice and restarted between commit and reveal', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dcmx-reg-'))
    let node = await chainNode({ dataDir })
    try {
      const track = await addTrack(node)
      const body = await signed(node, track, 1)
      // A 4 s reveal delay, so the restart below falls between commit and reveal.
      await setCommitAges(4, 86400)

      const first = await post(node, track.content_hash, body)
      assert.equal(first.status, 202)
      const r1 = registrationResponseSchema.parse(await first.json())
      assert.equal(r1.created, true)
      assert.equal(r1.registration.mode, 'relayed')
      assert.equal(r1.registration.artist, addr(1))
      const second = await post(node, track.content_hash, body)
      assert.equal(second.status, 200)
      assert.equal(registrationResponseSchema.parse(await second.json()).created, false)

      for (;;) {
        if (node.registration?.get(track.content_hash)?.state === 'committed') break
        await new Promise((r) => setTimeout(r, 10))
      }
      assert.equal(node.chain?.outbox.get(`register:${track.content_hash}`), undefined, 'the salt has not left the node')
      await node.cleanup()

      node = await chainNode({ dataDir })
      const done = await settled(node, track.content_hash)
      await setCommitAges(1, 86400)
      assert.equal(done.state, 'registered')
      assert.match(done.commit_tx ?? '', /^0x[0-9a-f]{64}$/)
      assert.match(done.register_tx ?? '', /^0x[0-9a-f]{64}$/)
      assert.equal(await registry().read.artistOf([`0x${track.content_hash}`]), addr(1))
      const mine = (await registeredEvents()).filter((e) => e.args.contentHash === `0x${track.content_hash}`)
      assert.equal(mine.length, 1)
      assert.equal(mine[0]?.args.title, 'Night Drive')
      assert.equal(mine[0]?.args.metadataURI, 'ipfs://meta')
      assert.equal((await committedEvents()).filter((e) => e.transactionHash === done.commit_tx).length, 1)

      // GET /tracks shows the state; never the salt nor the signature.
      const listed = (await (await fetch(`${node.url}/tracks`)).json()) as unknown[]
      const t = trackSchema.parse(listed.find((x) => (x as Track).content_hash === track.content_hash))
      assert.equal(t.registration?.state, 'registered')
      assert.equal(t.registration?.register_tx, done.register_tx)
      assert.doesNotMatch(JSON.stringify(listed), /salt|signature/)

      // verify_file_on_chain: every field matches.
      const v = verifyFileResponseSchema.parse(
        await (
          await fetch(`${node.url}/local/verify_file_on_chain`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({ content_hash: track.content_hash }),
          })
        ).json(),
      )
      assert.equal(v.registered, true)
      assert.equal(v.match, true)
      assert.deepEqual(v.fields.manifest_root, { local: `0x${track.manifest_root}`, chain: `0x${track.manifest_root}`, match: true })
      assert.equal(v.fields.artist.chain, addr(1))
    } finally {
      await node.cleanup()
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('refuses a forged artist signature with 401 before anything is stored or queued', async () => {
    const node = await chainNode()
    try {
      const track = await addTrack(node)
      // Signed by wallet 2, claiming wallet 1 as the artist.
      const body = await signed(node, track, 2, addr(1))
      const res = await post(node, track.content_hash, body)
      assert.equal(res.status, 401)
      assert.equal(((await res.json()) as { error: string }).error, 'UnauthorizedError')
      assert.equal(node.chain?.outbox.list().length, 0)
      assert.equal(node.registration?.get(track.content_hash), undefined)
      // A signed body whose fields differ from what was signed is forged too.
      const tampered = await post(node, track.content_hash, { ...(await signed(node, track, 1)), title: 'Other' })
      assert.equal(tampered.status, 401)
      // No signature and no token: refused; a manifest root that is not the stored one: 400.
      assert.equal((await post(node, track.content_hash, {})).status, 401)
      assert.equal((await post(node, track.content_hash, { manifest_root: `0x${'11'.repeat(32)}` }, TOKEN)).status, 400)
      assert.equal(node.chain?.outbox.list().length, 0)
    } finally {
      await node.cleanup()
    }
  })

  it('refuses to pay for registrations bound to fail: a deadline before the earliest reveal, a signed retry of a failed one', async () => {
    const node = await chainNode()
    try {
      const track = await addTrack(node)
      // Expires before minCommitAge + the margin: the commit could never be revealed.
      const short = await post(node, track.content_hash, await signed(node, track, 1, undefined, 5))
      assert.equal(short.status, 400)
      assert.match(((await short.json()) as { message: string }).message, /expires before it can be revealed/)
      assert.equal(node.chain?.outbox.list().length, 0)
      // Another artist took the hash: this registration fails; a fresh signature cannot make the node commit again.
      await registerDirect(2, track.content_hash, track.manifest_root as string, track.size)
      assert.equal((await post(node, track.content_hash, await signed(node, track, 1))).status, 202)
      assert.equal((await settled(node, track.content_hash)).state, 'failed')
      const commits = node.chain?.outbox.list().length
      const retry = await post(node, track.content_hash, await signed(node, track, 1))
      assert.equal(retry.status, 401)
      assert.equal(node.chain?.outbox.list().length, commits)
    } finally {
      await node.cleanup()
    }
  })

  it('closes as registered when the same artist already registered the track', async () => {
    const node = await chainNode()
    try {
      const track = await addTrack(node)
      await registerDirect(1, track.content_hash, track.manifest_root as string, track.size)
      assert.equal((await post(node, track.content_hash, await signed(node, track, 1))).status, 202)
      const done = await settled(node, track.content_hash)
      assert.equal(done.state, 'registered')
      assert.equal(done.reason, null)
    } finally {
      await node.cleanup()
    }
  })

  it('fails with the decoded reason when another artist registered the track first; verify shows the mismatch', async () => {
    const node = await chainNode()
    try {
      const track = await addTrack(node)
      // Wallet 3 registers the same audio with a bogus root and size.
      await registerDirect(3, track.content_hash, 'ab'.repeat(32), 7)
      assert.equal((await post(node, track.content_hash, await signed(node, track, 1))).status, 202)
      const done = await settled(node, track.content_hash)
      assert.equal(done.state, 'failed')
      assert.equal(done.reason, `TrackAlreadyRegistered(0x${track.content_hash}, ${addr(3)})`)
      const res = await fetch(`${node.url}/local/verify_file_on_chain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ content_hash: track.content_hash }),
      })
      const v = verifyFileResponseSchema.parse(await res.json())
      assert.equal(v.registered, true)
      assert.equal(v.match, false)
      assert.equal(v.fields.content_hash.match, true)
      assert.deepEqual(v.fields.manifest_root, { local: `0x${track.manifest_root}`, chain: `0x${'ab'.repeat(32)}`, match: false })
      assert.deepEqual(v.fields.size, { local: String(track.size), chain: '7', match: false })
      assert.deepEqual(v.fields.artist, { local: addr(1), chain: addr(3), match: false })
    } finally {
      await node.cleanup()
    }
  })

  it('announces an upload on the mesh only once its registration has landed (register as operator)', async () => {
    // A 60 s reveal delay: the commit lands, the reveal waits for the chain's clock.
    await setCommitAges(60, 86400)
    const node = await startNode({ chain: { ...chainConfig(chain, protocol, { pollMs: 50 }), registerAsOperator: true } })
    await wallet(0).sendTransaction({ to: node.account.address, value: parseEther('10') })
    const peer = await startNode()
    try {
      const track = await addTrack(node)
      const hash = track.content_hash
      await until('the commit', () => node.registration?.get(hash)?.state === 'committed')
      // The peer exchanges gossip with the node (which now knows it as a live peer): it hears nothing of the track,
      // and the node's public /tracks does not list it, while the operator sees the registration.
      assert.ok(await peer.gossip.exchange(node.announcer.address))
      assert.ok(await node.gossip.exchange(peer.announcer.address))
      assert.equal(peer.tracks.get(hash), undefined)
      assert.deepEqual(peer.peers.candidatesFor(hash), [])
      const listed = (await (await fetch(`${node.url}/tracks`)).json()) as Track[]
      assert.equal(listed.find((t) => t.content_hash === hash), undefined)
      assert.equal((await (await fetch(`${node.url}/tracks/${hash}/registration`)).json() as { registration: TrackRegistration }).registration.state, 'committed')

      // Time passes on chain: the reveal lands, then (only then) the node announces the track.
      await chain.provider.request({ method: 'evm_increaseTime', params: [61] })
      await until('the peer to hear of the track', () => peer.tracks.get(hash), { step: () => chain.mine() })
      assert.equal(node.registration?.get(hash)?.state, 'registered')
      assert.equal(await registry().read.artistOf([`0x${hash}`]), node.account.address)
      assert.deepEqual(peer.peers.candidatesFor(hash).map((e) => e.record.peer_id), [node.peerId])
      const after = (await (await fetch(`${node.url}/tracks`)).json()) as Track[]
      assert.ok(after.some((t) => t.content_hash === hash))
    } finally {
      await setCommitAges(1, 86400)
      await peer.cleanup()
      await node.cleanup()
    }
  })

  it("reserves a wallet's upload for that wallet: withheld from the mesh, refused to another signer and to the operator, announced once its uploader registered it", async () => {
    // Kubo would announce a pinned CID to the public IPFS network: nothing is pinned before the registration.
    const kubo = await startRecorder()
    const node = await startNode({ chain: chainConfig(chain, protocol, { pollMs: 50 }), walletUploadBytesPerDay: 10 << 20, kuboRpcUrl: kubo.url })
    await wallet(0).sendTransaction({ to: node.account.address, value: parseEther('10') })
    const peer = await startNode()
    try {
      const artist = wallet(1).account
      const expires = Math.floor(Date.now() / 1000) + 600
      const auth = await wallet(1).signMessage({ account: artist, message: uploadAuthMessage(node.peerId, artist.address, expires) })
      const res = await fetch(`${node.url}/tracks?title=Night%20Drive&artist=Ada`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', [UPLOAD_HEADERS.wallet]: artist.address, [UPLOAD_HEADERS.expires]: String(expires), [UPLOAD_HEADERS.signature]: auth },
        body: randomBytesOf(300_000, seed++),
      })
      assert.equal(res.status, 201)
      const track = trackSchema.parse(((await res.json()) as { track: unknown }).track)
      const hash = track.content_hash
      // Nobody hears of it: not the peer through gossip, not a visitor of /tracks.
      assert.ok(await peer.gossip.exchange(node.announcer.address))
      assert.equal(peer.tracks.get(hash), undefined)
      assert.equal(((await (await fetch(`${node.url}/tracks`)).json()) as Track[]).find((t) => t.content_hash === hash), undefined)
      assert.equal(((await (await fetch(`${node.url}/tracks?scope=all`)).json()) as Track[]).find((t) => t.content_hash === hash), undefined)
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(kubo.requests.length, 0, 'nothing pinned to Kubo while withheld')
      // Someone who learned the hash signs it for themselves: refused before anything is queued; so is the operator.
      const thief = await post(node, hash, await signed(node, track, 2))
      assert.equal(thief.status, 403)
      assert.equal((await post(node, hash, {}, TOKEN)).status, 403, 'the operator cannot register it as itself')
      assert.equal((await post(node, hash, await signed(node, track, 2), TOKEN)).status, 403, "nor relay another wallet's signature")
      assert.equal(node.registration?.get(hash), undefined)
      // The uploader's own registration goes through, and the track is announced once it lands.
      assert.equal((await post(node, hash, await signed(node, track, 1))).status, 202)
      assert.equal((await settled(node, hash)).state, 'registered')
      assert.equal(await registry().read.artistOf([`0x${hash}`]), getAddress(artist.address))
      await until('the track to be listed', async () => ((await (await fetch(`${node.url}/tracks`)).json()) as Track[]).some((t) => t.content_hash === hash))
      assert.ok(await peer.gossip.exchange(node.announcer.address))
      assert.ok(peer.tracks.get(hash))
      await until('the pin once registered', () => kubo.requests.some((r) => r.url.startsWith('/api/v0/dag/import')))
    } finally {
      await peer.cleanup()
      await node.cleanup()
      await kubo.app.close()
    }
  })

  it("relays only so many registrations per artist and in all per 24 h (429, nothing queued), so signed requests cannot drain the node's gas; the operator's own are neither limited nor counted", async () => {
    const node = await startNode({ chain: { ...chainConfig(chain, protocol, { pollMs: 50 }), relayPerArtistPerDay: 1, relayPerDay: 2 } })
    await wallet(0).sendTransaction({ to: node.account.address, value: parseEther('10') })
    try {
      const [t0, t1, t2, t3, t4] = [await addTrack(node), await addTrack(node), await addTrack(node), await addTrack(node), await addTrack(node)]
      const jobs = () => node.chain?.outbox.list({ prefix: 'commit:' }).length
      // The operator relaying an artist's signature: not counted against that artist nor the node.
      assert.equal((await post(node, t0.content_hash, await signed(node, t0, 1), TOKEN)).status, 202)
      assert.equal((await post(node, t1.content_hash, await signed(node, t1, 1))).status, 202)
      const again = await post(node, t2.content_hash, await signed(node, t2, 1))
      assert.equal(again.status, 429, 'a second public relay for the same artist today')
      assert.match(((await again.json()) as { message: string }).message, /per artist/)
      assert.equal((await post(node, t2.content_hash, await signed(node, t2, 2))).status, 202, 'another artist still has budget')
      const queued = jobs()
      const full = await post(node, t3.content_hash, await signed(node, t3, 3))
      assert.equal(full.status, 429, "the node's budget for the day is spent")
      assert.equal(node.registration?.get(t3.content_hash), undefined, 'nothing stored for a refused relay')
      assert.equal(jobs(), queued, 'nothing queued for a refused relay')
      // Nor is the operator limited.
      assert.equal((await post(node, t3.content_hash, await signed(node, t3, 3), TOKEN)).status, 202)
      assert.equal((await post(node, t4.content_hash, {}, TOKEN)).status, 202)
    } finally {
      await node.cleanup()
    }
  })

  it('sweeps lapsed reservations: an upload nobody registered in 24 h is deleted, one its artist registered elsewhere is announced, none is judged while the chain is down', async () => {
    const node = await startNode({ chain: chainConfig(chain, protocol, { pollMs: 50 }), walletUploadBytesPerDay: 10 << 20 })
    await wallet(0).sendTransaction({ to: node.account.address, value: parseEther('10') })
    try {
      const walletUpload = walletUploader(node, 1)
      const kept = await walletUpload(randomBytesOf(200_000, seed++))
      const dropped = await walletUpload(randomBytesOf(200_000, seed++))
      const released = await walletUpload(randomBytesOf(200_000, seed++))
      const taken = randomBytesOf(200_000, seed++)
      const takenTrack = await walletUpload(taken)
      const late = await walletUpload(randomBytesOf(200_000, seed++))
      // The artist registers one from its own wallet, not through this node.
      await registerDirect(1, kept.content_hash, kept.manifest_root as string, kept.size)
      // The operator releases one by hand, and uploads the same bytes as another itself: both become the operator's.
      assert.equal((await fetch(`${node.url}/local/announce_content`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ content_hash: released.content_hash }) })).status, 200)
      const again = await upload(node, taken, { title: 'Draft', artist: 'Ada' })
      assert.equal(again.status, 200, 'the same bytes: not created again')
      await until('the operator-uploaded copy to be listed', async () => ((await (await fetch(`${node.url}/tracks`)).json()) as Track[]).some((t) => t.content_hash === takenTrack.content_hash))

      const sweeper = node.registerFirst as NonNullable<DcmxNode['registerFirst']>
      const lapsed = Date.now() + RESERVATION_MS + 1000
      assert.deepEqual(await sweeper.sweep(), { released: [], discarded: [] }, 'nothing lapsed yet')

      // Lapsed but not yet swept: the reservation still holds against anyone else, and its wallet may still register.
      node.db.prepare('UPDATE upload_reservations SET reserved_at = ? WHERE content_hash = ?').run(Date.now() - RESERVATION_MS - 1000, late.content_hash)
      assert.equal((await post(node, late.content_hash, await signed(node, late, 2))).status, 403, 'another signer, after the lapse')
      assert.equal((await post(node, late.content_hash, await signed(node, late, 1))).status, 202, 'its own wallet, after the lapse')

      chain.down = true
      try {
        assert.deepEqual(await sweeper.sweep(lapsed), { released: [], discarded: [] }, 'no verdict without the chain')
      } finally {
        chain.down = false
      }
      assert.ok(node.tracks.get(dropped.content_hash)?.local, 'kept while the chain could not say')

      const [first, second] = [sweeper.sweep(lapsed), sweeper.sweep(lapsed)]
      assert.equal(first, second, 'one sweep at a time')
      const verdict = await first
      assert.deepEqual(verdict, { released: [kept.content_hash], discarded: [dropped.content_hash] })
      // The unregistered upload is gone: rows, bytes and CID.
      assert.equal(node.tracks.get(dropped.content_hash), undefined)
      assert.equal(node.tracks.getManifest(dropped.content_hash), undefined)
      assert.equal(await node.store.has(dropped.content_hash), false)
      assert.equal(node.ipfs.index.trackCid(dropped.content_hash), undefined)
      assert.equal((await fetch(`${node.url}/content/${dropped.content_hash}`)).status, 404)
      // Registered elsewhere, released by the operator, taken over by the operator, being registered: all kept.
      for (const t of [kept, released, takenTrack, late]) assert.equal(await node.store.has(t.content_hash), true, t.title)
      const listed = (await (await fetch(`${node.url}/tracks`)).json()) as Track[]
      for (const t of [kept, released, takenTrack]) assert.ok(listed.some((l) => l.content_hash === t.content_hash))
      assert.ok(!listed.some((t) => t.content_hash === dropped.content_hash))
      assert.deepEqual(await sweeper.sweep(lapsed), { released: [], discarded: [] }, 'each reservation is swept once')
    } finally {
      await node.cleanup()
    }
  })

  it('a swept upload gives up its shared IPFS chunks to the tracks that still hold them', async () => {
    const node = await startNode({ chain: chainConfig(chain, protocol, { pollMs: 50 }), walletUploadBytesPerDay: 10 << 20 })
    try {
      // Two files whose first 1 MiB chunk is the same bytes (think digital silence); the reserved one is uploaded first.
      const head = randomBytesOf(1 << 20, seed++)
      const reserved = await walletUploader(node, 1)(Buffer.concat([head, randomBytesOf(1000, seed++)]))
      const res = await upload(node, Buffer.concat([head, randomBytesOf(2000, seed++)]), { title: 'Keeper', artist: 'Op' })
      assert.equal(res.status, 201)
      const keeper = trackSchema.parse(((await res.json()) as { track: unknown }).track)
      const cid = node.ipfs.index.trackCid(keeper.content_hash) as string
      const sweeper = node.registerFirst as NonNullable<DcmxNode['registerFirst']>
      assert.deepEqual((await sweeper.sweep(Date.now() + RESERVATION_MS + 1000)).discarded, [reserved.content_hash])
      // The keeper's whole DAG is still served: every block of its CAR, the shared chunk included.
      const car = await fetch(`${node.url}/ipfs/${cid}?format=car`)
      assert.equal(car.status, 200)
      assert.ok((await car.arrayBuffer()).byteLength > (1 << 20) + 2000, 'the CAR carries both chunks')
    } finally {
      await node.cleanup()
    }
  })

  it('registers as the operator through the local API, and reports an unregistered file', async () => {
    const node = await chainNode()
    try {
      const track = await addTrack(node)
      const call = (cmd: string, body: unknown) =>
        fetch(`${node.url}/local/${cmd}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(body),
        })
      const before = verifyFileResponseSchema.parse(await (await call('verify_file_on_chain', { content_hash: track.content_hash })).json())
      assert.equal(before.registered, false)
      assert.equal(before.match, false)
      const res = await call('register_file_on_chain', { content_hash: track.content_hash, wait: true })
      assert.equal(res.status, 200)
      const r = (await res.json()) as { registration: TrackRegistration }
      assert.equal(r.registration.state, 'registered')
      assert.equal(r.registration.mode, 'operator')
      assert.equal(await registry().read.artistOf([`0x${track.content_hash}`]), node.account.address)
      const v = verifyFileResponseSchema.parse(await (await call('verify_file_on_chain', { content_hash: track.content_hash })).json())
      assert.equal(v.match, true)
    } finally {
      await node.cleanup()
    }
  })

  it('accepts only the manifest the chain anchors: a peer whose manifest disagrees is refused and penalized', async () => {
    const bytes = randomBytesOf(700_000, seed++)
    const hash = createHash('sha256').update(bytes).digest('hex')
    // Same bytes, another chunking: a manifest that is self-consistent and matches the whole file, but not the chain.
    const honest = await startNode({ chunkSize: 256 * 1024 })
    const liar = await startNode({ chunkSize: 64 * 1024 })
    const client = await chainNode()
    try {
      await addTrack(honest, bytes)
      await addTrack(liar, bytes)
      const root = honest.tracks.getManifest(hash)?.root as string
      assert.notEqual(liar.tracks.getManifest(hash)?.root, root)
      await registerDirect(4, hash, root, bytes.length)

      assert.ok(await client.gossip.exchange(liar.announcer.address))
      await assert.rejects(client.getContent(hash), /no peer served a valid manifest/)
      assert.ok((client.peers.get(liar.peerId)?.score ?? 0) < 0, 'the liar was penalized')

      assert.ok(await client.gossip.exchange(honest.announcer.address))
      const r = await client.getContent(hash)
      // The manifest is the chain's; the bytes may race in from either peer (the liar's bytes are the real file,
      // only its chunking differs), and every chunk verifies against the anchored manifest.
      assert.equal(r.manifest.root, root)
      assert.ok([honest.peerId, liar.peerId].includes(r.from as string))
      const got = Buffer.from(await (await fetch(`${client.url}/content/${hash}`)).arrayBuffer())
      assert.equal(createHash('sha256').update(got).digest('hex'), hash)
    } finally {
      await Promise.all([honest.cleanup(), liar.cleanup(), client.cleanup()])
    }
  })
})
