// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title INodeStaking
/// @notice The registry of DCMX mesh nodes. An operator registers a node by its signing address (the node's identity
/// key, which the mesh uses as its peer id) and its public endpoint, staking at least `minStake()` DCMX. Unstaking
/// goes through an unbonding delay during which the stake stays slashable. Governance (the owner, i.e. the timelock)
/// slashes stake for proven fraud and sets `minStake` and the unbonding delay.
/// @dev Registration requires an EIP-712 signature by the node key over `NodeRegistration(address node,address
/// operator)` in the domain `{name: "DCMX NodeStaking", version: "1", chainId, verifyingContract: this}`, so nobody can
/// squat another operator's peer id. A node's operator is fixed forever once registered.
///
/// Endpoints are not stored: a node's endpoint is the one in its latest `NodeRegistered` or `EndpointUpdated` log
/// (an indexer or `eth_getLogs` filtered by the indexed node reads it). That saves a 22k-gas slot per registration.
///
/// Voting power: staked tokens (stake plus unbonding, until withdrawn or slashed) count as votes of the node's
/// operator in DCMXGovernor through `getPastStakedVotes`, checkpointed on the same block-number clock as DCMXToken.
/// Staked votes are not delegable: they belong to the operator account.
interface INodeStaking {
    /// @notice A node as stored (two slots).
    /// @param operator The account that staked and receives rewards; zero if the node never registered.
    /// @param stake Active stake in wei; the node is active while `stake >= minStake()`.
    /// @param unbonding Stake leaving the node, withdrawable at `unbondingEndsAt`; still slashable.
    /// @param unbondingEndsAt Unix time the unbonding stake becomes withdrawable.
    struct Node {
        address operator;
        uint96 stake;
        uint96 unbonding;
        uint40 unbondingEndsAt;
    }

    /// @notice Emitted when `operator` registers `node` at `endpoint` with `stake`.
    event NodeRegistered(address indexed node, address indexed operator, string endpoint, uint96 stake);
    /// @notice Emitted when the operator adds `amount` to the node's stake.
    event StakeIncreased(address indexed node, uint96 amount, uint96 stake);
    /// @notice Emitted when the operator starts unbonding `amount` of the node's stake.
    event UnstakeRequested(address indexed node, uint96 amount, uint96 unbonding, uint40 unbondingEndsAt);
    /// @notice Emitted when the operator withdraws the node's unbonded stake.
    event StakeWithdrawn(address indexed node, address indexed operator, uint96 amount);
    /// @notice Emitted when governance slashes `amount` of the node's stake to `recipient`.
    event NodeSlashed(address indexed node, uint96 amount, address recipient, bytes32 evidence);
    /// @notice Emitted when the operator changes the node's public endpoint.
    event EndpointUpdated(address indexed node, string endpoint);
    /// @notice Emitted when governance sets the minimum stake.
    event MinStakeUpdated(uint96 minStake);
    /// @notice Emitted when governance sets the unbonding delay.
    event UnbondingDelayUpdated(uint32 unbondingDelay);

    /// @notice The node already has an operator.
    error NodeStakingAlreadyRegistered(address node, address operator);
    /// @notice The node's key did not sign the registration for this operator.
    error NodeStakingInvalidNodeSignature(address node);
    /// @notice The resulting stake is below the minimum (and not zero, for an unstake).
    error NodeStakingStakeBelowMinimum(uint256 stake, uint256 minStake);
    /// @notice The caller is not the node's operator.
    error NodeStakingNotOperator(address node, address caller);
    /// @notice The amount exceeds what the node has at stake.
    error NodeStakingInsufficientStake(address node, uint256 amount, uint256 available);
    /// @notice The amount is zero.
    error NodeStakingZeroAmount();
    /// @notice The unbonding stake is not withdrawable until `unbondingEndsAt`.
    error NodeStakingStillUnbonding(address node, uint40 unbondingEndsAt);
    /// @notice The node has nothing unbonding.
    error NodeStakingNothingToWithdraw(address node);
    /// @notice The endpoint is empty.
    error NodeStakingEmptyEndpoint();
    /// @notice The unbonding delay is outside 1 day .. 365 days.
    error NodeStakingInvalidUnbondingDelay(uint32 unbondingDelay);
    /// @notice `timepoint` is not in the past of the clock.
    error NodeStakingFutureLookup(uint256 timepoint, uint48 clock);

    /// @notice Registers `node` (its signing address) at `endpoint` for the caller, staking `amount` DCMX.
    /// @dev The caller MUST have approved `amount` to this contract. `nodeSignature` is the node key's EIP-712
    /// signature of `NodeRegistration(node, msg.sender)` (65 bytes or ERC-2098 64 bytes).
    function registerNode(address node, string calldata endpoint, uint96 amount, bytes calldata nodeSignature) external;

    /// @notice Adds `amount` to the stake of the caller's `node`; the result MUST reach `minStake()`.
    function increaseStake(address node, uint96 amount) external;

    /// @notice Moves `amount` of the caller's `node` stake into unbonding for `unbondingDelay()` seconds.
    /// @dev The remaining stake MUST be zero (leaving) or at least `minStake()`. IMPORTANT: a new request restarts the
    /// delay for everything already unbonding.
    function requestUnstake(address node, uint96 amount) external;

    /// @notice Sends the caller's unbonded stake of `node` back to the caller once the delay has passed.
    function withdraw(address node) external;

    /// @notice Sets the public endpoint (e.g. a multiaddr or URL) of the caller's `node`.
    function setEndpoint(address node, string calldata endpoint) external;

    /// @notice Slashes `amount` of `node`'s stake (active first, then unbonding) to `recipient`.
    /// @dev Only the owner (governance). `evidence` references the proof of fraud (e.g. a hash of the receipts).
    function slash(address node, uint96 amount, address recipient, bytes32 evidence) external;

    /// @notice Sets the minimum stake. Only the owner. Nodes below the new minimum stop being active until topped up.
    function setMinStake(uint96 minStake) external;

    /// @notice Sets the unbonding delay for future unstake requests. Only the owner.
    function setUnbondingDelay(uint32 unbondingDelay) external;

    /// @notice The node's record (zero operator if unknown).
    function nodeOf(address node) external view returns (Node memory);

    /// @notice The node's operator if the node is active (`stake >= minStake()`), else zero.
    function activeOperatorOf(address node) external view returns (address);

    /// @notice The node's operator, active or not (zero if never registered).
    function operatorOf(address node) external view returns (address);

    /// @notice The minimum active stake in wei.
    function minStake() external view returns (uint96);

    /// @notice The unbonding delay in seconds.
    function unbondingDelay() external view returns (uint32);

    /// @notice The staked token.
    function token() external view returns (address);

    /// @notice The current voting weight `operator` holds through stake (all its nodes' stake plus unbonding).
    function stakedVotes(address operator) external view returns (uint256);

    /// @notice The voting weight `operator` held through stake at block `timepoint` (MUST be in the past).
    function getPastStakedVotes(address operator, uint256 timepoint) external view returns (uint256);

    /// @notice The EIP-712 digest the node key signs to be registered by `operator`.
    function registrationDigest(address node, address operator) external view returns (bytes32);
}
