import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import type { Command } from 'commander'
import { pino } from 'pino'
import { z } from 'zod'

import { nodeConfigSchema, peerAddressSchema } from '../../core/config.ts'
import type { NodeConfigInput } from '../../core/config.ts'
import { createLogger } from '../../core/logger.ts'
import { createNode } from '../../node.ts'
import { CliError } from '../errors.ts'
import { parseFlag } from '../options.ts'

export const LOG_FILE = 'node.log'

const intFlag = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const contractsFlag = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of contract addresses' })
      return z.NEVER
    }
  })
  .pipe(z.record(z.string(), z.string().regex(/^0x[0-9a-fA-F]{40}$/)))

/** The `--dht*` flags as config `dht` (undefined without --dht; a --dht-* flag without --dht is an error). */
export function dhtOptions(o: Record<string, unknown>): NodeConfigInput['dht'] {
  const given = ['dhtHost', 'dhtPort', 'dhtBootstrap', 'dhtClient'].filter((k) => o[k] !== undefined)
  if (o.dht !== true) {
    if (given.length) throw new CliError(`--${given[0]?.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --dht`)
    return undefined
  }
  const bootstrap = o.dhtBootstrap === undefined
    ? []
    : String(o.dhtBootstrap).split(',').map((p) => p.trim()).filter(Boolean).map((p) => parseFlag(peerAddressSchema, p, `--dht-bootstrap ${p}`))
  if (o.dhtBootstrap !== undefined && bootstrap.length === 0) throw new CliError('Invalid --dht-bootstrap: expected host:port[,host:port...]')
  return {
    host: parseFlag(z.string().regex(/^[A-Za-z0-9.\-:]+$/, 'expected a host name or IP address'), o.dhtHost ?? '127.0.0.1', '--dht-host'),
    port: parseFlag(intFlag(0, 65535), o.dhtPort ?? '0', '--dht-port'),
    bootstrap,
    server: o.dhtClient !== true,
  }
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run a node: serve content, gossip with peers, expose the HTTP API')
    .option('--host <host>', 'interface to bind', '0.0.0.0')
    .option('--port <port>', 'TCP port (0 = any free port)', '8080')
    .option('--peers <host:port...>', 'bootstrap peers')
    .option('--advertise-host <host>', 'host announced to peers (default: --host, or 127.0.0.1 for 0.0.0.0)')
    .option('--interval <ms>', 'gossip interval in ms', '5000')
    .option('--fanout <n>', 'peers contacted per gossip round', '3')
    .option('--disconnected-retry <ms>', 'how often a peer given up on is probed again (partitions heal within this)', '60000')
    .option('--max-peers <n>', 'peer table bound', '4096')
    .option('--max-upload-mib <n>', 'largest accepted upload in MiB', '512')
    .option('--wallet-upload-mib <n>', 'MiB each wallet may upload per day with a signed authorization (0 = operator only)', '0')
    .option('--wallet-upload-total-mib <n>', 'MiB all wallets together may upload per day', '20480')
    .option('--rate-limit <n>', 'requests per minute per IP (0 = off)', '1200')
    .option('--chunk-kib <n>', 'manifest chunk size in KiB for content added here', '1024')
    .option('--no-ipfs', 'no CIDs at upload and no /ipfs gateway')
    .option('--kubo-rpc-url <url>', 'pin every track and blob to this Kubo RPC API (e.g. http://127.0.0.1:5001)')
    .option('--log-level <level>', 'trace|debug|info|warn|error', 'info')
    .option('--rpc-url <url...>', 'JSON-RPC endpoint(s) of the chain; several = fallback in order (omit to run off chain)')
    .option('--chain-id <id>', 'refuse an RPC that serves another chain')
    .option('--confirmations <n>', 'blocks before a transaction counts as done', '2')
    .option('--receipt-window-mib <n>', 'serve a staked client at most this many MiB ahead of its last valid receipt', '8')
    .option('--free-rate-kib <n>', 'KiB/s a client that signs no receipts (a browser, an unstaked node) is served at (0 = no limit)', '2048')
    .option('--no-auto-rewards', 'do not submit receipts and claim rewards by itself (use dcmx rewards submit|claim or the web app)')
    .option('--register-as-operator', 'register every uploaded track on chain with this node as the artist')
    .option('--relay-per-artist-day <n>', "artists' signed registrations this node relays (and pays gas for) per artist per 24 h", '20')
    .option('--relay-per-day <n>', "artists' signed registrations this node relays per 24 h in all", '500')
    .option('--replicate <k>', 'keep every known track on k nodes: fetch the ones this node is designated for (off when omitted)')
    .option('--quota-mib <n>', 'with --replicate: MiB of content replication may store here (0 = unlimited)', '0')
    .option('--replicate-interval <ms>', 'with --replicate: period of the replication pass (a lost holder is replaced within about this)', '30000')
    .option('--max-retries <n>', 'failed exchanges in a row (after the first) before a peer counts as disconnected', '3')
    .option('--dht', 'content routing over a DHT (hyperdht): announce held tracks, look up holders no peer names')
    .option('--dht-host <host>', 'with --dht: UDP interface of the DHT (default 127.0.0.1)')
    .option('--dht-port <port>', 'with --dht: UDP port of the DHT (default 0 = any free port)')
    .option('--dht-bootstrap <host:port,...>', 'with --dht: DHT nodes to join through (none: this node starts a new DHT)')
    .option('--dht-client', 'with --dht: only announce and look up, do not route for others (behind NAT)')
    .option('--contracts <json>', 'protocol addresses for a chain @dcmx/deployments does not know: {"TrackRegistry":"0x..",...}')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<Record<string, string | string[] | undefined>>()
      const peers = ((o.peers as string[] | undefined) ?? []).map((p) => parseFlag(peerAddressSchema, p, `--peers ${p}`))
      const dataDir = o.dataDir as string
      const dht = dhtOptions(o)
      const level = parseFlag(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), o.logLevel, '--log-level')
      const config = parseFlag(
        nodeConfigSchema,
        {
          host: o.host,
          port: parseFlag(intFlag(0, 65535), o.port, '--port'),
          advertiseHost: o.advertiseHost,
          dataDir,
          peers,
          discoveryIntervalMs: parseFlag(intFlag(10, 3_600_000), o.interval, '--interval'),
          fanout: parseFlag(intFlag(1, 64), o.fanout, '--fanout'),
          disconnectedRetryMs: parseFlag(intFlag(10, 86_400_000), o.disconnectedRetry, '--disconnected-retry'),
          maxRetries: parseFlag(intFlag(0, 100), o.maxRetries, '--max-retries'),
          maxPeers: parseFlag(intFlag(1, 1_000_000), o.maxPeers, '--max-peers'),
          maxUploadBytes: parseFlag(intFlag(1, 1 << 20), o.maxUploadMib, '--max-upload-mib') * 1024 * 1024,
          walletUploadBytesPerDay: parseFlag(intFlag(0, 1 << 30), o.walletUploadMib, '--wallet-upload-mib') * 1024 * 1024,
          walletUploadTotalBytesPerDay: parseFlag(intFlag(0, 1 << 30), o.walletUploadTotalMib, '--wallet-upload-total-mib') * 1024 * 1024,
          rateLimitMax: parseFlag(intFlag(0, 1_000_000), o.rateLimit, '--rate-limit'),
          chunkSize: parseFlag(intFlag(1, 65536), o.chunkKib, '--chunk-kib') * 1024,
          logLevel: level,
          chain: o.rpcUrl
            ? {
                rpcUrls: o.rpcUrl as string[],
                chainId: o.chainId === undefined ? undefined : parseFlag(intFlag(1, Number.MAX_SAFE_INTEGER), o.chainId, '--chain-id'),
                confirmations: parseFlag(intFlag(1, 1000), o.confirmations, '--confirmations'),
                contracts: o.contracts === undefined ? undefined : parseFlag(contractsFlag, o.contracts, '--contracts'),
                registerAsOperator: (o.registerAsOperator as unknown) === true,
                relayPerArtistPerDay: parseFlag(intFlag(0, 1_000_000), o.relayPerArtistDay, '--relay-per-artist-day'),
                relayPerDay: parseFlag(intFlag(0, 10_000_000), o.relayPerDay, '--relay-per-day'),
              }
            : undefined,
          replication: o.replicate
            ? {
                k: parseFlag(intFlag(1, 64), o.replicate, '--replicate'),
                quotaBytes: parseFlag(intFlag(0, 1 << 30), o.quotaMib, '--quota-mib') * 1024 * 1024,
                intervalMs: parseFlag(intFlag(10, 86_400_000), o.replicateInterval, '--replicate-interval'),
              }
            : undefined,
          dht,
          rewards: {
            auto: (o.autoRewards as unknown) !== false,
            windowBytes: parseFlag(intFlag(1, 1024), o.receiptWindowMib, '--receipt-window-mib') * 1024 * 1024,
            freeRateBytesPerSec: parseFlag(intFlag(0, 1 << 22), o.freeRateKib, '--free-rate-kib') * 1024,
          },
          kuboRpcUrl: o.kuboRpcUrl,
          ipfs: (o.ipfs as unknown) !== false,
        },
        'options',
      )
      mkdirSync(dataDir, { recursive: true, mode: 0o700 })
      const destination = pino.multistream([
        { stream: process.stdout, level },
        { stream: pino.destination({ dest: join(dataDir, LOG_FILE), sync: false }), level },
      ])
      const logger = createLogger({ level, destination })
      const node = await createNode(config, { logger })
      await node.start()
      process.stderr.write(`dcmx node ${node.peerId} listening on ${node.url} (data dir ${dataDir})\n`)
      const dhtAddress = node.routing?.address
      if (dhtAddress) process.stderr.write(`dcmx dht ${node.routing?.publicKey} on udp ${dhtAddress.host}:${dhtAddress.port}\n`)
      const shutdown = (): void => {
        void node.stop().then(() => process.exit(0))
      }
      process.once('SIGINT', shutdown)
      process.once('SIGTERM', shutdown)
    })
}
