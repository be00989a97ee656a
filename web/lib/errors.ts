/**
 * Errors as words. `describeError` walks viem's error chain to the revert data and decodes it against every DCMX ABI
 * together (a revert raised in Editions during a Marketplace purchase still reads by name and arguments), says
 * "cancelled" for a rejected signature, says how much is missing when funds run short, and falls back to viem's
 * short message. `dcmxErrorSentence` has the plain sentences for the errors people actually meet.
 */
import * as deployments from '@dcmx/deployments'
import { BaseError, decodeErrorResult, HttpRequestError, InsufficientFundsError, TimeoutError, UserRejectedRequestError, WebSocketRequestError } from 'viem'
import type { Abi, AbiParameter, Hex } from 'viem'

import { formatCountdownFrom, formatDcmx, formatEth, shortAddress } from './format.ts'

type AbiError = Extract<Abi[number], { type: 'error' }>

export type ErrorKind = 'cancelled' | 'revert' | 'funds' | 'network' | 'other'

export interface DescribedError {
  readonly kind: ErrorKind
  /** A few words for a heading or toast title. */
  readonly title: string
  /** The sentence to show. */
  readonly message: string
  /** For reverts: the decoded custom error. */
  readonly revert?: DecodedRevert
}

export interface DecodedRevert {
  readonly errorName: string
  readonly args: readonly unknown[]
  /** `EditionSoldOut(edition 3, remaining 0)`. */
  readonly text: string
}

/** Every custom error of every DCMX contract (each `*Abi` export of @dcmx/deployments), each once. */
export const dcmxErrorsAbi: readonly AbiError[] = (() => {
  const seen = new Map<string, AbiError>()
  for (const [name, abi] of Object.entries(deployments)) {
    if (!name.endsWith('Abi') || !Array.isArray(abi)) continue
    for (const item of abi as Abi) {
      if (item.type !== 'error') continue
      const signature = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`
      if (!seen.has(signature)) seen.set(signature, item)
    }
  }
  return [...seen.values()]
})()

/** `editionId` -> `edition`, `maxPerPurchase` -> `max per purchase`. */
function words(name: string): string {
  return name
    .replace(/Id$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase()
}

function renderValue(param: AbiParameter, value: unknown): string {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value)) return shortAddress(value)
  if (typeof value === 'string' && /^0x[0-9a-fA-F]{64}$/.test(value)) return `${value.slice(0, 10)}…`
  if (param.type === 'string') return JSON.stringify(value)
  return String(value)
}

/** Decodes revert data against all DCMX errors (plus Solidity's Error/Panic); undefined when none matches. */
export function decodeDcmxRevert(data: Hex): DecodedRevert | undefined {
  if (!/^0x[0-9a-fA-F]{8}/.test(data)) return undefined
  try {
    const decoded = decodeErrorResult({ abi: dcmxErrorsAbi as Abi, data })
    const args = (decoded.args ?? []) as readonly unknown[]
    const inputs = decoded.abiItem.type === 'error' ? decoded.abiItem.inputs : []
    const rendered = inputs.map((p, i) => (p.name ? `${words(p.name)} ${renderValue(p, args[i])}` : renderValue(p, args[i])))
    return { errorName: decoded.errorName, args, text: `${decoded.errorName}(${rendered.join(', ')})` }
  } catch {
    return undefined
  }
}

const ether = (v: unknown) => (typeof v === 'bigint' ? formatEth(v, 6) : String(v))
const dcmx = (v: unknown) => (typeof v === 'bigint' ? formatDcmx(v) : String(v))
const num = (v: unknown) => String(v)
const when = (v: unknown, now: number) => (typeof v === 'bigint' || typeof v === 'number' ? formatCountdownFrom(Number(v), now) : String(v))

/**
 * Plain sentences for the DCMX errors a person meets in the app (by error name; arguments as decoded). The rest
 * read as `Name(arg value, ...)`, which is still better than "execution reverted".
 */
export const DCMX_ERROR_SENTENCES: Readonly<Record<string, (args: readonly unknown[], now: number) => string>> = {
  EditionSoldOut: ([id, remaining]) => (remaining === 0n ? `Edition ${num(id)} is sold out.` : `Edition ${num(id)} has only ${num(remaining)} left.`),
  EditionWrongPayment: ([expected, sent]) => `The price is ${ether(expected)}, but ${ether(sent)} was sent.`,
  EditionSaleNotStarted: ([id, start], now) => `The sale of edition ${num(id)} has not started yet; it opens ${when(start, now)}.`,
  EditionSaleEnded: ([id, end], now) => `The sale of edition ${num(id)} has ended (${when(end, now)}).`,
  EditionPresaleNotStarted: ([id, start], now) => `The presale of edition ${num(id)} opens ${when(start, now)}.`,
  EditionPresaleEnded: ([id], _now) => `The presale of edition ${num(id)} is over; the public sale is open.`,
  EditionNotAllowlisted: ([id]) => `This wallet is not on the presale list of edition ${num(id)}.`,
  EditionWalletCapExceeded: ([id, , cap]) => `A wallet may buy at most ${num(cap)} of edition ${num(id)}.`,
  EditionPresaleCapExceeded: ([id, , cap]) => `A wallet may buy at most ${num(cap)} of edition ${num(id)} in the presale.`,
  EditionInvalidQuantity: ([quantity, max]) => `You can buy 1 to ${num(max)} at once, not ${num(quantity)}.`,
  EditionNotFound: ([id]) => `There is no edition ${num(id)}.`,
  EditionCommentTooLong: ([length, max]) => `The comment is ${num(length)} bytes long; the limit is ${num(max)}.`,
  EditionsNotTrackArtist: () => 'Only the track\'s artist can create editions of it.',
  EditionsNothingToWithdraw: () => 'There is nothing to withdraw.',
  EditionsRoyaltyTooHigh: ([bps, max]) => `A royalty of ${Number(bps) / 100}% is above the ${Number(max) / 100}% limit.`,
  MarketplaceStaleListing: () => 'This listing is stale: the token changed hands since it was listed.',
  MarketplaceNotApproved: () => 'The seller has not approved the marketplace for this token any more, so the listing cannot be bought.',
  MarketplaceListingExpired: () => 'This listing has expired.',
  MarketplaceNotListed: () => 'This token is not listed for sale.',
  MarketplaceListingCounterStale: () => 'The seller has cancelled all their listings since this one.',
  MarketplaceWrongPayment: ([expected, sent]) => `The price is ${ether(expected)}, but ${ether(sent)} was sent.`,
  MarketplaceNotOwner: () => 'Only the token\'s owner can list it.',
  MarketplaceNothingToWithdraw: () => 'There is nothing to withdraw.',
  MarketplaceProceedsBelowMinimum: ([, , proceeds, min]) => `The seller would receive ${ether(proceeds)}, below their minimum of ${ether(min)}.`,
  TrackAlreadyRegistered: ([, artist]) => `This track is already registered (artist ${typeof artist === 'string' ? shortAddress(artist) : String(artist)}).`,
  TrackNotRegistered: () => 'This track is not registered on chain.',
  TrackCommitmentTooNew: ([, at], now) => `The registration can be revealed ${when(at, now)}; try again then.`,
  TrackCommitmentExpired: () => 'The registration commitment expired; start the registration again.',
  TrackCommitmentNotFound: () => 'No registration commitment was found; start the registration again.',
  TrackSignatureExpired: () => 'The registration signature expired; sign it again.',
  TrackInvalidSignature: () => 'The registration signature is not the artist\'s.',
  NodeStakingStakeBelowMinimum: ([stake, min]) => `A stake of ${dcmx(stake)} is below the minimum of ${dcmx(min)}.`,
  NodeStakingStillUnbonding: ([, at], now) => `The stake is still unbonding; it can be withdrawn ${when(at, now)}.`,
  NodeStakingNotOperator: () => 'Only the node\'s operator can do this.',
  BandwidthRewardsAlreadyClaimed: ([, epoch]) => `The rewards of epoch ${num(epoch)} were already claimed.`,
  BandwidthRewardsEpochNotSettled: ([epoch, at], now) => `Epoch ${num(epoch)} settles ${when(at, now)}; claim after that.`,
  BandwidthRewardsNothingToClaim: ([, epoch]) => `There is nothing to claim for epoch ${num(epoch)}.`,
  GovernorInsufficientProposerVotes: ([, votes, threshold]) => `Proposing needs ${dcmx(threshold)} of votes; you have ${dcmx(votes)} (delegate to yourself first).`,
  GovernorAlreadyCastVote: () => 'This wallet has already voted on this proposal.',
  GovernorUnexpectedProposalState: () => 'The proposal is not in a state that allows this (check whether voting is open, or it has passed and been queued).',
  GovernorNonexistentProposal: () => 'There is no such proposal.',
  GovernorRestrictedProposer: () => 'This wallet may not make this proposal.',
  TimelockUnexpectedOperationState: () => 'The timelock is not ready for this yet (the delay has not passed, or it already ran).',
  ERC20InsufficientBalance: ([, balance, needed]) => `Not enough DCMX: ${dcmx(needed)} needed, ${dcmx(balance)} held.`,
  ERC721NonexistentToken: ([id]) => `Token ${num(id)} does not exist.`,
}

/** The sentence for a decoded DCMX error: the plain one when there is one, else `Name(arg value, ...)`. */
export function dcmxErrorSentence(revert: DecodedRevert, now: number = Date.now() / 1000): string {
  if (revert.errorName === 'Error') return `The contract refused: ${String(revert.args[0])}.`
  if (revert.errorName === 'Panic') return `The contract failed an internal check (panic 0x${Number(revert.args[0]).toString(16)}).`
  const sentence = DCMX_ERROR_SENTENCES[revert.errorName]
  return sentence ? sentence(revert.args, now) : `The contract refused: ${revert.text}.`
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

/** Every error in the chain: viem's causes, and plain `{ cause }` objects from wallets. Bounded, cycle-safe. */
function chain(error: unknown): unknown[] {
  const out: unknown[] = []
  let e: unknown = error
  while (e !== undefined && e !== null && out.length < 20 && !out.includes(e)) {
    out.push(e)
    e = isRecord(e) ? e.cause : undefined
  }
  return out
}

/** The revert data somewhere in the chain: viem's raw/undecoded data, or an RPC error's `data` (string or `{data}`). */
function revertDataOf(errors: readonly unknown[]): Hex | undefined {
  const hex = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(v)
  for (const e of errors) {
    if (!isRecord(e)) continue
    if (hex(e.raw)) return e.raw
    if (hex(e.data)) return e.data
    if (isRecord(e.data) && hex(e.data.data)) return e.data.data
  }
  return undefined
}

/** A revert viem already decoded against the ABI it had (error name and args), when no raw data is left. */
function decodedByViem(errors: readonly unknown[]): DecodedRevert | undefined {
  for (const e of errors) {
    if (!isRecord(e) || !isRecord(e.data) || typeof e.data.errorName !== 'string' || !isRecord(e.data.abiItem)) continue
    const item = e.data.abiItem as unknown as AbiError
    const args = (Array.isArray(e.data.args) ? e.data.args : []) as unknown[]
    const rendered = (item.inputs ?? []).map((p, i) => (p.name ? `${words(p.name)} ${renderValue(p, args[i])}` : renderValue(p, args[i])))
    return { errorName: e.data.errorName, args, text: `${e.data.errorName}(${rendered.join(', ')})` }
  }
  return undefined
}

/** Amounts in an insufficient-funds message from the node (geth: `have X want Y`; Hardhat/EDR: upfront cost and balance). */
function missingFunds(text: string): { have: bigint; want: bigint } | undefined {
  const geth = /have (\d+) want (\d+)/.exec(text)
  if (geth) return { have: BigInt(geth[1] as string), want: BigInt(geth[2] as string) }
  const edr = /upfront cost is:? (\d+).*?balance is:? (\d+)/is.exec(text)
  if (edr) return { want: BigInt(edr[1] as string), have: BigInt(edr[2] as string) }
  return undefined
}

export interface DescribeOptions {
  /** Unix seconds for countdowns in sentences (default now). */
  readonly now?: number
  /** When the app knows them: the wallet's balance and what the action costs (value + gas), to say what is missing. */
  readonly balance?: bigint
  readonly cost?: bigint
}

/** Reads any error from a wallet, viem or a contract as words. Never throws. */
export function describeError(error: unknown, opts: DescribeOptions = {}): DescribedError {
  const errors = chain(error)
  const now = opts.now ?? Date.now() / 1000
  const text = errors.map((e) => (isRecord(e) ? [e.shortMessage, e.details, e.message].filter((s) => typeof s === 'string').join(' ') : String(e))).join(' ')

  if (errors.some((e) => e instanceof UserRejectedRequestError || (isRecord(e) && (e.code === 4001 || e.code === 'ACTION_REJECTED'))) || /user (rejected|denied|cancel)/i.test(text)) {
    return { kind: 'cancelled', title: 'Cancelled', message: 'You cancelled the request in your wallet. Nothing was sent.' }
  }

  const data = revertDataOf(errors)
  const revert = (data && decodeDcmxRevert(data)) ?? decodedByViem(errors)
  if (revert) return { kind: 'revert', title: titleOf(revert.errorName), message: dcmxErrorSentence(revert, now), revert }

  if (errors.some((e) => e instanceof InsufficientFundsError) || InsufficientFundsError.nodeMessage.test(text.toLowerCase()) || /doesn't have enough funds/i.test(text)) {
    const known = opts.balance !== undefined && opts.cost !== undefined ? { have: opts.balance, want: opts.cost } : missingFunds(text)
    const message =
      known && known.want > known.have
        ? `Not enough ETH: this needs ${formatEth(known.want, 6)} (price and gas) and the wallet has ${formatEth(known.have, 6)}: ${formatEth(known.want - known.have, 6)} short.`
        : 'Not enough ETH in this wallet to pay for this and its gas.'
    return { kind: 'funds', title: 'Insufficient funds', message }
  }

  if (errors.some((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WebSocketRequestError) || /failed to fetch|network ?error|ECONNREFUSED|fetch failed/i.test(text)) {
    return { kind: 'network', title: 'Network problem', message: 'Could not reach the chain. Check your connection (and that the node or RPC is running), then try again.' }
  }

  if (/execution reverted|reverted/i.test(text)) {
    return { kind: 'revert', title: 'Transaction reverted', message: 'The contract refused this transaction without a reason the app knows.' }
  }
  const first = errors[0]
  const message = first instanceof BaseError ? first.shortMessage : first instanceof Error ? first.message : String(first)
  return { kind: 'other', title: 'Something went wrong', message }
}

/** `EditionSoldOut` -> `Edition sold out`. */
function titleOf(errorName: string): string {
  const w = errorName.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  return w.charAt(0).toUpperCase() + w.slice(1)
}
