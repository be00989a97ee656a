/**
 * One base error for the package. `shortMessage` is safe to show to a peer or a user;
 * `details` carries the specifics; `cause` keeps the original error.
 */
export class DcmxError extends Error {
  override name = 'DcmxError'
  readonly shortMessage: string
  readonly details: string | undefined

  constructor(shortMessage: string, opts: { details?: string; cause?: unknown } = {}) {
    super(opts.details ? `${shortMessage}\n\nDetails: ${opts.details}` : shortMessage, { cause: opts.cause })
    this.shortMessage = shortMessage
    this.details = opts.details
  }
}

export class ValidationError extends DcmxError {
  override name = 'ValidationError'
}

/** This node could not write to its own disk (full, failing): its own fault, never a peer's. */
export class LocalStorageError extends DcmxError {
  override name = 'LocalStorageError'
}

export class InvalidContentHashError extends DcmxError {
  override name = 'InvalidContentHashError'
  constructor(value: string) {
    super('Invalid content hash: expected 64 lowercase hex characters', { details: JSON.stringify(value.slice(0, 100)) })
  }
}

export class ContentNotFoundError extends DcmxError {
  override name = 'ContentNotFoundError'
  constructor(hash: string) {
    super(`Content ${hash} is not stored on this node`)
  }
}

export class ContentUnavailableError extends DcmxError {
  override name = 'ContentUnavailableError'
  constructor(hash: string, details?: string) {
    super(`Content ${hash} could not be fetched from any known peer`, { details })
  }
}

export class RangeNotSatisfiableError extends DcmxError {
  override name = 'RangeNotSatisfiableError'
  readonly size: number
  constructor(range: string, size: number) {
    super('Range not satisfiable', { details: `${range} for a ${size}-byte resource` })
    this.size = size
  }
}

export class UnauthorizedError extends DcmxError {
  override name = 'UnauthorizedError'
}

export class ForbiddenError extends DcmxError {
  override name = 'ForbiddenError'
}

export class PayloadTooLargeError extends DcmxError {
  override name = 'PayloadTooLargeError'
  constructor(limit: number) {
    super(`Body exceeds the ${limit}-byte limit`)
  }
}

/** A budget (bytes per wallet per day, ...) is used up; retry later. */
export class QuotaExceededError extends DcmxError {
  override name = 'QuotaExceededError'
}

export class HashMismatchError extends DcmxError {
  override name = 'HashMismatchError'
  constructor(expected: string, actual: string) {
    super('Content does not match its hash', { details: `expected ${expected}, got ${actual}` })
  }
}

/** A peer sent bytes that do not match the manifest: the peer is lying or broken. */
export class ChunkVerificationError extends DcmxError {
  override name = 'ChunkVerificationError'
  readonly index: number
  constructor(index: number, details?: string) {
    super(`Chunk ${index} failed verification`, { details })
    this.index = index
  }
}

export class InvalidManifestError extends DcmxError {
  override name = 'InvalidManifestError'
}

export class InvalidAnnouncementError extends DcmxError {
  override name = 'InvalidAnnouncementError'
}

export class PeerRequestError extends DcmxError {
  override name = 'PeerRequestError'
}

export class PeerTableFullError extends DcmxError {
  override name = 'PeerTableFullError'
  constructor(max: number) {
    super(`Peer table is full (${max} peers)`)
  }
}

export class InvalidCidError extends DcmxError {
  override name = 'InvalidCidError'
  constructor(value: string) {
    super('Invalid CID', { details: JSON.stringify(value.slice(0, 120)) })
  }
}

/** The request names no response type this node serves (trustless gateway: raw blocks and CARs). */
export class NotAcceptableError extends DcmxError {
  override name = 'NotAcceptableError'
}

/** `Cache-Control: only-if-cached` and the block is not here. */
export class NotCachedError extends DcmxError {
  override name = 'NotCachedError'
}
