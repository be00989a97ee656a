import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { startNetwork } from '../../../scripts/network.ts'

import { NETWORK_FILE } from './network.ts'

/** Starts the whole local network on free ports with the app built and served; the tests read network.json. */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  // DCMX_E2E_REUSE=1: run against a network already described in network.json (started by an earlier set-up kept
  // alive, e.g. `node test/e2e/global-setup.ts`), to iterate on a test without a 2-minute start each time.
  if (process.env.DCMX_E2E_REUSE) return undefined
  const here = dirname(fileURLToPath(import.meta.url))
  const artifacts = resolve(here, '.artifacts')
  await mkdir(artifacts, { recursive: true })
  const dataDir = await mkdtemp(join(tmpdir(), 'dcmx-e2e-'))
  // Chromium writes nothing outside the test's temp dir.
  for (const v of ['HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME']) process.env[v] = join(dataDir, 'browser-home')
  const net = await startNetwork({
    dataDir,
    reset: true,
    seed: true,
    web: 'build+start',
    ports: { chain: 0, nodes: [0, 0, 0], web: 0 },
    nodeArgs: ['--no-auto-rewards'],
    logger: { info: (m) => process.stderr.write(`[network] ${m}\n`), warn: (m) => process.stderr.write(`[network] ${m}\n`) },
  })
  await writeFile(
    NETWORK_FILE,
    JSON.stringify({ ...net, stop: undefined, exited: undefined, seeded: net.seeded && { ...net.seeded, editionId: String(net.seeded.editionId), listing: { ...net.seeded.listing, tokenId: String(net.seeded.listing.tokenId), price: String(net.seeded.listing.price) } } }, null, 2),
  )
  return () => net.stop()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stop = await globalSetup()
  process.stderr.write(`network up; ${NETWORK_FILE}; Ctrl-C stops it\n`)
  process.once('SIGINT', () => void stop?.().then(() => process.exit(0)))
  process.once('SIGTERM', () => void stop?.().then(() => process.exit(0)))
}
