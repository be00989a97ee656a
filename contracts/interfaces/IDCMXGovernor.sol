// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDCMXGovernor
/// @notice DCMX governance: an OpenZeppelin Governor (settings, simple counting, votes, quorum fraction, timelock
/// control) over DCMXToken, executing through a TimelockController that owns every protocol parameter (reward rate,
/// bonuses, epoch length, per-client cap, emission cap, minStake, unbonding delay, slashing, and the Editions
/// contract's protocol fee, treasury, royalty cap and content URI).
/// @dev An account's votes are its delegated DCMXToken votes plus the stake its nodes hold in NodeStaking
/// (`INodeStaking.getPastStakedVotes`), both on the token's block-number clock. So staking does not cost an operator
/// its voting power; staked votes count for the operator itself and cannot be delegated. The quorum is a fraction of
/// the token's total supply, which includes staked tokens.
interface IDCMXGovernor {
    /// @notice The node registry whose stake counts as voting power.
    function staking() external view returns (address);
}
