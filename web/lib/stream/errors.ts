/**
 * Errors of verified streaming. One base class (`StreamError`: `shortMessage`, `details`, `cause`, and a `code`
 * the service worker puts in its events), named subclasses for each way a track or a node can be refused.
 */
export type StreamErrorCode =
  | 'not-registered'
  | 'chain'
  | 'manifest'
  | 'chunk'
  | 'node'
  | 'no-holder'
  | 'aborted'

export class StreamError extends Error {
  override name = 'StreamError'
  readonly code: StreamErrorCode
  readonly shortMessage: string
  readonly details: string | undefined

  constructor(code: StreamErrorCode, shortMessage: string, opts: { details?: string; cause?: unknown } = {}) {
    super(opts.details ? `${shortMessage}: ${opts.details}` : shortMessage, { cause: opts.cause })
    this.code = code
    this.shortMessage = shortMessage
    this.details = opts.details
  }
}

/** The TrackRegistry has no entry for the hash: there is no anchor to verify against, so nothing plays. */
export class TrackNotRegisteredError extends StreamError {
  override name = 'TrackNotRegisteredError'
  readonly contentHash: string
  constructor(contentHash: string, opts: { cause?: unknown } = {}) {
    super('not-registered', `Track ${contentHash.slice(0, 10)}… is not registered on chain, so it cannot be verified or played`, opts)
    this.contentHash = contentHash
  }
}

/** The chain could not be read (RPC down, wrong registry address): verification has no anchor. */
export class ChainReadError extends StreamError {
  override name = 'ChainReadError'
  constructor(details: string, opts: { cause?: unknown } = {}) {
    super('chain', 'Could not read the track from the chain', { details, ...opts })
  }
}

/** A manifest that fails its schema, its own root, or the root the chain stores. */
export class ManifestMismatchError extends StreamError {
  override name = 'ManifestMismatchError'
  constructor(details: string, opts: { cause?: unknown } = {}) {
    super('manifest', 'The manifest does not match the on-chain record', { details, ...opts })
  }
}

/** Chunk bytes whose length or SHA-256 differ from the verified manifest. */
export class ChunkVerificationError extends StreamError {
  override name = 'ChunkVerificationError'
  readonly index: number
  constructor(index: number, details: string) {
    super('chunk', `Chunk ${index} failed verification`, { details })
    this.index = index
  }
}

/** A node that refused, failed or answered something unusable (wrong status, headers, length). */
export class NodeRequestError extends StreamError {
  override name = 'NodeRequestError'
  readonly node: string
  constructor(node: string, details: string, opts: { cause?: unknown } = {}) {
    super('node', `Node ${node} failed`, { details, ...opts })
    this.node = node
  }
}

/** Every holder was tried (or marked bad) and none served verifiable bytes. */
export class NoHolderError extends StreamError {
  override name = 'NoHolderError'
  readonly contentHash: string
  constructor(contentHash: string, details: string) {
    super('no-holder', `No node served verifiable data for track ${contentHash.slice(0, 10)}…`, { details })
    this.contentHash = contentHash
  }
}
