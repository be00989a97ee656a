import { homedir } from 'node:os'
import { join } from 'node:path'

import { z } from 'zod'

import { NodeClient, findToken } from './client.ts'
import { CliError } from './client.ts'

export interface GlobalOptions {
  node: string
  dataDir: string
}

export const DEFAULT_NODE = process.env.DCMX_NODE ?? 'http://127.0.0.1:8080'
export const DEFAULT_DATA_DIR = process.env.DCMX_DATA_DIR ?? join(homedir(), '.dcmx')

const nodeUrlSchema = z.url({ protocol: /^https?$/ })

/** Validates a CLI flag with zod and turns a failure into a clear message. */
export function parseFlag<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.output<S> {
  const r = schema.safeParse(value)
  if (!r.success) throw new CliError(`Invalid ${flag}: ${r.error.issues[0]?.message ?? 'bad value'}`)
  return r.data
}

export async function clientFrom(opts: GlobalOptions): Promise<NodeClient> {
  const base = parseFlag(nodeUrlSchema, opts.node, '--node')
  return new NodeClient({ base, token: await findToken(opts.dataDir) })
}
