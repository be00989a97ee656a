/**
 * HTTP byte ranges for the streaming service worker: parse the player's `Range` header, bound open-ended ranges,
 * and map a byte range onto the manifest's fixed-size chunks. Pure functions (no I/O), shared by the worker and
 * its tests.
 */

/** An inclusive byte range `[start, end]` of a resource, as in `Content-Range: bytes start-end/size`. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/** What a `Range` header asks for, against a resource of a known size. */
export type RangeRequest =
  /** No `Range` header: the whole resource (200). */
  | { readonly kind: 'whole' }
  /** One satisfiable range (206); `openEnded` for `bytes=a-` (the server may send less, see `boundRange`). */
  | { readonly kind: 'partial'; readonly range: ByteRange; readonly openEnded: boolean }
  /** Malformed, several ranges, or outside the resource: answer 416 with `Content-Range: bytes * /size`. */
  | { readonly kind: 'unsatisfiable'; readonly status: 416; readonly reason: string }

/** Longest `Range` header looked at; a media element sends ~30 characters. Longer ones are refused, not parsed. */
export const MAX_RANGE_HEADER_LENGTH = 100

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/

/**
 * Parses a single-range `Range: bytes=...` header (RFC 9110 section 14.1.2) for a resource of `size` bytes:
 * `bytes=a-b` (b clamped to the last byte), `bytes=a-` (open-ended) and `bytes=-n` (the last n bytes).
 *
 * Unlike a general-purpose server, which may ignore a Range it does not like and send the whole resource, this
 * one answers 416 to anything but one well-formed range: its only client is the page's media element, and sending
 * a whole track (fetching and verifying every chunk) for a garbled header is the costly choice.
 */
export function parseRange(header: string | null | undefined, size: number): RangeRequest {
  if (header === null || header === undefined) return { kind: 'whole' }
  const unsatisfiable = (reason: string): RangeRequest => ({ kind: 'unsatisfiable', status: 416, reason })
  if (header.length > MAX_RANGE_HEADER_LENGTH) return unsatisfiable(`Range header longer than ${MAX_RANGE_HEADER_LENGTH} characters`)
  const m = SINGLE_RANGE.exec(header.trim())
  if (!m) return unsatisfiable(header.includes(',') ? 'multiple ranges are not supported' : `malformed Range header "${header}"`)
  const [, a = '', b = ''] = m
  if (a === '' && b === '') return unsatisfiable('empty byte range')
  if (a === '') {
    const suffix = Number(b)
    if (suffix === 0) return unsatisfiable('zero-length suffix range')
    if (size === 0) return unsatisfiable('the resource is empty')
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 }, openEnded: false }
  }
  const start = Number(a)
  if (start >= size) return unsatisfiable(`range starts at ${a}, past the last byte (${size - 1})`)
  if (b === '') return { kind: 'partial', range: { start, end: size - 1 }, openEnded: true }
  const end = Number(b)
  if (end < start) return unsatisfiable(`range ends (${b}) before it starts (${a})`)
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) }, openEnded: false }
}

/**
 * Bounds what is sent for an open-ended range (`bytes=a-`, which media elements send first and after every seek)
 * to the end of the chunk after the one holding `start`: at most two chunk fetches before the first byte plays,
 * and a seek costs one new request instead of cancelling a whole-track stream. A closed range is sent as asked
 * (the client chose its size), but never past `maxBytes` so one request can't make the worker hold a whole file.
 */
export function boundRange(
  range: ByteRange,
  opts: { readonly chunkSize: number; readonly openEnded: boolean; readonly maxBytes?: number },
): ByteRange {
  const maxBytes = opts.maxBytes ?? 16 * opts.chunkSize
  let end = range.end
  if (opts.openEnded) end = Math.min(end, (Math.floor(range.start / opts.chunkSize) + 2) * opts.chunkSize - 1)
  return { start: range.start, end: Math.min(end, range.start + maxBytes - 1) }
}

/** One chunk's part of a byte range: chunk `index`, its bytes `[from, to)` (offsets inside the chunk). */
export interface ChunkSlice {
  readonly index: number
  readonly from: number
  readonly to: number
}

/** The chunks a byte range touches, in order, with the part of each that the range covers. */
export function chunkSlices(range: ByteRange, chunkSize: number): ChunkSlice[] {
  const slices: ChunkSlice[] = []
  const first = Math.floor(range.start / chunkSize)
  const last = Math.floor(range.end / chunkSize)
  for (let index = first; index <= last; index++) {
    const base = index * chunkSize
    slices.push({
      index,
      from: Math.max(range.start, base) - base,
      to: Math.min(range.end, base + chunkSize - 1) - base + 1,
    })
  }
  return slices
}

/** The byte range of chunk `index` in a resource of `size` bytes (the last chunk may be shorter). */
export function chunkRange(index: number, chunkSize: number, size: number): ByteRange {
  const start = index * chunkSize
  return { start, end: Math.min(start + chunkSize, size) - 1 }
}

/** Number of chunks of a resource of `size` bytes. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize)
}

/** The `Content-Range` value of a 206 (`bytes a-b/size`) or, without a range, of a 416 (`bytes * /size`). */
export function contentRange(range: ByteRange | undefined, size: number): string {
  return range ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`
}

/** Length in bytes of an inclusive range. */
export function rangeLength(range: ByteRange): number {
  return range.end - range.start + 1
}
