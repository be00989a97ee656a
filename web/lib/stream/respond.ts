/**
 * The service worker's answer to `GET /stream/<hash>`: a 200 or 206 Response whose body is verified chunk slices
 * from a StreamSource, or a 4xx/5xx saying why not. Plain Request/Response, so it runs (and is tested) in Node too.
 */
import { StreamError } from './errors.ts'
import { boundRange, contentRange, parseRange, rangeLength } from './range.ts'
import type { ByteRange } from './range.ts'
import type { StreamSource, VerifiedSlice } from './source.ts'

/** Same-origin path the player's `<audio src>` points at. */
export const STREAM_PATH = /^\/stream\/([0-9a-f]{64})$/

/** The content hash of a same-origin `/stream/<64 hex>` URL, or undefined for any other request. */
export function streamHashOf(url: string, origin: string): string | undefined {
  const u = new URL(url)
  if (u.origin !== origin) return undefined
  return STREAM_PATH.exec(u.pathname)?.[1]
}

/**
 * Headers every stream response carries. The bytes are whatever an artist registered, served from the app's own
 * origin: never let them be read as a page or a script (nosniff, a sandboxing CSP, audio/* or octet-stream only).
 */
function baseHeaders(): Headers {
  return new Headers({
    'accept-ranges': 'bytes',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cross-origin-resource-policy': 'same-origin',
  })
}

function textResponse(status: number, message: string, extra: Record<string, string> = {}): Response {
  const headers = baseHeaders()
  headers.set('content-type', 'text/plain; charset=utf-8')
  for (const [k, v] of Object.entries(extra)) headers.set(k, v)
  return new Response(message, { status, headers })
}

/** The HTTP status for a failure to resolve or read a track. */
export function statusOf(err: unknown): number {
  if (err instanceof StreamError) {
    if (err.code === 'not-registered') return 404
    if (err.code === 'aborted') return 499
  }
  return 502
}

/**
 * Answers a GET or HEAD for track `hash`: 200 (no Range: the whole track, streamed chunk by chunk as the player
 * reads), 206 (one range; open-ended ranges bounded by `boundRange`), 416 (`Content-Range: bytes * /size`), 404 (not
 * registered on chain), 405, or 502 (no node served verifiable bytes). The first chunk is verified before the
 * response starts, so a track nobody serves honestly fails with a status instead of a broken stream.
 */
export async function streamResponse(source: StreamSource, hash: string, request: Pick<Request, 'method' | 'headers'>, signal?: AbortSignal): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed', { allow: 'GET, HEAD' })
  let track
  try {
    track = await source.track(hash, signal)
  } catch (err) {
    return textResponse(statusOf(err), err instanceof Error ? err.message : String(err))
  }
  const size = track.manifest.size
  const parsed = parseRange(request.headers.get('range'), size)
  if (parsed.kind === 'unsatisfiable') return textResponse(416, parsed.reason, { 'content-range': contentRange(undefined, size) })
  const range: ByteRange | undefined =
    parsed.kind === 'whole' ? (size > 0 ? { start: 0, end: size - 1 } : undefined) : boundRange(parsed.range, { chunkSize: track.manifest.chunkSize, openEnded: parsed.openEnded })
  const headers = baseHeaders()
  headers.set('content-type', track.mediaType)
  headers.set('content-length', String(range ? rangeLength(range) : 0))
  const status = parsed.kind === 'partial' ? 206 : 200
  if (parsed.kind === 'partial') headers.set('content-range', contentRange(range, size))
  if (request.method === 'HEAD' || !range) return new Response(null, { status, headers })

  const slices = source.read(track, range, signal)
  let first: IteratorResult<VerifiedSlice>
  try {
    first = await slices.next()
  } catch (err) {
    return textResponse(statusOf(err), err instanceof Error ? err.message : String(err))
  }
  let pending: IteratorResult<VerifiedSlice> | undefined = first
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = pending ?? (await slices.next())
        pending = undefined
        if (r.done) controller.close()
        else controller.enqueue(r.value.bytes)
      } catch (err) {
        controller.error(err)
      }
    },
    async cancel() {
      await slices.return(undefined)
    },
  })
  return new Response(body, { status, headers })
}
