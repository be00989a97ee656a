import type { Command } from 'commander'

import type { PeerInfo, StatsResponse, Track } from '../../api.ts'
import { clientFrom } from '../options.ts'
import type { GlobalOptions } from '../options.ts'
import { fmtBytes } from '../progress.ts'

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return `${rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')}\n`
}

export function registerInfo(program: Command): void {
  program
    .command('stats')
    .description('show node statistics')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const s = await (await clientFrom(cmd.optsWithGlobals<GlobalOptions>())).json<StatsResponse>('GET', '/stats')
      if (o.json) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
      process.stdout.write(
        table([
          ['peer_id', s.peer_id],
          ['address', `${s.host}:${s.port}`],
          ['uptime', `${s.uptime_seconds} s`],
          ['peers', `${s.peers_connected} connected / ${s.peers_known} known`],
          ['tracks', `${s.tracks_local} local / ${s.tracks_known} known in the mesh`],
          ['uploaded', fmtBytes(s.content_uploaded_bytes)],
          ['downloaded', fmtBytes(s.content_downloaded_bytes)],
          ['gossip rounds', String(s.gossip_rounds)],
          ...(s.dht ? [['dht', `udp ${s.dht.host}:${s.dht.port} key ${s.dht.public_key}${s.dht.server ? '' : ' (client)'}`] as [string, string]] : []),
        ]),
      )
    })

  program
    .command('peers')
    .description('list known peers and their state')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const peers = await (await clientFrom(cmd.optsWithGlobals<GlobalOptions>())).json<PeerInfo[]>('GET', '/peers')
      if (o.json) return void process.stdout.write(`${JSON.stringify(peers, null, 2)}\n`)
      if (peers.length === 0) return void process.stdout.write('no peers yet\n')
      process.stdout.write(
        table([
          ['PEER_ID', 'ADDRESS', 'STATE', 'SCORE', 'TRACKS', 'LAST_SEEN'],
          ...peers.map((p) => [p.peer_id, `${p.host}:${p.port}`, p.state.toUpperCase(), String(p.score), String(p.available_tracks.length), p.last_seen ?? '-']),
        ]),
      )
    })

  program
    .command('tracks')
    .description('list tracks (stored here, and with --all those known in the mesh)')
    .option('--all', 'include tracks only peers hold')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; json?: boolean }, cmd: Command) => {
      const tracks = await (await clientFrom(cmd.optsWithGlobals<GlobalOptions>())).json<Array<Track & { local?: boolean }>>(
        'GET',
        o.all ? '/tracks?scope=all' : '/tracks',
      )
      if (o.json) return void process.stdout.write(`${JSON.stringify(tracks, null, 2)}\n`)
      if (tracks.length === 0) return void process.stdout.write('no tracks\n')
      process.stdout.write(
        table([
          ['CONTENT_HASH', 'ARTIST', 'TITLE', 'ALBUM', 'SIZE', 'ON_CHAIN', ...(o.all ? ['LOCAL'] : [])],
          ...tracks.map((t) => [
            t.content_hash,
            t.artist,
            t.title,
            t.album ?? '-',
            fmtBytes(t.size),
            t.registration ? `${t.registration.state}${t.registration.reason && t.registration.state === 'failed' ? ` (${t.registration.reason})` : ''}` : '-',
            ...(o.all ? [t.local ? 'yes' : 'no'] : []),
          ]),
        ]),
      )
    })
}
