import type { Command } from 'commander'
import { parseEther } from 'viem'
import { z } from 'zod'

import type { RewardsStatus, StakeResponse, StakeSignatureResponse } from '../../api.ts'
import { clientFrom, parseFlag } from '../options.ts'
import type { GlobalOptions } from '../options.ts'

const epochFlag = z.coerce.number().int().nonnegative()
const dcmxAmount = z.string().regex(/^\d+(\.\d{1,18})?$/, 'expected an amount of DCMX, e.g. 10000 or 2.5')
const addressFlag = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x address')

/** `dcmx stake` and `dcmx rewards status|submit|claim`: the operator's side of the token economy (operator token). */
export function registerRewards(program: Command): void {
  program
    .command('stake')
    .description('stake the node: from its own wallet (single-key operator), or print its registration signature for an operator wallet')
    .argument('[amount]', 'DCMX to stake from the node wallet (approve + registerNode, or increaseStake)')
    .option('--endpoint <url>', 'public endpoint to register (default: the node URL)')
    .option('--operator <address>', 'print the node key\'s NodeRegistration signature for this operator wallet instead')
    .action(async (amount: string | undefined, o: { endpoint?: string; operator?: string }, cmd: Command) => {
      const client = await clientFrom(cmd.optsWithGlobals<GlobalOptions>())
      if (o.operator) {
        const operator = parseFlag(addressFlag, o.operator, '--operator')
        const r = await client.json<StakeSignatureResponse>('GET', `/stake/signature?operator=${operator}`, { auth: true })
        process.stdout.write(`node ${r.node}\noperator ${r.operator}\nsignature ${r.signature}\n` +
          'From the operator wallet: token.approve(staking, amount), then staking.registerNode(node, endpoint, amount, signature).\n')
        return
      }
      const wei = parseEther(parseFlag(dcmxAmount, amount, 'amount'))
      const r = await client.json<StakeResponse>('POST', '/stake', { auth: true, body: { amount: String(wei), ...(o.endpoint ? { endpoint: o.endpoint } : {}) } })
      process.stdout.write(`staking ${amount} DCMX for node ${r.node}: jobs ${r.jobs.join(', ')} (see dcmx stats)\n`)
    })

  const rewards = program.command('rewards').description('bandwidth rewards: receipts held, submissions and claims by epoch')
  rewards
    .command('status')
    .description('epochs with receipts held, and where their submissions and claims stand')
    .action(async (_o: unknown, cmd: Command) => {
      const s = await (await clientFrom(cmd.optsWithGlobals<GlobalOptions>())).json<RewardsStatus>('GET', '/rewards', { auth: true })
      process.stdout.write(`node ${s.node}, current epoch ${s.current_epoch}, automatic ${s.auto ? 'on' : 'off'}\n`)
      for (const e of s.epochs) {
        process.stdout.write(`  epoch ${e.epoch}: ${e.clients} client(s), ${e.bytes_held} bytes held, ${e.status}\n`)
        for (const j of e.jobs) process.stdout.write(`    ${j.key}: ${j.status}${j.result ? ` (${j.result})` : ''}\n`)
      }
    })
  for (const action of ['submit', 'claim'] as const) {
    rewards
      .command(action)
      .description(action === 'submit' ? 'submit the receipts and uptime of an ended epoch now' : 'claim a settled epoch now')
      .option('--epoch <n>', 'epoch (default: the last one it applies to)')
      .action(async (o: { epoch?: string }, cmd: Command) => {
        const body = o.epoch === undefined ? {} : { epoch: parseFlag(epochFlag, o.epoch, '--epoch') }
        const r = await (await clientFrom(cmd.optsWithGlobals<GlobalOptions>())).json<{ epoch: number; jobs: string[] }>('POST', `/rewards/${action}`, { auth: true, body })
        process.stdout.write(`epoch ${r.epoch}: ${r.jobs.length > 0 ? r.jobs.join(', ') : 'nothing to do'}\n`)
      })
  }
}
