import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { CliError, NodeClient } from '../client.ts'
import { clientFrom } from '../options.ts'
import type { GlobalOptions } from '../options.ts'
import { ProgressBar } from '../progress.ts'

/** `dcmx get` through HTTP: asks the node to fetch into its store, streams `/content` to `output` and checks the SHA-256. */
export async function downloadOverHttp(g: GlobalOptions, hash: string, output: string): Promise<void> {
  const client = await clientFrom(g)
  // Ask the node to fetch it into its store first (local API, loopback + token).
  if (client.token) {
    const r = await client.raw('POST', '/local/request_file', {
      auth: true,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content_hash: hash }),
    })
    if (r.statusCode === 404 || r.statusCode === 502) throw await NodeClient.failure(r, '/local/request_file')
    await r.body.dump()
  }
  const res = await client.raw('GET', `/content/${hash}`)
  if (res.statusCode !== 200) throw await NodeClient.failure(res, `/content/${hash}`)
  const total = Number(res.headers['content-length'] ?? 0)
  const bar = new ProgressBar(total)
  const sha = createHash('sha256')
  const tmp = `${output}.part`
  await pipeline(
    res.body,
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sha.update(chunk)
        bar.tick(chunk.length)
        cb(null, chunk)
      },
    }),
    createWriteStream(tmp),
  )
  bar.finish()
  if (sha.digest('hex') !== hash) {
    await rm(tmp, { force: true })
    throw new CliError('Downloaded bytes do not match the hash; nothing was saved')
  }
  await rename(tmp, output)
  process.stdout.write(`saved ${hash} to ${output} (${total} bytes, SHA-256 verified)\n`)
}
