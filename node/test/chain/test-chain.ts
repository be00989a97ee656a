import { createServer } from 'node:http'
import type { Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import type {} from '@nomicfoundation/hardhat-ignition-viem'
import type {} from '@nomicfoundation/hardhat-viem'
import { createPublicClient, http } from 'viem'
import type { PublicClient } from 'viem'

/**
 * A real Hardhat (EDR) chain in this process, reachable over JSON-RPC on 127.0.0.1 like any node's RPC, with an
 * outage switch: `down = true` makes the endpoint refuse every request (as a stopped chain process would), and
 * `refuse` drops chosen methods only (e.g. a crash right before broadcast).
 */
export interface TestChain {
  url: string
  /** Hardhat's viem helpers (deploy, wallet clients) talking to the same chain in process. */
  viem: Awaited<ReturnType<typeof import('hardhat').network.create>>['viem']
  /** Hardhat Ignition on the same chain: deploy the protocol exactly as `npm run chain` does. */
  ignition: Awaited<ReturnType<typeof import('hardhat').network.create>>['ignition']
  provider: { request: (args: { method: string; params?: unknown[] }) => Promise<unknown> }
  publicClient: PublicClient
  down: boolean
  refuse: Set<string>
  /** Refuse `eth_getLogs` spanning more blocks than this, as hosted RPCs do (0: no limit). */
  maxLogRange: number
  mine: (blocks?: number) => Promise<void>
  close: () => Promise<void>
}

export async function startTestChain(): Promise<TestChain> {
  const { network } = await import('hardhat')
  const connection = await network.create()
  const provider = connection.provider as unknown as TestChain['provider']
  const state = { down: false, refuse: new Set<string>(), maxLogRange: 0 }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (state.down) return void res.socket?.destroy()
      void answer(Buffer.concat(chunks).toString('utf8'), res)
    })
  })
  async function answer(body: string, res: ServerResponse): Promise<void> {
    const one = async (call: { id: unknown; method: string; params?: unknown[] }) => {
      if (state.refuse.has(call.method)) return { jsonrpc: '2.0', id: call.id, error: { code: -32603, message: 'connection reset (test outage)' } }
      if (call.method === 'eth_getLogs' && state.maxLogRange > 0) {
        const f = (call.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string }
        if (f.fromBlock && f.toBlock && Number(f.toBlock) - Number(f.fromBlock) + 1 > state.maxLogRange) {
          return { jsonrpc: '2.0', id: call.id, error: { code: -32005, message: `query exceeds max block range ${state.maxLogRange}` } }
        }
      }
      try {
        return { jsonrpc: '2.0', id: call.id, result: await provider.request({ method: call.method, params: call.params }) }
      } catch (err) {
        const e = err as { code?: number; message?: string; data?: unknown }
        return { jsonrpc: '2.0', id: call.id, error: { code: e.code ?? -32603, message: e.message ?? String(err), data: e.data } }
      }
    }
    const parsed = JSON.parse(body) as Parameters<typeof one>[0] | Parameters<typeof one>[0][]
    const out = Array.isArray(parsed) ? await Promise.all(parsed.map(one)) : await one(parsed)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)))
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const publicClient = createPublicClient({ transport: http(url, { retryCount: 0 }) }) as PublicClient
  return Object.assign(state, {
    url,
    viem: connection.viem,
    ignition: connection.ignition,
    provider,
    publicClient,
    mine: async (blocks = 1) => {
      for (let i = 0; i < blocks; i++) await provider.request({ method: 'evm_mine', params: [] })
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await connection.close()
    },
  })
}
