// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IDCMXToken} from "./interfaces/IDCMXToken.sol";

/// @title DCMXToken
/// @notice The native token of the DCMX network. See {IDCMXToken}.
contract DCMXToken is IDCMXToken, ERC20, ERC20Permit, ERC20Votes, AccessControl {
    /// @inheritdoc IDCMXToken
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    uint256 private immutable _cap;

    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (the deployer while wiring, then the timelock).
    /// @param initialHolder Receives the initial allocation (the treasury, i.e. the timelock).
    /// @param initialSupply The initial allocation in wei, at most `cap_`.
    /// @param cap_ The hard cap on supply in wei.
    constructor(address admin, address initialHolder, uint256 initialSupply, uint256 cap_)
        ERC20("DCMX", "DCMX")
        ERC20Permit("DCMX")
    {
        if (cap_ == 0 || initialSupply > cap_) revert DCMXTokenInvalidCap(cap_, initialSupply);
        _cap = cap_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (initialSupply != 0) _mint(initialHolder, initialSupply);
    }

    /// @inheritdoc IDCMXToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        uint256 available = _cap - totalSupply();
        if (amount > available) revert DCMXTokenCapExceeded(amount, available);
        _mint(to, amount);
    }

    /// @inheritdoc IDCMXToken
    function cap() external view returns (uint256) {
        return _cap;
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @dev ERC20Votes checks this bound too; ours is stricter and reverts first with our own error in `mint`.
    function _maxSupply() internal view override returns (uint256) {
        return _cap;
    }
}
