/**
 * The streaming service worker's configuration: where the chain and the nodes are. The page passes it in the
 * worker's registration URL (`/stream-sw.js?config=<encodeURIComponent(JSON)>`, see `streamWorkerUrl`); the
 * worker validates it before using anything in it.
 */
import { z } from 'zod'

const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v)
      return u.protocol === 'http:' || u.protocol === 'https:'
    } catch {
      return false
    }
  }, 'expected an http(s) URL')

export const streamWorkerConfigSchema = z.object({
  /** The chain's JSON-RPC URL (the browser must reach it: CORS). */
  rpcUrl: httpUrl,
  /** TrackRegistry address on that chain (from `@dcmx/deployments` by chain id). */
  registry: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address') as z.ZodType<`0x${string}`>,
  /** Mesh node base URLs: catalog, and holders of last resort. */
  nodes: z.array(httpUrl).min(1).max(32),
})
export type StreamWorkerConfig = z.infer<typeof streamWorkerConfigSchema>

/** Path of the bundled worker under `public/` (built by scripts/build-sw.ts). */
export const STREAM_WORKER_PATH = '/stream-sw.js'

/** The URL to register the worker with, carrying `config`. Same config, same URL: re-registering is a no-op. */
export function streamWorkerUrl(config: StreamWorkerConfig): string {
  return `${STREAM_WORKER_PATH}?config=${encodeURIComponent(JSON.stringify(streamWorkerConfigSchema.parse(config)))}`
}

/** Reads and validates the config from the worker's own URL (`self.location.href`). Throws a readable error. */
export function parseStreamWorkerConfig(workerUrl: string): StreamWorkerConfig {
  const raw = new URL(workerUrl).searchParams.get('config')
  if (raw === null) throw new Error('stream worker: no ?config= in its URL')
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw new Error('stream worker: ?config= is not JSON')
  }
  const parsed = streamWorkerConfigSchema.safeParse(json)
  if (!parsed.success) throw new Error(`stream worker: invalid config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return parsed.data
}
