import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { parseEther } from 'viem'

import { tempDir } from '../helpers.ts'
import { fund, protocolChain, until } from './protocol.ts'
import type { TestChain } from './test-chain.ts'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

/** `dcmx start` on the test chain as a real process; resolves once it listens. */
async function startProcess(dataDir: string, chain: TestChain, contracts: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const args = ['--data-dir', dataDir, 'start', '--host', '127.0.0.1', '--port', '0', '--rpc-url', chain.url, '--chain-id', '31337', '--confirmations', '1', '--contracts', JSON.stringify(contracts)]
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  proc.stderr?.setEncoding('utf8')
  while (true) {
    const [chunk] = (await Promise.race([once(proc.stderr as NodeJS.ReadableStream, 'data'), once(proc, 'exit').then(() => [`exited: ${err}`])])) as [string]
    err += chunk
    if (chunk.startsWith('exited')) throw new Error(err)
    const m = /listening on (http:\/\/\S+)/.exec(err)
    if (m) return { proc, url: m[1] as string }
  }
}

/** Reads a chain job from the node's own database, as it is on disk (the process may be dead). */
function jobOnDisk(dataDir: string, key: string): { status: string; attempts: string } | undefined {
  const db = new DatabaseSync(join(dataDir, 'node.db'), { readOnly: true })
  try {
    return db.prepare('SELECT status, attempts FROM chain_jobs WHERE key = ?').get(key) as { status: string; attempts: string } | undefined
  } finally {
    db.close()
  }
}

describe('a node killed between signing and broadcasting', () => {
  const ctx = protocolChain()

  it('lands the stored transaction exactly once after a SIGKILL and a restart', async () => {
    await using dir = await tempDir('dcmx-crash-')
    const contracts = ctx.protocol.contracts as unknown as Record<string, string>
    let node = await startProcess(dir.path, ctx.chain, contracts)
    try {
      const peerId = ((await (await fetch(`${node.url}/ping`)).json()) as { peer_id: `0x${string}` }).peer_id
      await fund(ctx.protocol, peerId, { eth: '1', dcmx: '10000' })
      // The RPC accepts everything but broadcasts: the approve gets signed and stored, then the process dies.
      ctx.chain.refuse.add('eth_sendRawTransaction')
      const token = (await readFile(join(dir.path, 'api-token'), 'utf8')).trim()
      const res = await fetch(`${node.url}/stake`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: String(parseEther('10000')), request_id: 'crash' }),
      })
      assert.equal(res.status, 200)
      const signed = await until('the approve to be signed and stored', () => {
        const job = jobOnDisk(dir.path, 'stake:approve:crash')
        return job?.status === 'signed' ? job : undefined
      })
      node.proc.kill('SIGKILL')
      await once(node.proc, 'exit')
      ctx.chain.refuse.delete('eth_sendRawTransaction')
      assert.equal(await ctx.chain.publicClient.getTransactionCount({ address: peerId }), 0, 'nothing reached the chain')

      node = await startProcess(dir.path, ctx.chain, contracts)
      await until('the stake to land', async () => {
        const n = (await ctx.protocol.deployed.staking.read.nodeOf([peerId])) as { stake: bigint }
        return n.stake === parseEther('10000') ? true : undefined
      })
      const approve = jobOnDisk(dir.path, 'stake:approve:crash')
      assert.equal(JSON.parse(approve?.attempts ?? '[]')[0].hash, JSON.parse(signed.attempts)[0].hash, 'the stored bytes were sent, not a new transaction')
      assert.equal(await ctx.chain.publicClient.getTransactionCount({ address: peerId }), 2, 'approve and register, once each')
    } finally {
      ctx.chain.refuse.delete('eth_sendRawTransaction')
      node.proc.kill('SIGTERM')
      await once(node.proc, 'exit').catch(() => {})
    }
  })
})
