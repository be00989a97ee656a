import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { ChainConnectionError, connectChain, redact } from '../../src/chain/connect.ts'
import { startTestChain } from './test-chain.ts'
import type { TestChain } from './test-chain.ts'

/** A port nothing listens on. */
async function deadUrl(): Promise<string> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return `http://127.0.0.1:${port}`
}

describe('connecting to a chain', () => {
  let chain: TestChain
  before(async () => {
    chain = await startTestChain()
  })
  after(() => chain.close())

  it('checks the chain id and falls back past a dead RPC to a live one', async () => {
    const { publicClient, chainId } = await connectChain({ rpcUrls: [await deadUrl(), chain.url], chainId: 31337 })
    assert.equal(chainId, 31337)
    assert.ok((await publicClient.getBlockNumber()) >= 0n)
  })

  it('refuses an RPC that serves another chain', async () => {
    await assert.rejects(connectChain({ rpcUrls: [chain.url], chainId: 1 }), (err: Error) => {
      assert.ok(err instanceof ChainConnectionError)
      assert.match(err.message, /serves chain 31337, not the configured chain 1/)
      return true
    })
  })

  it('says when no RPC answers, without printing the URLs\' secrets', async () => {
    const url = `${await deadUrl()}/v3/SECRET-KEY`
    await assert.rejects(connectChain({ rpcUrls: [url], timeoutMs: 2000 }), (err: Error) => {
      assert.ok(err instanceof ChainConnectionError)
      assert.doesNotMatch(err.message, /SECRET/)
      return true
    })
    assert.equal(redact('https://eth.example.org/v3/abc?key=1'), 'https://eth.example.org/…')
  })
})
