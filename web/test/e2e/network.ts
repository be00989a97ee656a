import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const NETWORK_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '.artifacts', 'network.json')

export type Role = 'deployer' | 'operator 1' | 'operator 2' | 'operator 3' | 'artist' | 'collector 1' | 'collector 2'
export interface E2eNetwork {
  rpcUrl: string
  chainId: number
  contracts: Record<string, `0x${string}`>
  nodes: { url: string; peerId: `0x${string}`; operator: `0x${string}`; apiToken: string; dataDir: string }[]
  webUrl: string
  accounts: { role: Role; address: `0x${string}`; privateKey: `0x${string}` }[]
}

export function network(): E2eNetwork {
  return JSON.parse(readFileSync(NETWORK_FILE, 'utf8')) as E2eNetwork
}

export function account(net: E2eNetwork, role: Role) {
  const a = net.accounts.find((x) => x.role === role)
  if (!a) throw new Error(`no ${role} account`)
  return a
}

/** JSON-RPC to the local chain from the test process (time travel, mining). */
export async function rpc(net: E2eNetwork, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(net.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: unknown; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result
}

/** Polls `fn` until it returns a value that is not undefined/false (the index and the mesh are eventually consistent). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (error) {
      last = error
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`)
}
