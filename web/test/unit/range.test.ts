import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { boundRange, chunkCount, chunkRange, chunkSlices, contentRange, MAX_RANGE_HEADER_LENGTH, parseRange, rangeLength } from '../../lib/stream/range.ts'

const MiB = 1 << 20

describe('parseRange', () => {
  const size = 5 * MiB + 123

  it('asks for the whole resource when there is no Range header', () => {
    assert.deepEqual(parseRange(null, size), { kind: 'whole' })
    assert.deepEqual(parseRange(undefined, size), { kind: 'whole' })
  })

  it('reads a closed range and clamps its end to the last byte', () => {
    assert.deepEqual(parseRange('bytes=10-19', size), { kind: 'partial', range: { start: 10, end: 19 }, openEnded: false })
    assert.deepEqual(parseRange('bytes=0-99999999999999999999', size), { kind: 'partial', range: { start: 0, end: size - 1 }, openEnded: false })
    assert.deepEqual(parseRange(' bytes=5-5 ', size), { kind: 'partial', range: { start: 5, end: 5 }, openEnded: false })
  })

  it('reads an open-ended range as running to the last byte and flags it', () => {
    assert.deepEqual(parseRange('bytes=0-', size), { kind: 'partial', range: { start: 0, end: size - 1 }, openEnded: true })
    assert.deepEqual(parseRange(`bytes=${size - 1}-`, size), { kind: 'partial', range: { start: size - 1, end: size - 1 }, openEnded: true })
  })

  it('reads a suffix range as the last n bytes, the whole resource when n exceeds it', () => {
    assert.deepEqual(parseRange('bytes=-100', size), { kind: 'partial', range: { start: size - 100, end: size - 1 }, openEnded: false })
    assert.deepEqual(parseRange('bytes=-999999999', 1000), { kind: 'partial', range: { start: 0, end: 999 }, openEnded: false })
  })

  it('answers 416 to a range that starts past the end', () => {
    const r = parseRange(`bytes=${size}-`, size)
    assert.equal(r.kind, 'unsatisfiable')
    assert.equal(r.kind === 'unsatisfiable' && r.status, 416)
    assert.match(r.kind === 'unsatisfiable' ? r.reason : '', /past the last byte/)
    assert.equal(parseRange('bytes=99999999999999999999-', size).kind, 'unsatisfiable')
  })

  it('answers 416 to malformed, reversed, empty, zero-suffix and multi-range headers', () => {
    for (const h of ['bytes=', 'bytes=-', 'bytes=abc-', 'bytes=5-4', 'bytes=-0', 'items=0-5', 'bytes=0-1,5-9', 'bytes 0-5', 'bytes=1.5-2', 'bytes=-1-2']) {
      const r = parseRange(h, size)
      assert.equal(r.kind, 'unsatisfiable', h)
    }
    const multi = parseRange('bytes=0-1,5-9', size)
    assert.match(multi.kind === 'unsatisfiable' ? multi.reason : '', /multiple ranges/)
  })

  it('refuses a huge Range header without parsing it', () => {
    const huge = `bytes=${'9'.repeat(1_000_000)}-`
    const t0 = performance.now()
    const r = parseRange(huge, size)
    assert.ok(performance.now() - t0 < 50)
    assert.equal(r.kind, 'unsatisfiable')
    assert.match(r.kind === 'unsatisfiable' ? r.reason : '', new RegExp(`longer than ${MAX_RANGE_HEADER_LENGTH}`))
    const manyRanges = `bytes=${'0-1,'.repeat(100_000)}0-1`
    assert.equal(parseRange(manyRanges, size).kind, 'unsatisfiable')
  })

  it('answers 416 to any range of an empty resource', () => {
    assert.equal(parseRange('bytes=0-', 0).kind, 'unsatisfiable')
    assert.equal(parseRange('bytes=-5', 0).kind, 'unsatisfiable')
    assert.deepEqual(parseRange(null, 0), { kind: 'whole' })
  })
})

describe('boundRange', () => {
  it('bounds an open-ended range to the end of the chunk after the first', () => {
    assert.deepEqual(boundRange({ start: 0, end: 10 * MiB }, { chunkSize: MiB, openEnded: true }), { start: 0, end: 2 * MiB - 1 })
    assert.deepEqual(boundRange({ start: MiB + 5, end: 10 * MiB }, { chunkSize: MiB, openEnded: true }), { start: MiB + 5, end: 3 * MiB - 1 })
  })

  it('keeps an open-ended range that already ends sooner (the end of the file)', () => {
    assert.deepEqual(boundRange({ start: 100, end: 1000 }, { chunkSize: MiB, openEnded: true }), { start: 100, end: 1000 })
  })

  it('sends a closed range as asked, up to the per-response cap', () => {
    assert.deepEqual(boundRange({ start: 0, end: 5 * MiB }, { chunkSize: MiB, openEnded: false }), { start: 0, end: 5 * MiB })
    assert.deepEqual(boundRange({ start: 0, end: 100 * MiB }, { chunkSize: MiB, openEnded: false }), { start: 0, end: 16 * MiB - 1 })
    assert.deepEqual(boundRange({ start: 7, end: 100 }, { chunkSize: MiB, openEnded: false, maxBytes: 10 }), { start: 7, end: 16 })
  })
})

describe('chunk mapping', () => {
  it('maps a range inside one chunk to one slice', () => {
    assert.deepEqual(chunkSlices({ start: 10, end: 19 }, MiB), [{ index: 0, from: 10, to: 20 }])
  })

  it('maps a range across chunk boundaries to each chunk with the covered part', () => {
    assert.deepEqual(chunkSlices({ start: MiB - 2, end: 2 * MiB + 1 }, MiB), [
      { index: 0, from: MiB - 2, to: MiB },
      { index: 1, from: 0, to: MiB },
      { index: 2, from: 0, to: 2 },
    ])
  })

  it('covers exactly the range: slice lengths add up to the range length', () => {
    for (const [start, end] of [[0, 0], [0, MiB - 1], [MiB, MiB], [123, 7 * MiB + 5], [MiB - 1, MiB]] as const) {
      const total = chunkSlices({ start, end }, MiB).reduce((n, s) => n + s.to - s.from, 0)
      assert.equal(total, rangeLength({ start, end }))
    }
  })

  it('gives the last chunk its short length', () => {
    assert.equal(chunkCount(2 * MiB + 1, MiB), 3)
    assert.equal(chunkCount(2 * MiB, MiB), 2)
    assert.equal(chunkCount(0, MiB), 0)
    assert.deepEqual(chunkRange(2, MiB, 2 * MiB + 1), { start: 2 * MiB, end: 2 * MiB })
    assert.deepEqual(chunkRange(1, MiB, 2 * MiB + 1), { start: MiB, end: 2 * MiB - 1 })
  })

  it('formats Content-Range for 206 and 416', () => {
    assert.equal(contentRange({ start: 0, end: 99 }, 1000), 'bytes 0-99/1000')
    assert.equal(contentRange(undefined, 1000), 'bytes */1000')
  })
})
