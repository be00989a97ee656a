import { typedData } from '@dcmx/deployments'
import { encodeFunctionData, zeroAddress } from 'viem'
import type { Address, Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

import type { StakeResponse } from '../api/stake.ts'
import { ValidationError } from '../core/errors.ts'
import { protocolAbi } from './contracts.ts'
import type { ChainService } from './service.ts'

export interface StakeComponents {
  account: PrivateKeyAccount
  chain: ChainService
}

/**
 * Staking the node. The node key signs `NodeRegistration(node, operator)`; a single-key operator (the node's own
 * wallet, holding the DCMX) stakes through the outbox: approve then register (or increase), each a job with a
 * deterministic key, so a retried `dcmx stake` never stakes twice. An operator with a separate wallet asks for the
 * signature and sends `registerNode` from that wallet.
 */
export class NodeStake {
  readonly #c: StakeComponents

  constructor(components: StakeComponents) {
    this.#c = components
  }

  /** The node key's EIP-712 signature letting `operator` register this node. */
  registrationSignature(operator: Address): Promise<Hex> {
    const { chain, account } = this.#c
    return account.signTypedData({
      domain: { ...typedData.nodeRegistration.domain, chainId: chain.chainId, verifyingContract: chain.contracts.NodeStaking },
      types: typedData.nodeRegistration.types,
      primaryType: typedData.nodeRegistration.primaryType,
      message: { node: account.address, operator },
    })
  }

  /**
   * Stakes `amount` wei of the node wallet's DCMX for the node itself: `registerNode` the first time (with
   * `endpoint`), `increaseStake` after. `requestId` makes a retried request idempotent.
   */
  async stake(amount: bigint, endpoint: string, requestId: string): Promise<StakeResponse> {
    if (amount <= 0n) throw new ValidationError('The amount must be positive')
    const { chain, account } = this.#c
    const c = chain.contracts
    const node = (await chain.publicClient.readContract({ address: c.NodeStaking, abi: protocolAbi, functionName: 'nodeOf', args: [account.address] })) as { operator: Address }
    const registered = node.operator !== zeroAddress
    if (registered && node.operator !== account.address) {
      throw new ValidationError(`This node is staked by operator ${node.operator}: increase its stake from that wallet`)
    }
    const approveKey = `stake:approve:${requestId}`
    chain.outbox.enqueue({
      key: approveKey,
      to: c.DCMXToken,
      data: encodeFunctionData({ abi: protocolAbi, functionName: 'approve', args: [c.NodeStaking, amount] }),
    })
    const stakeKey = registered ? `stake:increase:${requestId}` : 'stake:register'
    const data = registered
      ? encodeFunctionData({ abi: protocolAbi, functionName: 'increaseStake', args: [account.address, amount] })
      : encodeFunctionData({
          abi: protocolAbi,
          functionName: 'registerNode',
          args: [account.address, endpoint, amount, await this.registrationSignature(account.address)],
        })
    chain.outbox.enqueue({
      key: stakeKey,
      to: c.NodeStaking,
      data,
      after: approveKey,
      doneErrors: registered ? [] : ['NodeStakingAlreadyRegistered'],
    })
    return { node: account.address, operator: account.address, jobs: [approveKey, stakeKey] }
  }
}
