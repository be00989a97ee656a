// Ambient types for the DHT packages that ship none (only what src/mesh/routing and bench/dht-compare.ts use).

declare module 'hyperdht' {
  import type { Readable } from 'node:stream'

  export interface KeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }
  export interface LookupReply {
    from: { host: string; port: number }
    to: { host: string; port: number }
    peers: Array<{ publicKey: Buffer; relayAddresses: Array<{ host: string; port: number }> }>
  }
  export interface Query extends Readable, AsyncIterable<LookupReply> {
    finished(): Promise<void>
  }
  export default class HyperDHT {
    static keyPair(seed?: Buffer): KeyPair
    constructor(opts: {
      bootstrap: Array<string | { host: string; port: number }>
      host?: string
      port?: number
      ephemeral?: boolean
      firewalled?: boolean
      keyPair?: KeyPair
    })
    fullyBootstrapped(): Promise<void>
    address(): { host: string; port: number }
    announce(target: Buffer, keyPair: KeyPair, relayAddresses?: Array<{ host: string; port: number }>): Query
    lookup(target: Buffer): Query
    toArray(): unknown[]
    refresh(): void
    destroy(): Promise<void>
  }
}

declare module 'bittorrent-dht' {
  const DHT: new (opts: object) => any
  export default DHT
}
