/**
 * Formatting for people: token amounts from wei (fixed decimals, bigint only: no float ever touches an amount),
 * addresses, durations, byte sizes, countdowns, edition numbers. Pure functions; locale-neutral (`,` thousands
 * separator, `.` decimal point) so server and client render the same text.
 */

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/**
 * `value` (in the token's smallest unit) with exactly `fractionDigits` decimals, rounded half away from zero,
 * thousands grouped: `formatUnitsFixed(1234567890000000000000n, 18, 2)` -> `1,234.57`.
 */
export function formatUnitsFixed(value: bigint, decimals = 18, fractionDigits = 4): string {
  if (!Number.isInteger(decimals) || decimals < 0 || !Number.isInteger(fractionDigits) || fractionDigits < 0) throw new RangeError('decimals and fractionDigits must be non-negative integers')
  const negative = value < 0n
  let abs = negative ? -value : value
  if (fractionDigits < decimals) {
    const drop = 10n ** BigInt(decimals - fractionDigits)
    abs = (abs + drop / 2n) / drop
  } else {
    abs *= 10n ** BigInt(fractionDigits - decimals)
  }
  const s = abs.toString().padStart(fractionDigits + 1, '0')
  const whole = groupThousands(s.slice(0, s.length - fractionDigits))
  const frac = fractionDigits > 0 ? `.${s.slice(s.length - fractionDigits)}` : ''
  return `${negative && abs !== 0n ? '-' : ''}${whole}${frac}`
}

/**
 * Like `formatUnitsFixed` but drops trailing zeros (keeping at least `minDigits`): prices read `0.05`, not
 * `0.0500`. A non-zero amount too small to show reads `<0.0001`.
 */
export function formatUnitsTrim(value: bigint, decimals = 18, maxDigits = 4, minDigits = 0): string {
  const fixed = formatUnitsFixed(value, decimals, maxDigits)
  if (value !== 0n && /^-?0(\.0*)?$/.test(fixed)) return `${value < 0n ? '>-' : '<'}0.${'0'.repeat(Math.max(0, maxDigits - 1))}1`
  if (!fixed.includes('.')) return fixed
  const [whole, frac = ''] = fixed.split('.') as [string, string]
  let f = frac.replace(/0+$/, '')
  if (f.length < minDigits) f = f.padEnd(minDigits, '0')
  return f ? `${whole}.${f}` : whole
}

/** ETH from wei: `0.05 ETH`. */
export function formatEth(wei: bigint, maxDigits = 4): string {
  return `${formatUnitsTrim(wei, 18, maxDigits)} ETH`
}

/** DCMX (18 decimals) from its smallest unit: `1,250.5 DCMX`. */
export function formatDcmx(amount: bigint, maxDigits = 2): string {
  return `${formatUnitsTrim(amount, 18, maxDigits)} DCMX`
}

/** A wei amount from the node API (a decimal string) as a bigint; throws on anything else. */
export function weiFromDecimal(text: string): bigint {
  if (!/^[0-9]{1,78}$/.test(text)) throw new TypeError(`expected a decimal amount, got "${text.slice(0, 80)}"`)
  return BigInt(text)
}

/** `0x1234…abcd` (first `chars` and last `chars` hex digits). Anything that is not an address is returned as is. */
export function shortAddress(address: string, chars = 4): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return address
  return `${address.slice(0, 2 + chars)}…${address.slice(-chars)}`
}

/** A track length: `3:07`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–:––'
  const s = Math.floor(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

/** A byte size in binary units with one decimal above bytes: `512 B`, `1.5 MiB`. Accepts bigint for totals. */
export function formatBytes(bytes: number | bigint): string {
  const n = typeof bytes === 'bigint' ? bytes : BigInt(Math.max(0, Math.floor(bytes)))
  if (n < 1024n) return `${n} B`
  let unit = 0
  let div = 1n
  while (unit < BYTE_UNITS.length - 1 && n >= div * 1024n) {
    div *= 1024n
    unit++
  }
  // Tenths of the unit, in integers so large totals stay exact; 1023.96 KiB rounds to the next unit.
  let tenths = (n * 10n + div / 2n) / div
  if (tenths >= 10240n && unit < BYTE_UNITS.length - 1) {
    div *= 1024n
    unit++
    tenths = (n * 10n + div / 2n) / div
  }
  return `${tenths / 10n}.${tenths % 10n} ${BYTE_UNITS[unit]}`
}

/** A span of time, two units at most: `2d 3h`, `3h 4m`, `4m 5s`, `5s`. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`
  if (m > 0) return sec > 0 ? `${m}m ${sec}s` : `${m}m`
  return `${sec}s`
}

/** A moment relative to `now` (both unix seconds): `in 2d 3h`, `5m ago`, `now` (within a second). */
export function formatCountdownFrom(target: number, now: number = Date.now() / 1000): string {
  const delta = Math.round(target - now)
  if (delta === 0) return 'now'
  return delta > 0 ? `in ${formatCountdown(delta)}` : `${formatCountdown(-delta)} ago`
}

/** An edition serial: `#3 of 100`. */
export function formatEditionNumber(serial: number | bigint, maxSupply: number | bigint): string {
  return `#${serial} of ${maxSupply}`
}

/** Basis points as a percentage: `500` -> `5%`, `250` -> `2.5%`, `1` -> `0.01%`. */
export function formatBps(bps: number | bigint): string {
  return `${formatUnitsTrim(BigInt(bps), 2, 2)}%`
}
