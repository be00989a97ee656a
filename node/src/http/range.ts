import { RangeNotSatisfiableError } from '../core/errors.ts'

/**
 * Parses a single-range `Range: bytes=...` header (RFC 9110). Returns undefined to serve the
 * whole resource (no header, another unit, or several ranges: all allowed to be ignored);
 * throws RangeNotSatisfiableError for a syntactically valid range outside the resource.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m) return undefined
  const [, a, b] = m
  if (a === '' && b === '') return undefined
  let start: number
  let end: number
  if (a === '') {
    const suffix = Number(b)
    if (suffix === 0 || size === 0) throw new RangeNotSatisfiableError(header, size)
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(a)
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
    if (b !== '' && Number(b) < start) return undefined
    if (start >= size) throw new RangeNotSatisfiableError(header, size)
  }
  return { start, end }
}
