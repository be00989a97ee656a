import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** `TOKEN_FILE` of core/identity.ts, repeated so the CLI's fast paths do not load viem. */
export const TOKEN_FILE = 'api-token'

/** The operator token: DCMX_API_TOKEN, else `<dataDir>/api-token`. */
export async function findToken(dataDir: string): Promise<string | undefined> {
  if (process.env.DCMX_API_TOKEN) return process.env.DCMX_API_TOKEN
  try {
    return (await readFile(join(dataDir, TOKEN_FILE), 'utf8')).trim()
  } catch {
    return undefined
  }
}
