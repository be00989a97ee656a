import {
  ContentNotFoundError,
  ContentUnavailableError,
  DcmxError,
  ForbiddenError,
  HashMismatchError,
  InvalidAnnouncementError,
  InvalidCidError,
  InvalidContentHashError,
  InvalidManifestError,
  NotAcceptableError,
  NotCachedError,
  PayloadTooLargeError,
  PeerRequestError,
  PeerTableFullError,
  QuotaExceededError,
  RangeNotSatisfiableError,
  UnauthorizedError,
  ValidationError,
} from '../core/errors.ts'

/** The one place errors become HTTP statuses. */
export function statusOf(err: unknown): number {
  if (err instanceof ValidationError || err instanceof InvalidContentHashError || err instanceof InvalidManifestError) return 400
  if (err instanceof HashMismatchError || err instanceof InvalidCidError) return 400
  if (err instanceof UnauthorizedError || err instanceof InvalidAnnouncementError) return 401
  if (err instanceof ForbiddenError) return 403
  if (err instanceof ContentNotFoundError || err instanceof ContentUnavailableError) return 404
  if (err instanceof NotAcceptableError) return 406
  if (err instanceof NotCachedError) return 412
  if (err instanceof PayloadTooLargeError) return 413
  if (err instanceof RangeNotSatisfiableError) return 416
  if (err instanceof QuotaExceededError) return 429
  if (err instanceof PeerRequestError) return 502
  if (err instanceof PeerTableFullError) return 503
  if (err instanceof DcmxError) return 500
  // Fastify's own errors (body too large, bad JSON, rate limit, timeouts) carry a 4xx statusCode.
  const code = (err as { statusCode?: unknown }).statusCode
  if (typeof code === 'number' && code >= 400 && code < 600) return code
  return 500
}
