/**
 * A virtual clock for discrete-event simulation: while installed, the global timers (setTimeout, setInterval,
 * setImmediate and their clear*), Date.now and performance.now run on simulated time kept in ONE binary heap
 * (timers and in-flight packets alike). `run(untilMs)` fires due events in time order; after each distinct
 * instant it yields to the real event loop once, so promise continuations (microtasks) of a callback run before
 * the clock moves on. Simulated time does not depend on the CPU: a busy machine makes a run slower, not its
 * figures different.
 */

type Callback = (...args: unknown[]) => void

/** What Node's Timeout offers that the routing libraries use (unref, ref, refresh, hasRef). */
export class VirtualTimer {
  at: number
  seq: number
  cancelled = false
  /** The entry that replaced this one after refresh(). */
  next: VirtualTimer | undefined
  readonly #clock: VirtualClock
  readonly cb: Callback
  readonly args: unknown[]
  readonly interval: number | undefined
  readonly delay: number

  constructor(clock: VirtualClock, cb: Callback, delay: number, args: unknown[], interval: boolean) {
    this.#clock = clock
    this.cb = cb
    this.args = args
    this.delay = delay
    this.interval = interval ? Math.max(1, delay) : undefined
    this.at = clock.now + delay
    this.seq = 0
  }

  unref(): this {
    return this
  }

  ref(): this {
    return this
  }

  hasRef(): boolean {
    return true
  }

  refresh(): this {
    this.#clock.reschedule(this, this.#clock.now + this.delay)
    return this
  }

  close(): this {
    this.cancelled = true
    return this
  }

  [Symbol.toPrimitive](): number {
    return this.seq
  }
}

interface Saved {
  setTimeout: typeof globalThis.setTimeout
  setInterval: typeof globalThis.setInterval
  setImmediate: typeof globalThis.setImmediate
  clearTimeout: typeof globalThis.clearTimeout
  clearInterval: typeof globalThis.clearInterval
  clearImmediate: typeof globalThis.clearImmediate
  dateNow: typeof Date.now
  perfNow: typeof performance.now
}

export class VirtualClock {
  /** Simulated milliseconds since the clock was created (Date.now() = epoch + floor(now)). */
  now = 0
  /** Events fired so far (timers and packets). */
  fired = 0
  readonly epoch: number
  #heap: VirtualTimer[] = []
  #seq = 0
  #saved: Saved | undefined
  #realImmediate = globalThis.setImmediate

  constructor(epoch = Date.UTC(2026, 0, 1)) {
    this.epoch = epoch
  }

  get pending(): number {
    return this.#heap.length
  }

  /** Schedules `cb` `delay` ms from now (the packet path uses this directly). */
  schedule(cb: Callback, delay: number, args: unknown[] = [], interval = false): VirtualTimer {
    const t = new VirtualTimer(this, cb, Math.max(0, Number.isFinite(delay) ? delay : 0), args, interval)
    this.#push(t)
    return t
  }

  /** Re-arms a timer `delay` from now (Node's Timeout.refresh): the old heap entry is cancelled lazily. */
  reschedule(t: VirtualTimer, at: number): void {
    let last = t
    while (last.next) last = last.next
    last.cancelled = true
    const n = new VirtualTimer(this, t.cb, t.delay, t.args, t.interval !== undefined)
    n.at = at
    this.#push(n)
    last.next = n
  }

  cancel(t: unknown): void {
    let cur = t instanceof VirtualTimer ? t : undefined
    while (cur) {
      cur.cancelled = true
      cur = cur.next
    }
  }

  /** Replaces the global timers and clocks with this one (see `uninstall`). */
  install(): this {
    if (this.#saved) return this
    const g = globalThis as unknown as Record<string, unknown>
    this.#saved = {
      setTimeout: globalThis.setTimeout,
      setInterval: globalThis.setInterval,
      setImmediate: globalThis.setImmediate,
      clearTimeout: globalThis.clearTimeout,
      clearInterval: globalThis.clearInterval,
      clearImmediate: globalThis.clearImmediate,
      dateNow: Date.now,
      perfNow: performance.now,
    }
    this.#realImmediate = this.#saved.setImmediate
    // As Node does: a delay below 1 ms (or not a number) is 1 ms, so a timer that re-arms itself at 0 moves time on
    // instead of firing forever at one instant.
    const delay = (ms: number | undefined): number => (typeof ms === 'number' && ms >= 1 ? ms : 1)
    g.setTimeout = (cb: Callback, ms?: number, ...args: unknown[]) => this.schedule(cb, delay(ms), args)
    g.setInterval = (cb: Callback, ms?: number, ...args: unknown[]) => this.schedule(cb, delay(ms), args, true)
    g.setImmediate = (cb: Callback, ...args: unknown[]) => this.schedule(cb, 0, args)
    g.clearTimeout = g.clearInterval = g.clearImmediate = (t: unknown) => this.cancel(t)
    Date.now = () => this.epoch + Math.floor(this.now)
    performance.now = () => this.now
    return this
  }

  uninstall(): void {
    const s = this.#saved
    if (!s) return
    Object.assign(globalThis, {
      setTimeout: s.setTimeout,
      setInterval: s.setInterval,
      setImmediate: s.setImmediate,
      clearTimeout: s.clearTimeout,
      clearInterval: s.clearInterval,
      clearImmediate: s.clearImmediate,
    })
    Date.now = s.dateNow
    performance.now = s.perfNow
    this.#saved = undefined
  }

  /** A promise resolved after `ms` of simulated time (for the scenario's own sequencing). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(() => resolve(), ms))
  }

  #yield(): Promise<void> {
    return new Promise((resolve) => this.#realImmediate(resolve))
  }

  /** Fires every event due up to `until` (absolute simulated ms), in time order. */
  async runUntil(until: number): Promise<void> {
    const heap = this.#heap
    while (heap.length > 0 && heap[0].at <= until) {
      this.#fireNext()
      await this.#yield()
    }
    if (until > this.now) this.now = until
  }

  /** Runs the clock until `p` settles (or `maxMs` of simulated time pass: then rejects). */
  async until<T>(p: Promise<T>, maxMs = 3_600_000): Promise<T> {
    let done = false
    let value: T | undefined
    let error: unknown
    let failed = false
    p.then(
      (v) => {
        done = true
        value = v
      },
      (e: unknown) => {
        done = true
        failed = true
        error = e
      },
    )
    await this.#yield()
    const limit = this.now + maxMs
    while (!done) {
      const heap = this.#heap
      if (heap.length === 0 || heap[0].at > limit) throw new Error(`simulation stalled: nothing settles within ${maxMs} ms of simulated time`)
      this.#fireNext()
      await this.#yield()
    }
    if (failed) throw error
    return value as T
  }

  /**
   * Fires the live events at the earliest pending instant that were scheduled before this call. An event scheduled
   * for the same instant while they fire (setImmediate, a 0 ms timer) waits for the next call, after the caller
   * yielded, so promise continuations run first, as in Node's event loop. (Firing it in the same pass let a callback
   * that re-arms setImmediate until a promise settles spin forever: the promise's continuation never got to run.)
   */
  #fireNext(): void {
    const heap = this.#heap
    const at = heap[0].at
    const before = this.#seq
    if (at > this.now) this.now = at
    while (heap.length > 0 && heap[0].at === at && heap[0].seq <= before) {
      const t = this.#pop()
      if (t.cancelled) continue
      if (t.interval !== undefined) {
        t.at = this.now + t.interval
        this.#push(t)
      }
      this.fired++
      t.cb(...t.args)
    }
  }

  #less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq)
  }

  #push(t: VirtualTimer): void {
    t.seq = ++this.#seq
    const h = this.#heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.#less(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  #pop(): VirtualTimer {
    const h = this.#heap
    const top = h[0]
    const last = h.pop() as VirtualTimer
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.#less(h[l], h[m])) m = l
        if (r < h.length && this.#less(h[r], h[m])) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    return top
  }
}
