import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { editionsAbi, marketplaceAbi } from '@dcmx/deployments'
import {
  ContractFunctionRevertedError,
  createWalletClient,
  encodeErrorResult,
  getAbiItem,
  HttpRequestError,
  http,
  parseEther,
  UserRejectedRequestError,
  zeroHash,
} from 'viem'
import type { Address, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { DCMX_ERROR_SENTENCES, dcmxErrorsAbi, decodeDcmxRevert, describeError } from '../../lib/errors.ts'
import { startRegistryChain, trackOf, wav } from './stream-fixture.ts'
import type { ChainFixture } from './stream-fixture.ts'

describe('describeError against a real chain', () => {
  let fx: ChainFixture
  let editions: Address
  let editionId: bigint
  const price = parseEther('0.01')

  before(async () => {
    fx = await startRegistryChain()
    const track = await trackOf(wav(0.5))
    await fx.register(track)
    const [owner] = await fx.chain.viem.getWalletClients()
    const e = await fx.chain.viem.deployContract('Editions', [fx.registry, owner!.account.address, 'ipfs://'])
    editions = e.address
    await e.write.createEdition([
      { contentHash: `0x${track.hash}`, name: 'Tone', price, maxSupply: 1, royaltyBps: 500, saleStart: 0, saleEnd: 0, perWalletCap: 0, presale: { merkleRoot: zeroHash, price: 0n, start: 0, perWalletCap: 0 } },
    ])
    editionId = 1n
    await e.write.buy([editionId, 1n], { value: price })
  })
  after(() => fx.chain.close())

  it('decodes a revert the caller\'s ABI does not know (raised in Editions, called with a buy-only ABI) by name and arguments', async () => {
    // What a Marketplace-side caller sees: the revert bubbles up from a contract whose errors its ABI lacks.
    const buyOnly = [getAbiItem({ abi: editionsAbi, name: 'buy' })] as const
    const err = await fx.chain.publicClient
      .simulateContract({ address: editions, abi: buyOnly, functionName: 'buy', args: [editionId, 1n], value: price, account: `0x${'42'.repeat(20)}` })
      .then(() => undefined, (e: unknown) => e)
    assert.ok(err, 'the purchase must revert')
    const d = describeError(err)
    assert.equal(d.kind, 'revert')
    assert.equal(d.revert?.errorName, 'EditionSoldOut')
    assert.deepEqual(d.revert?.args, [1n, 0n])
    assert.equal(d.revert?.text, 'EditionSoldOut(edition 1, remaining 0)')
    assert.equal(d.title, 'Edition sold out')
    assert.equal(d.message, 'Edition 1 is sold out.')
  })

  it('reads a revert viem decoded itself (the ABI knew the error)', async () => {
    const err = await fx.chain.publicClient
      .simulateContract({ address: editions, abi: editionsAbi, functionName: 'buy', args: [99n, 1n], value: 1n, account: `0x${'42'.repeat(20)}` })
      .then(() => undefined, (e: unknown) => e)
    const d = describeError(err)
    assert.equal(d.kind, 'revert')
    assert.equal(d.revert?.errorName, 'EditionNotFound')
    assert.equal(d.message, 'There is no edition 99.')
  })

  it('says how much ETH is missing when a wallet cannot pay', async () => {
    const poor = privateKeyToAccount(generatePrivateKey())
    const [rich] = await fx.chain.viem.getWalletClients()
    await rich!.sendTransaction({ to: poor.address, value: parseEther('0.001') })
    const wallet = createWalletClient({ account: poor, transport: http(fx.chain.url, { retryCount: 0 }) })
    const err = await wallet.sendTransaction({ chain: null, to: `0x${'42'.repeat(20)}`, value: parseEther('1') }).then(() => undefined, (e: unknown) => e)
    assert.ok(err, 'the transfer must fail')
    const d = describeError(err)
    assert.equal(d.kind, 'funds')
    assert.match(d.message, /^Not enough ETH: this needs 1\.\d+ ETH \(price and gas\) and the wallet has 0\.001 ETH: 0\.99\d* ETH short\.$/)
  })

  it('uses the balance and cost the app knows when the node does not say', () => {
    const d = describeError(new Error('insufficient funds for gas * price + value'), { balance: parseEther('0.5'), cost: parseEther('0.75') })
    assert.equal(d.kind, 'funds')
    assert.equal(d.message, 'Not enough ETH: this needs 0.75 ETH (price and gas) and the wallet has 0.5 ETH: 0.25 ETH short.')
  })

  it('reads an unreachable chain as a network problem', async () => {
    const wallet = createWalletClient({ account: privateKeyToAccount(generatePrivateKey()), transport: http('http://127.0.0.1:9', { retryCount: 0 }) })
    const err = await wallet.sendTransaction({ chain: null, to: `0x${'42'.repeat(20)}`, value: 1n }).then(() => undefined, (e: unknown) => e)
    assert.equal(describeError(err).kind, 'network')
    assert.equal(describeError(new HttpRequestError({ url: 'http://127.0.0.1:9' })).kind, 'network')
  })
})

describe('describeError without a chain', () => {
  it('reads a rejected signature as cancelled, from viem or from a raw EIP-1193 error', () => {
    assert.deepEqual(describeError(new UserRejectedRequestError(new Error('User rejected the request.'))), {
      kind: 'cancelled',
      title: 'Cancelled',
      message: 'You cancelled the request in your wallet. Nothing was sent.',
    })
    assert.equal(describeError({ code: 4001, message: 'User denied transaction signature' }).kind, 'cancelled')
    assert.equal(describeError(new Error('wrapped', { cause: { code: 4001 } })).kind, 'cancelled')
  })

  it('decodes an Editions error wrapped in a Marketplace call error (viem decoding against the Marketplace ABI fails)', () => {
    const data = encodeErrorResult({ abi: editionsAbi, errorName: 'EditionWalletCapExceeded', args: [3n, `0x${'ab'.repeat(20)}`, 2] })
    const err = new ContractFunctionRevertedError({ abi: marketplaceAbi, data, functionName: 'buy' })
    const d = describeError(err)
    assert.equal(d.revert?.text, 'EditionWalletCapExceeded(edition 3, wallet 0xABaB…ABaB, cap 2)')
    assert.equal(d.message, 'A wallet may buy at most 2 of edition 3.')
  })

  it('decodes revert data found as an RPC error\'s data', () => {
    const data = encodeErrorResult({ abi: marketplaceAbi, errorName: 'MarketplaceStaleListing', args: [`0x${'11'.repeat(20)}`, 7n, `0x${'22'.repeat(20)}`, `0x${'33'.repeat(20)}`] })
    const d = describeError({ code: 3, message: 'execution reverted', data })
    assert.equal(d.revert?.text, 'MarketplaceStaleListing(nft 0x1111…1111, token 7, seller 0x2222…2222, owner 0x3333…3333)')
    assert.match(d.message, /stale/)
    assert.equal(describeError({ code: -32000, message: 'x', data: { data } }).revert?.errorName, 'MarketplaceStaleListing')
  })

  it('counts down to a sale start in words', () => {
    const data = encodeErrorResult({ abi: editionsAbi, errorName: 'EditionSaleNotStarted', args: [4n, 1_009_000] })
    assert.equal(describeError({ data }, { now: 1_000_000 }).message, 'The sale of edition 4 has not started yet; it opens in 2h 30m.')
  })

  it('falls back to Name(args) for DCMX errors without a sentence, and to a generic revert for unknown data', () => {
    const data = encodeErrorResult({ abi: editionsAbi, errorName: 'EditionsInvalidCid', args: ['bad'] })
    assert.equal(describeError({ data }).message, 'The contract refused: EditionsInvalidCid(cid "bad").')
    const unknown = describeError({ message: 'execution reverted', data: '0xdeadbeef' })
    assert.equal(unknown.kind, 'revert')
    assert.equal(unknown.revert, undefined)
  })

  it('reads Solidity\'s Error(string) and Panic(uint256) reverts', () => {
    const reason = encodeErrorResult({ abi: [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }], errorName: 'Error', args: ['nope'] })
    assert.equal(describeError({ data: reason }).message, 'The contract refused: nope.')
    const panic = encodeErrorResult({ abi: [{ type: 'error', name: 'Panic', inputs: [{ name: 'reason', type: 'uint256' }] }], errorName: 'Panic', args: [0x11n] })
    assert.equal(describeError({ data: panic }).message, 'The contract failed an internal check (panic 0x11).')
  })

  it('knows every DCMX error once and has sentences only for real error names', () => {
    const names = new Set(dcmxErrorsAbi.map((e) => e.name))
    assert.equal(names.size, dcmxErrorsAbi.length)
    for (const n of ['EditionSoldOut', 'MarketplaceNotApproved', 'TrackAlreadyRegistered', 'GovernorUnexpectedProposalState', 'TimelockUnexpectedOperationState', 'NodeStakingStillUnbonding']) assert.ok(names.has(n), n)
    for (const n of Object.keys(DCMX_ERROR_SENTENCES)) assert.ok(names.has(n), `sentence for unknown error ${n}`)
  })

  it('never throws, whatever it is given', () => {
    for (const e of [undefined, null, 42, 'boom', { cause: {} }, Object.assign(new Error('x'), { data: '0x12' })]) {
      const d = describeError(e)
      assert.equal(typeof d.message, 'string')
    }
    assert.equal(decodeDcmxRevert('0x' as Hex), undefined)
    assert.equal(describeError(new Error('boom')).message, 'boom')
  })
})
