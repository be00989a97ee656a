#!/usr/bin/env -S node --optimize-for-size
import { Command, CommanderError } from 'commander'

import { DcmxError } from '../core/errors.ts'
import { registerAdd } from './commands/add.ts'
import { registerAudit } from './commands/audit.ts'
import { registerGet } from './commands/get.ts'
import { registerInfo } from './commands/info.ts'
import { registerLogs } from './commands/logs.ts'
import { registerRewards } from './commands/rewards.ts'
import { registerRegister } from './commands/register.ts'
import { registerStart } from './commands/start.ts'
import { DEFAULT_DATA_DIR, DEFAULT_NODE } from './options.ts'

const program = new Command()
  .name('dcmx')
  .description('DCMX mesh node and client')
  .option('--node <url>', 'node to talk to (client commands)', DEFAULT_NODE)
  .option('--data-dir <dir>', 'node data dir: content, metadata, key, operator token, logs', DEFAULT_DATA_DIR)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()

registerStart(program)
registerAdd(program)
registerGet(program)
registerInfo(program)
registerLogs(program)
registerAudit(program)
registerRewards(program)
registerRegister(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode)
  if (err instanceof DcmxError) {
    process.stderr.write(`error: ${err.shortMessage}${err.details ? `\n  ${err.details}` : ''}\n`)
    process.exit(1)
  }
  // System errors (port in use, unwritable data dir, missing output folder) are the user's to fix: no stack trace.
  const code = (err as NodeJS.ErrnoException).code
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    process.stderr.write(`error: ${(err as Error).message}\n`)
    process.exit(1)
  }
  throw err
}
