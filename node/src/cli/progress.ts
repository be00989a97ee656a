function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

function fmtEta(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--'
  const s = Math.round(sec)
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

/** A one-line progress bar on stderr: bytes, rate, ETA. Quiet when stderr is not a TTY. */
export class ProgressBar {
  #total: number
  #done = 0
  #t0 = performance.now()
  #last = 0
  #out: NodeJS.WriteStream
  #tty: boolean

  constructor(total: number, out: NodeJS.WriteStream = process.stderr) {
    this.#total = total
    this.#out = out
    this.#tty = Boolean(out.isTTY)
  }

  tick(n: number): void {
    this.#done += n
    const now = performance.now()
    if (now - this.#last > 100 || this.#done >= this.#total) {
      this.#last = now
      if (this.#tty) this.#out.write(`\r${this.line()}`)
    }
  }

  line(): string {
    const sec = (performance.now() - this.#t0) / 1000
    const rate = this.#done / Math.max(sec, 1e-3)
    const pct = this.#total > 0 ? this.#done / this.#total : 1
    const width = 24
    const filled = Math.round(pct * width)
    const eta = rate > 0 ? (this.#total - this.#done) / rate : Number.POSITIVE_INFINITY
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(pct * 100).toFixed(0).padStart(3)}% ${fmtBytes(this.#done)}/${fmtBytes(this.#total)} ${fmtBytes(rate)}/s ETA ${fmtEta(eta)}`
  }

  finish(): void {
    this.#out.write(`${this.#tty ? '\r' : ''}${this.line()}\n`)
  }
}

export { fmtBytes }
