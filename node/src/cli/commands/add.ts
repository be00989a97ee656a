import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Transform } from 'node:stream'

import type { Command } from 'commander'
import { z } from 'zod'

import type { AddTrackResponse } from '../../api.ts'
import { CliError, NodeClient } from '../client.ts'
import { clientFrom, parseFlag } from '../options.ts'
import type { GlobalOptions } from '../options.ts'
import { ProgressBar } from '../progress.ts'

export function registerAdd(program: Command): void {
  program
    .command('add')
    .description('upload an audio file to the node (needs the operator token)')
    .argument('<file>', 'audio file')
    .requiredOption('--title <title>', 'track title')
    .requiredOption('--artist <artist>', 'artist / rights holder')
    .option('--album <album>', 'album')
    .option('--duration <seconds>', 'duration in seconds')
    .action(async (file: string, o: { title: string; artist: string; album?: string; duration?: string }, cmd: Command) => {
      const client = await clientFrom(cmd.optsWithGlobals<GlobalOptions>())
      const size = await stat(file).then(
        (s) => s.size,
        () => {
          throw new CliError(`Cannot read ${file}`)
        },
      )
      const q = new URLSearchParams({ title: o.title, artist: o.artist })
      if (o.album) q.set('album', o.album)
      if (o.duration) q.set('duration', String(parseFlag(z.coerce.number().int().nonnegative(), o.duration, '--duration')))
      const bar = new ProgressBar(size)
      const counting = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bar.tick(chunk.length)
          cb(null, chunk)
        },
      })
      const res = await client.raw('POST', `/tracks?${q}`, {
        auth: true,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: createReadStream(file, { highWaterMark: 1 << 20 }).pipe(counting),
      })
      if (res.statusCode >= 300) throw await NodeClient.failure(res, '/tracks')
      bar.finish()
      const { track, created } = (await res.body.json()) as AddTrackResponse
      process.stdout.write(`${created ? 'added' : 'already stored'} ${track.content_hash}\n  ${track.artist} - ${track.title} (${track.size} bytes, manifest root ${track.manifest_root})\n`)
    })
}
