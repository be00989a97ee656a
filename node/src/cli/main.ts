#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --optimize-for-size --max-semi-space-size=1 --no-maglev
import { setFlagsFromString } from 'node:v8'

import { Command, CommanderError } from 'commander'

import { DEFAULT_DATA_DIR, DEFAULT_NODE } from './options.ts'

/**
 * Every command, and the module that defines it. Only the module of the command being run is imported (start pulls
 * in the whole node, others zod, undici or viem), so `dcmx get` and `dcmx --help` start in a fraction of the time.
 */
const COMMANDS: Array<{ names: string[]; description: string | string[]; load: () => Promise<(program: Command) => void> }> = [
  { names: ['start'], description: 'run a node: serve content, gossip with peers, expose the HTTP API', load: async () => (await import('./commands/start.ts')).registerStart },
  { names: ['add'], description: 'upload an audio file to the node (needs the operator token)', load: async () => (await import('./commands/add.ts')).registerAdd },
  { names: ['get'], description: 'get a track by hash (the node fetches it from the mesh if needed) and save it', load: async () => (await import('./commands/get.ts')).registerGet },
  { names: ['stats', 'peers', 'tracks'], description: ['show node statistics', 'list known peers and their state', 'list tracks (stored here, and with --all those known in the mesh)'], load: async () => (await import('./commands/info.ts')).registerInfo },
  { names: ['logs'], description: 'show the node log (JSON lines) from the data dir', load: async () => (await import('./commands/logs.ts')).registerLogs },
  { names: ['audit'], description: 'audit trail (ADD_TRACK, DOWNLOAD, UPLOAD)', load: async () => (await import('./commands/audit.ts')).registerAudit },
  { names: ['stake', 'rewards'], description: ['stake the node from its own wallet, or print its registration signature for an operator wallet', 'bandwidth rewards: receipts held, submissions and claims by epoch'], load: async () => (await import('./commands/rewards.ts')).registerRewards },
  { names: ['register'], description: 'register a track stored on the node on chain (needs the operator token)', load: async () => (await import('./commands/register.ts')).registerRegister },
]

/** The command named on the command line: the first argument that is not a global option or its value. */
function invoked(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--node' || a === '--data-dir') i++
    else if (!a.startsWith('-')) return a
  }
  return undefined
}

// V8's young generation grows to 16 MiB per semi-space (x3 with the scavenger's copies) under load and does not
// shrink back at idle; 1 MiB keeps an idle node's RSS ~5 MiB lower, from src, dist or a bare `node main.js` alike.
// Maglev, V8's middle compiler tier, costs ~5 MiB of an idle node's RSS (its code pages and compiled code); the
// node's hot paths are native (hashing, sockets, SQLite) or reach TurboFan without it, and signature checks and
// zod parsing measured no slower without it. (Both are no-ops when the shebang or NODE_OPTIONS already set them.)
setFlagsFromString('--max-semi-space-size=1')
setFlagsFromString('--no-maglev')

const program = new Command()
  .name('dcmx')
  .description('DCMX mesh node and client')
  .option('--node <url>', 'node to talk to (client commands)', DEFAULT_NODE)
  .option('--data-dir <dir>', 'node data dir: content, metadata, key, operator token, logs', DEFAULT_DATA_DIR)
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()

const args = process.argv.slice(2)
const first = invoked(args)
// `dcmx help <command>` needs that command's full definition too.
const name = first === 'help' ? args[args.indexOf('help') + 1] : first
const entry = name === undefined ? undefined : COMMANDS.find((c) => c.names.includes(name))
if (entry) (await entry.load())(program)
else {
  // Help or an unknown command: list every command without loading any (`dcmx <command> --help` shows its options).
  for (const c of COMMANDS) c.names.forEach((n, i) => program.command(n).description(typeof c.description === 'string' ? c.description : (c.description[i] as string)))
}

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode)
  const { DcmxError } = await import('../core/errors.ts')
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
