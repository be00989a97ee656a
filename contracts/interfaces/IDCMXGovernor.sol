// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDCMXGovernor
/// @notice DCMX governance: an OpenZeppelin Governor (settings, simple counting, votes, quorum fraction, timelock
/// control) over DCMXToken, executing through a TimelockController that owns every protocol parameter (reward rate,
/// bonuses, epoch length, per-client cap, emission cap, minStake, unbonding delay, slashing, and the Editions
/// contract's protocol fee, treasury, royalty cap and content URI).
/// @dev Clock: the token's ERC-6372 timestamp clock, so `votingDelay()` and `votingPeriod()` are in seconds and a vote
/// lasts the same time on L1 and on a fast L2.
///
/// An account's votes are its delegated DCMXToken votes plus the ACTIVE stake its nodes hold in NodeStaking
/// (`INodeStaking.getPastStakedVotes`), both on the same clock. So staking does not cost an operator its voting power;
/// staked votes count for the operator itself and cannot be delegated; unbonding stake does not vote. The quorum is a
/// fraction of the token's total supply, which includes staked and treasury tokens (the treasury never votes).
interface IDCMXGovernor {
    /// @notice Emitted when `governanceLatency()` is held at no less than `latency` until `until` (inclusive): when
    /// the voting delay or period changes, and when a proposal is queued.
    event GovernanceLatencyHeld(uint256 latency, uint256 until);

    /// @notice The node registry whose stake counts as voting power.
    function staking() external view returns (address);

    /// @notice The longest time, in seconds, from a proposal to its earliest execution for any proposal that may still
    /// be in flight: voting delay + voting period + the timelock's minimum delay at current settings, but never less
    /// than the held latency (`heldLatency()`) while it holds.
    /// @dev NodeStaking adds it, read at withdrawal, to every unstake request's unbonding delay, so a slash proposed
    /// strictly within the unbonding delay of a request executes before that stake can be withdrawn. Increases apply
    /// at once. Decreases cannot shorten that wait for proposals already made: changing the voting delay or period
    /// holds the previous latency for that latency plus one second (a proposal made before keeps its old delay and
    /// period), and queueing a proposal holds that proposal's own latency (its voting delay and period, fixed when
    /// it was made, plus the timelock delay it waits out) until its eta, whatever the settings are changed to meanwhile.
    function governanceLatency() external view returns (uint256);

    /// @notice The floor under `governanceLatency()` and until when (unix time, inclusive) it holds.
    function heldLatency() external view returns (uint256 latency, uint256 until);
}
