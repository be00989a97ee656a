// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDCMXTimelock
/// @notice The DCMX governance timelock: an OpenZeppelin TimelockController that owns or administers every protocol
/// parameter (NodeStaking and BandwidthRewards ownership, DCMXToken's `DEFAULT_ADMIN_ROLE`, and the Editions
/// contract's ownership once the lead's module transfers it) and holds the treasury allocation, which DCMXToken mints
/// to it at deploy. The timelock never delegates, so the treasury never votes.
/// @dev Roles after deployment: `PROPOSER_ROLE` and `CANCELLER_ROLE` = DCMXGovernor only; `EXECUTOR_ROLE` = anyone
/// (address(0)), so an approved proposal cannot be blocked once its delay has passed; `DEFAULT_ADMIN_ROLE` = the
/// timelock itself (the deployer renounces it), so only governance can change roles. IMPORTANT: `minDelay` is the
/// time token holders have to exit or react before a passed proposal executes; it is part of the governance latency
/// (`IDCMXGovernor.governanceLatency`) that NodeStaking adds to every unstake request.
interface IDCMXTimelock {
    /// @notice The DCMX deployment this timelock governs, for explorers: returns "DCMX".
    function protocol() external pure returns (string memory);
}
