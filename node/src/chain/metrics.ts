import { Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { Address } from 'viem'

import type { Catalog } from './catalog.ts'
import { protocolAbi } from './contracts.ts'
import type { RewardsService } from './rewards.ts'
import type { ChainService } from './service.ts'

const WEI_PER_DCMX = 1e18

/**
 * The node-on-chain gauges: receipts held, bytes proven on chain, DCMX pending and claimed, the last submitted
 * epoch, how far the index lags the chain head, and the outbox's depth and oldest job. Read at scrape time from the
 * services and the catalog, so they can never drift from what the node actually holds.
 */
export function registerChainMetrics(
  registry: Registry,
  s: { chain: ChainService; rewards: RewardsService; catalog: () => Catalog; node: Address },
): void {
  const registers = [registry]
  // Every epoch the node ever earned in (the catalog's default page is the newest 200).
  const mine = () => s.catalog().rewards(s.node, Number.MAX_SAFE_INTEGER).epochs
  new Gauge({
    name: 'receipts_held',
    help: 'Client receipts held for epochs not yet claimed',
    registers,
    collect() {
      this.set(s.rewards.receipts.heldEpochs().reduce((n, e) => n + e.clients, 0))
    },
  })
  new Gauge({
    name: 'bytes_proven_total',
    help: 'Bytes credited on chain to this node (its latest ReceiptsSubmitted per epoch, summed)',
    registers,
    collect() {
      this.set(mine().reduce((a, e) => a + Number(e.receipts.bytes_served), 0))
    },
  })
  new Gauge({
    name: 'dcmx_claimed',
    help: 'DCMX claimed for this node (RewardClaimed, summed)',
    registers,
    collect() {
      this.set(Number(s.catalog().rewards(s.node).claimed_wei) / WEI_PER_DCMX)
    },
  })
  new Gauge({
    name: 'dcmx_pending',
    help: 'DCMX earned in submitted epochs not yet claimed (raw reward, before any emission-cap scaling)',
    registers,
    async collect() {
      const epochs = mine().filter((e) => e.receipts.batches > 0 && e.claimed_wei === null).map((e) => e.epoch)
      let pending = 0
      for (const epoch of epochs.slice(0, 16)) {
        const raw = (await s.chain.publicClient
          .readContract({ address: s.chain.contracts.BandwidthRewards, abi: protocolAbi, functionName: 'rawReward', args: [s.node, epoch] })
          .catch(() => 0n)) as bigint
        pending += Number(raw) / WEI_PER_DCMX
      }
      this.set(pending)
    },
  })
  new Gauge({
    name: 'rewards_last_submitted_epoch',
    help: 'The last epoch whose receipts this node submitted (-1: none yet)',
    registers,
    collect() {
      this.set(s.rewards.lastSubmittedEpoch)
    },
  })
  new Gauge({
    name: 'rewards_window_warnings_total',
    help: 'Epochs whose submission window was about to close with their receipts not on chain yet (also logged as warnings)',
    registers,
    collect() {
      this.set(s.rewards.windowWarnings)
    },
  })
  new Gauge({
    name: 'chain_head_lag_blocks',
    help: 'Blocks between the chain head last seen and the last block indexed',
    registers,
    collect() {
      const c = s.chain.indexer.cursor
      this.set(Math.max(0, Number(c.head - (c.nextBlock - 1n))))
    },
  })
  new Gauge({
    name: 'outbox_depth',
    help: 'Chain jobs not yet done or failed',
    registers,
    collect() {
      this.set(s.chain.outbox.depth().open)
    },
  })
  new Gauge({
    name: 'outbox_oldest_job_age_seconds',
    help: 'Age of the oldest open chain job',
    registers,
    collect() {
      this.set(s.chain.outbox.depth().oldestAgeMs / 1000)
    },
  })
}
