/**
 * A standards-compliant injected wallet for the browser tests: an EIP-1193 provider announced by EIP-6963 inside the
 * page, whose every request crosses into the test process, where a viem account holds the key, signs messages,
 * typed data and transactions (sent raw to the local chain), and forwards reads to the chain. So discovery, account
 * requests and signing run as they do with a real extension, not through wagmi's mock connector.
 */
import type { BrowserContext } from '@playwright/test'
import { createWalletClient, http, type Hex, type TypedDataDefinition } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { hardhat } from 'viem/chains'

export const TEST_WALLET = { name: 'DCMX Test Wallet', rdns: 'org.dcmx.testwallet' }

type Request = { method: string; params?: unknown[] }
type Answer = { result?: unknown; error?: { code: number; message: string } }

/** Typed data arrives as JSON (integers as strings); restores them to bigint by the declared types. */
function typedDataFromJson(json: string): TypedDataDefinition {
  const { domain, types, primaryType, message } = JSON.parse(json) as { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; primaryType: string; message: Record<string, unknown> }
  const { EIP712Domain: _domainType, ...rest } = types
  const fix = (type: string, value: unknown): unknown => {
    if (/^u?int\d*$/.test(type)) return BigInt(value as string)
    if (type.endsWith('[]')) return (value as unknown[]).map((v) => fix(type.slice(0, -2), v))
    if (rest[type]) return Object.fromEntries(rest[type].map((f) => [f.name, fix(f.type, (value as Record<string, unknown>)[f.name])]))
    return value
  }
  return {
    domain: { ...domain, chainId: domain.chainId === undefined ? undefined : Number(domain.chainId) },
    types: rest,
    primaryType,
    message: fix(primaryType, message) as Record<string, unknown>,
  } as unknown as TypedDataDefinition
}

export interface TestWallet {
  address: `0x${string}`
  /** Answer the next signing request with a user rejection (4001), as a person pressing "Reject" would. */
  rejectNext(): void
  requests: string[]
}

export async function installTestWallet(context: BrowserContext, opts: { privateKey: Hex; rpcUrl: string; chainId: number }): Promise<TestWallet> {
  const account = privateKeyToAccount(opts.privateKey)
  const client = createWalletClient({ account, chain: { ...hardhat, id: opts.chainId }, transport: http(opts.rpcUrl) })
  let reject = false
  // Like a real wallet: no accounts for the site until it asked (eth_requestAccounts) and the user approved.
  let authorized = false
  const wallet: TestWallet = { address: account.address, rejectNext: () => (reject = true), requests: [] }

  async function handle({ method, params = [] }: Request): Promise<unknown> {
    wallet.requests.push(method)
    const signing = ['personal_sign', 'eth_signTypedData_v4', 'eth_sendTransaction'].includes(method)
    if (signing && reject) {
      reject = false
      throw Object.assign(new Error('User rejected the request.'), { code: 4001 })
    }
    switch (method) {
      case 'eth_requestAccounts':
        authorized = true
        return [account.address]
      case 'eth_accounts':
        return authorized ? [account.address] : []
      case 'eth_chainId':
        return `0x${opts.chainId.toString(16)}`
      case 'wallet_switchEthereumChain':
        if (Number((params[0] as { chainId: string }).chainId) !== opts.chainId) throw Object.assign(new Error('Unrecognized chain'), { code: 4902 })
        return null
      case 'wallet_requestPermissions':
        authorized = true
        return [{ parentCapability: 'eth_accounts' }]
      case 'wallet_getPermissions':
        return authorized ? [{ parentCapability: 'eth_accounts' }] : []
      case 'personal_sign':
        return account.signMessage({ message: { raw: params[0] as Hex } })
      case 'eth_signTypedData_v4':
        return account.signTypedData(typedDataFromJson(params[1] as string))
      case 'eth_sendTransaction': {
        const tx = params[0] as { to?: Hex; data?: Hex; value?: Hex; gas?: Hex }
        return client.sendTransaction({ to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : undefined, gas: tx.gas ? BigInt(tx.gas) : undefined })
      }
      default:
        return client.request({ method, params } as never)
    }
  }

  await context.exposeFunction('__dcmxTestWallet', async (json: string): Promise<string> => {
    try {
      return JSON.stringify({ result: await handle(JSON.parse(json) as Request) } satisfies Answer)
    } catch (error) {
      const e = error as { code?: number; shortMessage?: string; message: string }
      return JSON.stringify({ error: { code: e.code ?? -32603, message: e.shortMessage ?? e.message } } satisfies Answer)
    }
  })
  await context.addInitScript(
    ({ name, rdns, chainIdHex }) => {
      const listeners: Record<string, Set<(...a: unknown[]) => void>> = {}
      const provider = {
        async request({ method, params }: { method: string; params?: unknown[] }) {
          const w = window as unknown as { __dcmxTestWallet: (j: string) => Promise<string> }
          const { result, error } = JSON.parse(await w.__dcmxTestWallet(JSON.stringify({ method, params }))) as { result?: unknown; error?: { code: number; message: string } }
          if (error) throw Object.assign(new Error(error.message), { code: error.code })
          return result
        },
        on(event: string, fn: (...a: unknown[]) => void) {
          ;(listeners[event] ??= new Set()).add(fn)
        },
        removeListener(event: string, fn: (...a: unknown[]) => void) {
          listeners[event]?.delete(fn)
        },
        chainId: chainIdHex,
      }
      const icon = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><circle cx="10" cy="10" r="9" fill="#7cc4ff"/></svg>')}`
      const detail = Object.freeze({ info: Object.freeze({ uuid: crypto.randomUUID(), name, icon, rdns }), provider })
      const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail }))
      window.addEventListener('eip6963:requestProvider', announce)
      announce()
    },
    { ...TEST_WALLET, chainIdHex: `0x${opts.chainId.toString(16)}` },
  )
  return wallet
}
