// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title INodeStaking
/// @notice The registry of DCMX mesh nodes. An operator registers a node by its signing address (the node's identity
/// key, which the mesh uses as its peer id) and its public endpoint, staking at least `minStake()` DCMX. Unstaking
/// goes through a delay during which the stake stays slashable. Governance (the owner, i.e. the timelock) slashes
/// stake for proven fraud and sets `minStake`, the unbonding delay and the governor whose latency the delay includes.
/// @dev Registration requires an EIP-712 signature by the node key over `NodeRegistration(address node,address
/// operator)` in the domain `{name: "DCMX NodeStaking", version: "1", chainId, verifyingContract: this}`, so nobody can
/// squat another operator's peer id. A node's operator is fixed forever once registered.
///
/// Endpoints are not stored: a node's endpoint is the one in its latest `NodeRegistered` or `EndpointUpdated` log
/// (an indexer or `eth_getLogs` filtered by the indexed node reads it). That saves a 22k-gas slot per registration.
///
/// Unstaking: every `requestUnstake` is its own request in a per-node queue with its own clock. A request records
/// `unbondedAt`, the request time plus the governance-set `unbondingDelay()` (the window in which fraud must be
/// noticed and a slash proposed), never earlier than the previous request's (if governance shortens the delay, the new
/// request waits for the previous one, which keeps the queue ordered). It is withdrawable STRICTLY AFTER `unbondedAt +
/// governanceLatency()`, the latency (voting delay + voting period + timelock delay) read AT WITHDRAWAL, not at the
/// request: so a later raise of any of these parameters (or a new governor) reaches requests already queued. Guarantee:
/// a slash proposed strictly within the unbonding delay of a request (at a time `< unbondedAt`) and passed at the
/// earliest moments (queued one second after its deadline, executed when the timelock allows) executes in a block
/// strictly before that request's stake can leave. `withdraw` pays every matured request at once. Slashing reaches
/// the unbonding stake, taking the oldest requests first (the stake closest to leaving), in O(1) whatever the queue
/// length, and takes what is there when it executes (up to the amount), so withdrawing part of the stake before a
/// slash executes cannot make it fail. Latency DECREASES are made safe for proposals already in flight by the
/// governor (`IDCMXGovernor.governanceLatency` holds the previous latency for one latency after a voting delay or
/// period change, and a queued proposal's own latency until its eta) and, for a replaced governor, by this contract
/// (`governanceLatency()`). The guarantee assumes governance queues and executes a slash as soon as it can.
///
/// Voting power: only ACTIVE stake votes. It counts as votes of the node's operator in DCMXGovernor through
/// `getPastStakedVotes`, checkpointed on the same ERC-6372 timestamp clock as DCMXToken. Unbonding stake does not
/// vote: a departing operator no longer steers governance and cannot vote against its own slash with stake it is
/// taking out (votes are read at the proposal's snapshot, so a request after the snapshot does not change that
/// proposal's count). Staked votes are not delegable: they belong to the operator account.
interface INodeStaking {
    /// @notice A node as returned by `nodeOf`.
    /// @param operator The account that staked and receives rewards; zero if the node never registered.
    /// @param stake Active stake in wei; the node is active while `stake >= minStake()`. Votes.
    /// @param unbonding Stake in the node's unstake queue, matured or not, until withdrawn; slashable, not voting.
    struct Node {
        address operator;
        uint96 stake;
        uint96 unbonding;
    }

    /// @notice A pending unstake request: `amount` wei, withdrawable strictly after `unbondedAt +
    /// governanceLatency()` (unix time; the latency as it is when withdrawing).
    struct UnstakeRequest {
        uint96 amount;
        uint40 unbondedAt;
    }

    /// @notice Emitted when `operator` registers `node` at `endpoint` with `stake`.
    event NodeRegistered(address indexed node, address indexed operator, string endpoint, uint96 stake);
    /// @notice Emitted when the operator adds `amount` to the node's stake.
    event StakeIncreased(address indexed node, uint96 amount, uint96 stake);
    /// @notice Emitted when the operator queues `amount` of the node's stake, unbonded at `unbondedAt` (withdrawable
    /// strictly after `unbondedAt + governanceLatency()`).
    event UnstakeRequested(address indexed node, uint96 amount, uint40 unbondedAt);
    /// @notice Emitted when the operator withdraws the node's matured unstake requests.
    event StakeWithdrawn(address indexed node, address indexed operator, uint96 amount);
    /// @notice Emitted when governance slashes the node: `amount` is what was actually taken and sent to `recipient`
    /// (at most the amount asked; zero if nothing was left at stake).
    event NodeSlashed(address indexed node, uint96 amount, address recipient, bytes32 evidence);
    /// @notice Emitted when the operator changes the node's public endpoint.
    event EndpointUpdated(address indexed node, string endpoint);
    /// @notice Emitted when governance sets the minimum stake.
    event MinStakeUpdated(uint96 minStake);
    /// @notice Emitted when governance sets the unbonding delay.
    event UnbondingDelayUpdated(uint32 unbondingDelay);
    /// @notice Emitted when the owner sets the governor whose latency every unstake request waits out.
    event GovernorUpdated(address governor);

    /// @notice The node already has an operator.
    error NodeStakingAlreadyRegistered(address node, address operator);
    /// @notice The node's key did not sign the registration for this operator.
    error NodeStakingInvalidNodeSignature(address node);
    /// @notice The resulting stake is below the minimum (and not zero, for an unstake).
    error NodeStakingStakeBelowMinimum(uint256 stake, uint256 minStake);
    /// @notice The caller is not the node's operator.
    error NodeStakingNotOperator(address node, address caller);
    /// @notice The amount to unstake exceeds the node's active stake.
    error NodeStakingInsufficientStake(address node, uint256 amount, uint256 available);
    /// @notice The amount is zero.
    error NodeStakingZeroAmount();
    /// @notice No unstake request of the node has matured; at the current governance latency the next one is
    /// withdrawable from `withdrawableAt` (unix time, inclusive).
    error NodeStakingStillUnbonding(address node, uint256 withdrawableAt);
    /// @notice The node has nothing unbonding.
    error NodeStakingNothingToWithdraw(address node);
    /// @notice The endpoint is empty.
    error NodeStakingEmptyEndpoint();
    /// @notice The unbonding delay is outside 1 day .. 365 days.
    error NodeStakingInvalidUnbondingDelay(uint32 unbondingDelay);
    /// @notice `timepoint` is not in the past of the clock.
    error NodeStakingFutureLookup(uint256 timepoint, uint48 clock);
    /// @notice `governor` counts the votes of another staking contract (`staking`), not this one.
    error NodeStakingGovernorMismatch(address governor, address staking);

    /// @notice Registers `node` (its signing address) at `endpoint` for the caller, staking `amount` DCMX.
    /// @dev The caller MUST have approved `amount` to this contract. `nodeSignature` is the node key's EIP-712
    /// signature of `NodeRegistration(node, msg.sender)` (65 bytes or ERC-2098 64 bytes).
    function registerNode(address node, string calldata endpoint, uint96 amount, bytes calldata nodeSignature) external;

    /// @notice Adds `amount` to the stake of the caller's `node`; the result MUST reach `minStake()`.
    function increaseStake(address node, uint96 amount) external;

    /// @notice Queues `amount` of the caller's `node` stake for withdrawal strictly after `unbondedAt +
    /// governanceLatency()`. The amount stops voting at once.
    /// @dev The remaining active stake MUST be zero (leaving) or at least `minStake()`. Earlier requests keep their
    /// own clock.
    /// @return unbondedAt Now plus `unbondingDelay()`, or the previous request's `unbondedAt` if that is later.
    function requestUnstake(address node, uint96 amount) external returns (uint40 unbondedAt);

    /// @notice Sends the caller every matured unstake request of `node` (what slashing left of them).
    /// @dev A request has matured when `block.timestamp > unbondedAt + governanceLatency()`, the latency read now.
    /// Reverts with `NodeStakingNothingToWithdraw` if nothing is unbonding, `NodeStakingStillUnbonding` if nothing
    /// has matured (or slashing took all of what had). Reverts if a governor is set and its latency cannot be read.
    /// @return amount The amount sent.
    function withdraw(address node) external returns (uint96 amount);

    /// @notice Sets the public endpoint (e.g. a multiaddr or URL) of the caller's `node`.
    function setEndpoint(address node, string calldata endpoint) external;

    /// @notice Slashes up to `amount` of `node`'s stake (active first, then unbonding, oldest request first) to
    /// `recipient`: all of it, or everything left if less is at stake when the slash executes.
    /// @dev Only the owner (governance). `evidence` references the proof of fraud (e.g. a hash of the receipts). If
    /// nothing is left it takes nothing and still emits `NodeSlashed` with zero, so a proposal slashing several nodes
    /// is not blocked by one that emptied itself. Reverts with `NodeStakingZeroAmount` if `amount` is zero.
    /// @return slashed The amount taken.
    function slash(address node, uint96 amount, address recipient, bytes32 evidence) external returns (uint96 slashed);

    /// @notice Sets the minimum stake. Only the owner. Nodes below the new minimum stop being active until topped up.
    function setMinStake(uint96 minStake) external;

    /// @notice Sets the unbonding delay for future unstake requests. Only the owner.
    function setUnbondingDelay(uint32 unbondingDelay) external;

    /// @notice Sets the governor whose latency (`IDCMXGovernor.governanceLatency`) every unstake request waits out
    /// after its unbonding delay, queued ones included. Only the owner; `governor` MUST count this contract's stake
    /// (`staking()`).
    /// @dev The deployment sets it while wiring, before handing ownership to the timelock.
    function setGovernor(address governor) external;

    /// @notice The node's record (zero operator if unknown).
    function nodeOf(address node) external view returns (Node memory);

    /// @notice The node's pending unstake requests, oldest first, with what slashing left of each.
    function unstakeRequestsOf(address node) external view returns (UnstakeRequest[] memory);

    /// @notice What `withdraw(node)` would pay now.
    function withdrawableOf(address node) external view returns (uint96);

    /// @notice The node's operator if the node is active (`stake >= minStake()`), else zero.
    function activeOperatorOf(address node) external view returns (address);

    /// @notice The node's operator, active or not (zero if never registered).
    function operatorOf(address node) external view returns (address);

    /// @notice The minimum active stake in wei.
    function minStake() external view returns (uint96);

    /// @notice The governance-set part of the unstake delay, in seconds: how long after a request a slash can still
    /// be proposed in time.
    function unbondingDelay() external view returns (uint32);

    /// @notice `unbondingDelay()` plus `governanceLatency()`, in seconds: a request made now is withdrawable strictly
    /// after this delay if neither changes.
    function unstakeDelay() external view returns (uint256);

    /// @notice The governor's current latency (`IDCMXGovernor.governanceLatency`), zero if no governor is set: a
    /// request is withdrawable strictly after its `unbondedAt` plus this, read at withdrawal. After `setGovernor`
    /// replaces a governor, never less than the replaced governor's latency for that latency plus one second (its
    /// proposals in flight keep their schedule).
    function governanceLatency() external view returns (uint256);

    /// @notice The governor whose latency unstake requests wait out (zero if unset: the delay is `unbondingDelay()`).
    function governor() external view returns (address);

    /// @notice The staked token.
    function token() external view returns (address);

    /// @notice The current voting weight `operator` holds through stake (all its nodes' active stake).
    function stakedVotes(address operator) external view returns (uint256);

    /// @notice The voting weight `operator` held through active stake at time `timepoint` (MUST be in the past).
    function getPastStakedVotes(address operator, uint256 timepoint) external view returns (uint256);

    /// @notice ERC-6372: the current timepoint of the vote checkpoints, `block.timestamp`.
    function clock() external view returns (uint48);

    /// @notice ERC-6372: "mode=timestamp".
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external view returns (string memory);

    /// @notice The EIP-712 digest the node key signs to be registered by `operator`.
    function registrationDigest(address node, address operator) external view returns (bytes32);
}
