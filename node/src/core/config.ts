import { homedir } from 'node:os'
import { join } from 'node:path'

import { z } from 'zod'

import { DEFAULT_CHUNK_SIZE } from './manifest.ts'

export const peerAddressSchema = z
  .string()
  .regex(/^[A-Za-z0-9.\-]+:\d{1,5}$/, 'expected host:port')
  .transform((s) => {
    const i = s.lastIndexOf(':')
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) }
  })
  .refine((a) => a.port > 0 && a.port < 65536, 'port out of range')

/** Node options; defaults follow the seed's Appendix A where it has one. */
export const nodeConfigSchema = z.object({
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Host:port this node announces to peers; defaults to host (127.0.0.1 when host is 0.0.0.0) and the bound port. */
  advertiseHost: z.string().min(1).optional(),
  dataDir: z.string().min(1).default(join(homedir(), '.dcmx')),
  peers: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })).default([]),
  discoveryIntervalMs: z.number().int().min(1).default(5000),
  /** Run gossip rounds on a timer; off = rounds only through GossipService.round() (tests, benches). */
  autoGossip: z.boolean().default(true),
  connectTimeoutMs: z.number().int().min(1).default(10_000),
  maxRetries: z.number().int().min(0).default(3),
  backoffMultiplier: z.number().min(1).default(2),
  /** How often a DISCONNECTED peer is probed again, so partitions heal. */
  disconnectedRetryMs: z.number().int().min(0).default(60_000),
  fanout: z.number().int().min(1).default(3),
  maxPeers: z.number().int().min(1).default(4096),
  /** Signed peer records forwarded per /discover response. */
  gossipPeerSample: z.number().int().min(0).default(32),
  announcementMaxAgeSec: z.number().int().min(10).default(600),
  raceWidth: z.number().int().min(1).default(3),
  chunkSize: z.number().int().min(1024).default(DEFAULT_CHUNK_SIZE),
  maxUploadBytes: z.number().int().min(1).default(512 * 1024 * 1024),
  /** Wallet-signed uploads (POST /tracks without the operator token): bytes and uploads per wallet and in total per
   * 24 h. Off by default (0): a fresh wallet costs nothing, so only an operator who wants public uploads opens them. */
  walletUploadBytesPerDay: z.number().int().min(0).default(0),
  walletUploadTotalBytesPerDay: z.number().int().min(0).default(20 * 1024 * 1024 * 1024),
  walletUploadsPerDay: z.number().int().min(1).default(50),
  walletUploadTotalPerDay: z.number().int().min(1).default(2000),
  bodyLimitBytes: z.number().int().min(1024).default(1024 * 1024),
  requestTimeoutMs: z.number().int().min(0).default(30_000),
  rateLimitMax: z.number().int().min(0).default(1200),
  rateLimitWindowMs: z.number().int().min(1).default(60_000),
  /** Operator token for POST /tracks, /audit and /local/*; generated into the data dir when absent. */
  apiToken: z.string().min(16).optional(),
  logLevel: z.string().default('info'),
  /** Compute a CID for every track and serve /ipfs (off: --no-ipfs; for benchmarks and minimal nodes). */
  ipfs: z.boolean().default(true),
  /** Kubo RPC API (e.g. http://127.0.0.1:5001): when set, every track and blob is pinned there. */
  kuboRpcUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Largest blob (cover art, edition metadata JSON) accepted by POST /ipfs. */
  maxBlobBytes: z.number().int().min(1).default(8 * 1024 * 1024),
  /** DHT content routing (src/mesh/routing/, hyperdht; absent: gossip only). Joins only the given bootstrap nodes. */
  dht: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(0),
      bootstrap: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })).default([]),
      /** A reachable routing node; false = a client behind NAT that only announces and looks up. */
      server: z.boolean().default(true),
      reannounceMs: z.number().int().min(1000).default(10 * 60_000),
      lookupTimeoutMs: z.number().int().min(100).default(10_000),
    })
    .optional(),
  /** k-replication with repair and a disk quota (src/mesh/replication.ts; absent: off). */
  replication: z
    .object({
      k: z.number().int().min(1).default(3),
      /** Bytes of stored content replication never exceeds (0 = unlimited). */
      quotaBytes: z.number().int().min(0).default(0),
      intervalMs: z.number().int().min(10).default(30_000),
      /** A peer not heard from for this long stops counting as a holder (repair starts). */
      deadAfterMs: z.number().int().min(10).default(5 * 60_000),
      /** A track under k holders this long gets one more volunteer down the ranking (a designated node may be full). */
      escalateAfterMs: z.number().int().min(10).default(2 * 60_000),
    })
    .optional(),
  /** The chain (absent: the node runs off chain, as a pure mesh peer). */
  chain: z
    .object({
      rpcUrls: z.array(z.url({ protocol: /^(https?|wss?)$/ })).min(1),
      chainId: z.number().int().positive().optional(),
      confirmations: z.number().int().min(1).max(1000).default(2),
      pollMs: z.number().int().min(50).default(2000),
      /** Contract addresses overriding `@dcmx/deployments` for this chain. */
      contracts: z.record(z.string(), z.string().regex(/^0x[0-9a-fA-F]{40}$/)).optional(),
      fromBlock: z.coerce.bigint().nonnegative().optional(),
      /** Register every track uploaded here on chain with the node itself as the artist (src/chain/registration.ts). */
      registerAsOperator: z.boolean().default(false),
      /** Relayed (gasless) registrations this node pays for per artist, and in all, per 24 h (the operator's own are not counted). */
      relayPerArtistPerDay: z.number().int().min(0).default(20),
      relayPerDay: z.number().int().min(0).default(500),
    })
    .optional(),
  /** Bandwidth receipts, uptime and rewards (only with `chain`); see node/README.md. */
  rewards: z
    .object({
      auto: z.boolean().default(true),
      windowBytes: z.number().int().min(1 << 20).default(8 * 1024 * 1024),
      freeRateBytesPerSec: z.number().int().min(0).default(2 * 1024 * 1024),
      signEveryBytes: z.number().int().min(64 * 1024).default(4 * 1024 * 1024),
      receiptWaitMs: z.number().int().min(100).default(10_000),
      stakeCacheMs: z.number().int().min(0).default(30_000),
      gasBudget: z.number().int().min(200_000).default(5_000_000),
      warnBeforeSec: z.number().int().min(0).default(6 * 3600),
    })
    .prefault({}),
})

export type NodeConfig = z.output<typeof nodeConfigSchema>
export type NodeConfigInput = z.input<typeof nodeConfigSchema>
