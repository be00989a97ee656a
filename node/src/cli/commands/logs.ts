import { createReadStream, watch } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'

import type { Command } from 'commander'
import { z } from 'zod'

import { CliError } from '../client.ts'
import { parseFlag } from '../options.ts'
import type { GlobalOptions } from '../options.ts'
import { LOG_FILE } from './start.ts'

/** Prints the last lines of `<data-dir>/node.log`, optionally following it. */
export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description('show the node log (JSON lines) from the data dir')
    .option('-n, --lines <n>', 'lines to show', '50')
    .option('-f, --follow', 'keep printing new lines')
    .action(async (o: { lines: string; follow?: boolean }, cmd: Command) => {
      const n = parseFlag(z.coerce.number().int().min(1).max(1_000_000), o.lines, '--lines')
      const file = join(cmd.optsWithGlobals<GlobalOptions>().dataDir, LOG_FILE)
      let size: number
      try {
        size = (await stat(file)).size
      } catch {
        throw new CliError(`No log at ${file}`, { details: 'start a node with this --data-dir first' })
      }
      // Read at most the last 4 MiB to find the last n lines.
      const from = Math.max(0, size - 4 * 1024 * 1024)
      const fh = await open(file, 'r')
      const buf = Buffer.alloc(size - from)
      await fh.read(buf, 0, buf.length, from)
      await fh.close()
      const lines = buf.toString('utf8').split('\n').filter(Boolean)
      process.stdout.write(`${lines.slice(-n).join('\n')}\n`)
      if (!o.follow) return
      let pos = size
      watch(file, async () => {
        const s = (await stat(file)).size
        if (s <= pos) return
        const start = pos
        pos = s
        createReadStream(file, { start, end: s - 1 }).pipe(process.stdout, { end: false })
      })
    })
}
