import type { Command } from 'commander'
import { z } from 'zod'

import type { RegistrationRequest, RegistrationResponse, TrackRegistration } from '../../api.ts'
import { clientFrom, parseFlag } from '../options.ts'
import type { GlobalOptions } from '../options.ts'

const hashFlag = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters')

/** `dcmx register <hash>`: registers a track stored on the node on chain (relayed artist signature or as the operator). */
export function registerRegister(program: Command): void {
  program
    .command('register')
    .description('register a track stored on the node on chain (commit-reveal; needs the operator token)')
    .argument('<content_hash>', 'the track')
    .option('--signature <hex>', "the artist's EIP-712 Register signature (relayed; omit to register as the node)")
    .option('--artist <address>', 'the signing artist (with --signature)')
    .option('--deadline <unix>', 'the signed deadline (with --signature)')
    .option('--title <title>', 'title as signed (default: the stored one)')
    .option('--artist-name <name>', 'artist name as signed (default: the stored one)')
    .option('--album <album>', 'album as signed')
    .option('--duration <seconds>', 'duration as signed')
    .option('--metadata-uri <uri>', 'metadata URI as signed')
    .option('--no-wait', 'return once queued instead of waiting for the registration to settle')
    .action(async (hash: string, o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const client = await clientFrom(cmd.optsWithGlobals<GlobalOptions>())
      const h = parseFlag(hashFlag, hash, '<content_hash>')
      const body: RegistrationRequest = {
        signature: o.signature as string | undefined,
        artist: o.artist as string | undefined,
        deadline: o.deadline as string | undefined,
        title: o.title as string | undefined,
        artist_name: o.artistName as string | undefined,
        album: o.album as string | undefined,
        duration: o.duration === undefined ? undefined : parseFlag(z.coerce.number().int().nonnegative(), o.duration, '--duration'),
        metadata_uri: o.metadataUri as string | undefined,
      }
      const r = await client.json<RegistrationResponse>('POST', `/tracks/${h}/registration`, { body, auth: true })
      let reg: TrackRegistration = r.registration
      while (o.wait !== false && (reg.state === 'pending' || reg.state === 'committed')) {
        await new Promise((resolve) => setTimeout(resolve, 1000))
        reg = (await client.json<{ registration: TrackRegistration }>('GET', `/tracks/${h}/registration`)).registration
      }
      process.stdout.write(
        `${h}: ${reg.state} (${reg.mode}, artist ${reg.artist})${reg.reason ? `\n  reason: ${reg.reason}` : ''}` +
          `${reg.commit_tx ? `\n  commit tx: ${reg.commit_tx}` : ''}${reg.register_tx ? `\n  register tx: ${reg.register_tx}` : ''}\n`,
      )
      if (reg.state === 'failed') process.exitCode = 1
    })
}
