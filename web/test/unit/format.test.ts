import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import {
  formatBps,
  formatBytes,
  formatCountdown,
  formatCountdownFrom,
  formatDcmx,
  formatDuration,
  formatEditionNumber,
  formatEth,
  formatUnitsFixed,
  formatUnitsTrim,
  shortAddress,
  weiFromDecimal,
} from '../../lib/format.ts'

const ETH = 10n ** 18n

describe('token amounts', () => {
  it('formats wei with fixed decimals, rounding half away from zero, grouping thousands', () => {
    assert.equal(formatUnitsFixed(1_234_567_890_000_000_000_000n, 18, 2), '1,234.57')
    assert.equal(formatUnitsFixed(0n, 18, 4), '0.0000')
    assert.equal(formatUnitsFixed(5n * 10n ** 13n, 18, 4), '0.0001')
    assert.equal(formatUnitsFixed(4n * 10n ** 13n, 18, 4), '0.0000')
    assert.equal(formatUnitsFixed(-15n * 10n ** 17n, 18, 0), '-2')
    assert.equal(formatUnitsFixed(123n, 0, 2), '123.00')
  })

  it('keeps every digit of amounts far beyond 2^53 (no float)', () => {
    const big = 123_456_789_012_345_678_901_234_567_890n
    assert.equal(formatUnitsFixed(big, 18, 18), '123,456,789,012.345678901234567890')
    assert.equal(formatUnitsFixed(2n ** 256n - 1n, 18, 0).replace(/,/g, '').length, 60)
  })

  it('trims trailing zeros and shows tiny non-zero amounts as below the last digit', () => {
    assert.equal(formatUnitsTrim(5n * 10n ** 16n), '0.05')
    assert.equal(formatUnitsTrim(ETH), '1')
    assert.equal(formatUnitsTrim(1n), '<0.0001')
    assert.equal(formatUnitsTrim(ETH, 18, 4, 2), '1.00')
  })

  it('names the token', () => {
    assert.equal(formatEth(5n * 10n ** 16n), '0.05 ETH')
    assert.equal(formatDcmx(1_250_500n * 10n ** 15n), '1,250.5 DCMX')
  })

  it('reads the node API\'s decimal wei strings and nothing else', () => {
    assert.equal(weiFromDecimal('1000000000000000000000000000000'), 10n ** 30n)
    assert.throws(() => weiFromDecimal('1e18'), TypeError)
    assert.throws(() => weiFromDecimal('-1'), TypeError)
  })
})

describe('other formats', () => {
  it('shortens addresses and leaves anything else alone', () => {
    assert.equal(shortAddress('0x1234567890abcdef1234567890abcdef12345678'), '0x1234…5678')
    assert.equal(shortAddress('0x1234567890abcdef1234567890abcdef12345678', 6), '0x123456…345678')
    assert.equal(shortAddress('bob.eth'), 'bob.eth')
  })

  it('formats track durations', () => {
    assert.equal(formatDuration(0), '0:00')
    assert.equal(formatDuration(187.9), '3:07')
    assert.equal(formatDuration(3723), '1:02:03')
    assert.equal(formatDuration(Number.NaN), '–:––')
  })

  it('formats byte sizes in binary units', () => {
    assert.equal(formatBytes(0), '0 B')
    assert.equal(formatBytes(1023), '1023 B')
    assert.equal(formatBytes(1024), '1.0 KiB')
    assert.equal(formatBytes(1536 * 1024), '1.5 MiB')
    assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB')
    assert.equal(formatBytes(5n * 1024n ** 4n), '5.0 TiB')
    assert.equal(formatBytes(2048n * 1024n ** 4n), '2048.0 TiB')
  })

  it('formats countdowns with two units at most, relative to now', () => {
    assert.equal(formatCountdown(5), '5s')
    assert.equal(formatCountdown(245), '4m 5s')
    assert.equal(formatCountdown(3 * 3600 + 240), '3h 4m')
    assert.equal(formatCountdown(2 * 86400 + 3 * 3600 + 59), '2d 3h')
    assert.equal(formatCountdown(86400), '1d')
    assert.equal(formatCountdown(-5), '0s')
    assert.equal(formatCountdownFrom(1_000_300, 1_000_000), 'in 5m')
    assert.equal(formatCountdownFrom(1_000_000, 1_000_090), '1m 30s ago')
    assert.equal(formatCountdownFrom(1_000_000, 1_000_000.2), 'now')
  })

  it('formats edition numbers and royalties', () => {
    assert.equal(formatEditionNumber(3, 100), '#3 of 100')
    assert.equal(formatEditionNumber(1n, 10n), '#1 of 10')
    assert.equal(formatBps(500), '5%')
    assert.equal(formatBps(250), '2.5%')
    assert.equal(formatBps(1), '0.01%')
  })
})
