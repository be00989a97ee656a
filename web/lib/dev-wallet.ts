/**
 * The local chain's dev wallet: an EIP-1193 provider over the Hardhat node's unlocked demo accounts, so a person can
 * click through every journey without a browser extension. The chain signs (eth_sendTransaction,
 * eth_signTypedData_v4, personal_sign are answered by the Hardhat node for its own accounts); this provider only
 * pins which account is "connected". Offered only when the app runs against the local chain.
 */
type Listener = (...args: unknown[]) => void

export type Eip1193Provider = {
  request(args: { method: string; params?: unknown }): Promise<unknown>
  on(event: string, listener: Listener): void
  removeListener(event: string, listener: Listener): void
}

/** What the dev wallet passes to the chain: reads, sends and signatures; never test-node controls (hardhat_*, evm_*). */
const FORWARDED = /^(eth_|net_version$|web3_clientVersion$|personal_sign$)/

export function devWalletProvider(rpcUrl: string, index: number, chainId: number): Eip1193Provider {
  const listeners = new Map<string, Set<Listener>>()
  let id = 0
  let checked: Promise<void> | null = null
  /** The RPC itself must be the local chain: a production app with a forgotten DCMX_CHAIN_ID offers no dev wallet
   * that works against a real node's unlocked accounts. */
  function checkChain(): Promise<void> {
    checked ??= rpc('eth_chainId', []).then((hex) => {
      if (Number(hex) !== chainId || chainId !== 31337) throw Object.assign(new Error('The dev wallet works only against the local Hardhat chain'), { code: 4900 })
    })
    checked.catch(() => (checked = null))
    return checked
  }
  async function rpc(method: string, params: unknown): Promise<unknown> {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }),
    })
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } }
    if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data })
    return body.result
  }
  async function account(): Promise<string> {
    const all = (await rpc('eth_accounts', [])) as string[]
    const a = all[index]
    if (!a) throw Object.assign(new Error(`the local chain has no demo account #${index}`), { code: 4100 })
    return a
  }
  // Like a real wallet, the site sees no account until it asked and the person connected (remembered per browser).
  const grantKey = `dcmx-dev-wallet-${index}`
  const granted = () => typeof localStorage !== 'undefined' && localStorage.getItem(grantKey) === '1'
  const grant = (on: boolean) => {
    if (typeof localStorage === 'undefined') return
    if (on) localStorage.setItem(grantKey, '1')
    else localStorage.removeItem(grantKey)
  }
  return {
    async request({ method, params }) {
      await checkChain()
      switch (method) {
        case 'eth_requestAccounts':
          grant(true)
          return [await account()]
        case 'eth_accounts':
          return granted() ? [await account()] : []
        case 'eth_chainId':
          return `0x${chainId.toString(16)}`
        case 'wallet_switchEthereumChain': {
          const wanted = Number((params as [{ chainId: string }])[0].chainId)
          if (wanted !== chainId) throw Object.assign(new Error('the dev wallet only knows the local chain'), { code: 4902 })
          return null
        }
        case 'wallet_requestPermissions':
          grant(true)
          return [{ parentCapability: 'eth_accounts' }]
        case 'wallet_revokePermissions':
          grant(false)
          return null
        case 'wallet_getPermissions':
          return granted() ? [{ parentCapability: 'eth_accounts' }] : []
        default:
          if (!FORWARDED.test(method)) throw Object.assign(new Error(`The dev wallet does not support ${method}`), { code: 4200 })
          return rpc(method, params)
      }
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set())
      listeners.get(event)!.add(listener)
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener)
    },
  }
}
