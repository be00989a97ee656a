import { writeFile } from 'node:fs/promises'

import type { Command } from 'commander'
import { z } from 'zod'

import { NodeClient } from '../client.ts'
import { clientFrom, parseFlag } from '../options.ts'
import type { GlobalOptions } from '../options.ts'

const dateFlag = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/, 'expected YYYY-MM-DD or an ISO timestamp')

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('audit trail (ADD_TRACK, DOWNLOAD, UPLOAD)')
  audit
    .command('export')
    .description('export audit records by date range as JSON or CSV (needs the operator token)')
    .option('--from <date>', 'start (inclusive), YYYY-MM-DD or ISO')
    .option('--to <date>', 'end (exclusive), YYYY-MM-DD or ISO')
    .option('--format <format>', 'json or csv', 'json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (o: { from?: string; to?: string; format: string; output?: string }, cmd: Command) => {
      const q = new URLSearchParams({ format: parseFlag(z.enum(['json', 'csv']), o.format, '--format') })
      if (o.from) q.set('from', parseFlag(dateFlag, o.from, '--from'))
      if (o.to) q.set('to', parseFlag(dateFlag, o.to, '--to'))
      const client = await clientFrom(cmd.optsWithGlobals<GlobalOptions>())
      const res = await client.raw('GET', `/audit?${q}`, { auth: true })
      if (res.statusCode !== 200) throw await NodeClient.failure(res, '/audit')
      let text = await res.body.text()
      if (o.format === 'json') text = `${JSON.stringify(JSON.parse(text), null, 2)}\n`
      if (o.output) await writeFile(o.output, text)
      else process.stdout.write(text)
    })
}
