import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { PrivateKeyAccount } from 'viem/accounts'

import { DcmxError } from './errors.ts'
import { signHash } from './secp256k1.ts'

export const KEY_FILE = 'node.key'
export const TOKEN_FILE = 'api-token'

async function readOrCreate(path: string, create: () => string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const value = create()
  try {
    // 'wx' so two processes starting on one data dir cannot overwrite each other's secret.
    await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return (await readFile(path, 'utf8')).trim()
  }
  await chmod(path, 0o600)
  return value
}

/**
 * The node's secp256k1 key (a viem account, later its wallet); its address is the peer_id.
 * Generated on first start into `<dataDir>/node.key` with mode 0600.
 */
export async function loadOrCreateIdentity(dataDir: string): Promise<PrivateKeyAccount> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = await readOrCreate(join(dataDir, KEY_FILE), () => generatePrivateKey())
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new DcmxError('Corrupt node key file', { details: join(dataDir, KEY_FILE) })
  const account = privateKeyToAccount(key as `0x${string}`)
  // Raw-hash signatures (a download signs a receipt every few MiB) by libsecp256k1, same bytes as viem's (tested).
  return { ...account, sign: ({ hash }) => signHash(hash, key as `0x${string}`) }
}

/** The operator API token, generated into `<dataDir>/api-token` (0600) on first start. */
export async function loadOrCreateApiToken(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  return readOrCreate(join(dataDir, TOKEN_FILE), () => randomBytes(32).toString('hex'))
}
