import type { EventEmitter } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { NodeConfigInput } from '../src/core/config.ts'
import { createLogger } from '../src/core/logger.ts'
import type { DialFilter } from '../src/mesh/protocol-client.ts'
import { createNode } from '../src/node.ts'
import type { DcmxNode } from '../src/node.ts'

export const TOKEN = 'test-operator-token-0123456789abcdef'

export async function tempDir(prefix = 'dcmx-test-'): Promise<{ path: string; [Symbol.asyncDispose]: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) }
}

/** A real node on 127.0.0.1:0 with a fresh data dir; gossip timer off unless asked. */
export async function startNode(
  opts: Partial<NodeConfigInput> & { dialFilter?: DialFilter } = {},
): Promise<DcmxNode & { cleanup: () => Promise<void> }> {
  const { dialFilter, ...cfg } = opts
  const dataDir = cfg.dataDir ?? (await mkdtemp(join(tmpdir(), 'dcmx-node-')))
  const node = await createNode(
    {
      host: '127.0.0.1',
      port: 0,
      autoGossip: false,
      discoveryIntervalMs: 20,
      disconnectedRetryMs: 20,
      rateLimitMax: 0,
      apiToken: TOKEN,
      connectTimeoutMs: 2000,
      ...cfg,
      dataDir,
    },
    { logger: createLogger({ level: process.env.DCMX_TEST_LOG ?? 'silent' }), dialFilter },
  )
  await node.start()
  let stopped = false
  return Object.assign(node, {
    cleanup: async () => {
      if (!stopped) {
        stopped = true
        await node.stop()
      }
      if (!cfg.dataDir) await rm(dataDir, { recursive: true, force: true })
    },
  })
}

export async function upload(node: DcmxNode, bytes: Uint8Array, meta: Record<string, string> = { title: 'Song', artist: 'Artist' }, token = TOKEN): Promise<Response> {
  const q = new URLSearchParams(meta)
  return fetch(`${node.url}/tracks?${q}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` },
    body: bytes,
  })
}

/** Resolves when `check()` holds, re-checking on each emitted event (no fixed sleeps). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  emitters: EventEmitter[],
  events: string[],
  timeoutMs = 10_000,
): Promise<void> {
  if (await check()) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      done()
      reject(new Error('waitFor timed out'))
    }, timeoutMs)
    const onEvent = (): void => {
      void Promise.resolve(check()).then((ok) => {
        if (ok) {
          done()
          resolve()
        }
      })
    }
    const done = (): void => {
      clearTimeout(timer)
      for (const em of emitters) for (const e of events) em.off(e, onEvent)
    }
    for (const em of emitters) for (const e of events) em.on(e, onEvent)
  })
}

export function randomBytesOf(size: number, seed = 1): Buffer {
  // Deterministic, cheap pseudo-random bytes (xorshift32).
  const b = Buffer.allocUnsafe(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    b[i] = x & 0xff
  }
  return b
}
