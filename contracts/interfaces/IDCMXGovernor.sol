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
    /// @notice The node registry whose stake counts as voting power.
    function staking() external view returns (address);

    /// @notice The shortest time from a proposal to its execution, in seconds: voting delay + voting period + the
    /// timelock's minimum delay, at current settings.
    /// @dev NodeStaking adds it to every unstake request's delay, so a slash proposed when an operator starts leaving
    /// executes before the stake can be withdrawn.
    function governanceLatency() external view returns (uint256);
}
