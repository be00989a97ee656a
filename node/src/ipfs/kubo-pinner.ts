import type { KuboRPCClient } from 'kubo-rpc-client'
import type { CID } from 'multiformats/cid'

import type { Logger } from '../core/logger.ts'

export interface KuboPinnerInit {
  /** Kubo RPC API base URL, e.g. http://127.0.0.1:5001 */
  url: string
  timeoutMs?: number
}

/**
 * Pins DAGs to an operator's own Kubo through its RPC API (`kubo-rpc-client`): the node streams
 * the DAG as a CAR into `POST /api/v0/dag/import?pin-roots=true`, so Kubo stores and pins it
 * without fetching anything from the network.
 */
export class KuboPinner {
  readonly url: string
  /** Loaded on first pin: kubo-rpc-client costs ~7 MiB of RSS, idle in a node that never pins. */
  #client: Promise<KuboRPCClient> | undefined
  #timeoutMs: number
  #log: Logger

  constructor(components: { logger: Logger }, init: KuboPinnerInit) {
    this.url = init.url
    this.#timeoutMs = init.timeoutMs ?? 120_000
    this.#log = components.logger.child({ component: 'kubo' })
  }

  /** Imports the CAR and pins its root; resolves with the roots Kubo reports as pinned. */
  async pin(root: CID, car: AsyncIterable<Uint8Array>, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    const pinned: string[] = []
    this.#client ??= import('kubo-rpc-client').then(({ create }) => create({ url: this.url, timeout: this.#timeoutMs }))
    const client = await this.#client
    for await (const r of client.dag.import(car, { pinRoots: true, signal: opts.signal })) {
      if (r.root.pinErrorMsg) throw new Error(`Kubo could not pin ${r.root.cid}: ${r.root.pinErrorMsg}`)
      pinned.push(r.root.cid.toString())
    }
    // Kubo answers one line per CAR root; no line for ours means nothing was pinned.
    if (!pinned.includes(root.toString())) throw new Error(`Kubo did not report ${root} as pinned`)
    this.#log.info({ cid: root.toString(), pinned }, 'pinned to kubo')
    return pinned
  }
}
