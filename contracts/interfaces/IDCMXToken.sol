// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDCMXToken
/// @notice The DCMX token: ERC-20 with ERC-2612 permit and ERC-5805 voting power, and a hard cap on supply. After the
/// initial allocations minted at deploy, new tokens only come from holders of `MINTER_ROLE` (the BandwidthRewards
/// contract). There is no burn, so `totalSupply()` is also the total ever minted.
/// @dev Clock (ERC-6372): `clock()` is `block.timestamp` and `CLOCK_MODE()` is "mode=timestamp", so vote checkpoints,
/// and with them the Governor's voting delay and period, are in seconds and mean the same time on every chain.
///
/// Initial supply: the constructor mints the treasury allocation (to the timelock, whose tokens never vote because it
/// never delegates) and an explicit list of allocations straight to their recipients; no account receives the whole
/// distribution. IMPORTANT: a deployment MUST keep every single allocation (and every set of allocations one party
/// controls) below the Governor's quorum, or that party alone passes proposals.
///
/// IMPORTANT: `DEFAULT_ADMIN_ROLE` (the governance timelock) can grant `MINTER_ROLE`; the cap bounds supply whatever
/// governance does.
interface IDCMXToken {
    /// @notice An initial allocation: `amount` wei minted to `account` at deploy.
    struct Allocation {
        address account;
        uint256 amount;
    }

    /// @notice Minting `requested` tokens would exceed the cap; only `available` remain mintable.
    error DCMXTokenCapExceeded(uint256 requested, uint256 available);
    /// @notice The initial allocations together exceed the cap (or the cap is zero).
    error DCMXTokenInvalidCap(uint256 cap, uint256 initialSupply);

    /// @notice Mints `amount` new tokens to `to`.
    /// @dev Only `MINTER_ROLE`. Reverts with `DCMXTokenCapExceeded` if `totalSupply() + amount > cap()`.
    function mint(address to, uint256 amount) external;

    /// @notice The role allowed to mint (BandwidthRewards).
    function MINTER_ROLE() external view returns (bytes32);

    /// @notice The hard cap on total supply, in wei.
    function cap() external view returns (uint256);
}
