import { Counter, Gauge, Histogram, Registry } from 'prom-client'

const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000]

export interface MetricsSources {
  startedAt: () => number
  peersConnected: () => number
  tracksAvailable: () => number
}

/** The seed's metrics (section 17.2) plus HTTP request counts; one registry per node. */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly downloadedBytes: Counter
  readonly uploadedBytes: Counter
  readonly peerDiscoveryLatency: Histogram
  readonly contentRetrievalLatency: Histogram
  readonly httpRequests: Counter<'method' | 'route' | 'status'>
  readonly gossipRounds: Counter
  readonly peerPenalties: Counter
  /** Bytes of POST /discover bodies at the callee: `in` = requests received, `out` = answers sent (issue 10). */
  readonly gossipBytes: Counter<'direction'>

  constructor(sources: MetricsSources) {
    const registers = [this.registry]
    new Gauge({
      name: 'node_uptime_seconds',
      help: 'Seconds since the node started',
      registers,
      collect() {
        this.set((Date.now() - sources.startedAt()) / 1000)
      },
    })
    new Gauge({
      name: 'peers_connected_count',
      help: 'Peers in state CONNECTED or ACTIVE',
      registers,
      collect() {
        this.set(sources.peersConnected())
      },
    })
    new Gauge({
      name: 'tracks_available_total',
      help: 'Tracks stored on this node',
      registers,
      collect() {
        this.set(sources.tracksAvailable())
      },
    })
    this.downloadedBytes = new Counter({ name: 'content_downloaded_bytes', help: 'Verified bytes fetched from peers', registers })
    this.uploadedBytes = new Counter({ name: 'content_uploaded_bytes', help: 'Content bytes served to clients and peers', registers })
    this.peerDiscoveryLatency = new Histogram({
      name: 'peer_discovery_latency_ms',
      help: 'Round-trip time of POST /discover exchanges',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    })
    this.contentRetrievalLatency = new Histogram({
      name: 'content_retrieval_latency_ms',
      help: 'Time to fetch and verify content from peers',
      buckets: LATENCY_BUCKETS_MS,
      registers,
    })
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
    this.gossipRounds = new Counter({ name: 'gossip_rounds_total', help: 'Gossip rounds run', registers })
    this.peerPenalties = new Counter({ name: 'peer_penalties_total', help: 'Peers penalized for serving bad bytes', registers })
    this.gossipBytes = new Counter({
      name: 'dcmx_gossip_bytes_total',
      help: 'Bytes of POST /discover bodies handled as callee (in: requests, out: answers); each exchange counts once',
      labelNames: ['direction'],
      registers,
    })
  }
}
