import { homedir } from 'node:os'
import { join } from 'node:path'

import type { z } from 'zod'

import type { NodeClient } from './client.ts'
import { CliError } from './errors.ts'

export interface GlobalOptions {
  node: string
  dataDir: string
}

export const DEFAULT_NODE = process.env.DCMX_NODE ?? 'http://127.0.0.1:8080'
export const DEFAULT_DATA_DIR = process.env.DCMX_DATA_DIR ?? join(homedir(), '.dcmx')

/** Validates a CLI flag with zod and turns a failure into a clear message. */
export function parseFlag<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.output<S> {
  const r = schema.safeParse(value)
  if (!r.success) throw new CliError(`Invalid ${flag}: ${r.error.issues[0]?.message ?? 'bad value'}`)
  return r.data
}

/** The --node URL, checked (http or https); no zod, so the fast paths stay light. */
export function nodeUrl(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new CliError(`Invalid --node: ${JSON.stringify(value)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`Invalid --node: ${url.protocol} is not http or https`)
  return url
}

export async function clientFrom(opts: GlobalOptions): Promise<NodeClient> {
  nodeUrl(opts.node)
  const base = opts.node
  const { NodeClient, findToken } = await import('./client.ts')
  return new NodeClient({ base, token: await findToken(opts.dataDir) })
}
