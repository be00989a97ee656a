// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IDCMXToken} from "./interfaces/IDCMXToken.sol";

/// @title DCMXToken
/// @notice The native token of the DCMX network. See {IDCMXToken}.
contract DCMXToken is IDCMXToken, ERC20, ERC20Permit, ERC20Votes, AccessControl {
    /// @inheritdoc IDCMXToken
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    uint256 private immutable _cap;

    /// @param admin Receives `DEFAULT_ADMIN_ROLE` (the deployer while wiring, then the timelock).
    /// @param treasury Receives the treasury allocation (the timelock).
    /// @param treasuryAllocation The treasury allocation in wei.
    /// @param allocations The rest of the initial supply, minted straight to each recipient.
    /// @param cap_ The hard cap on supply in wei, at least the sum of all allocations.
    constructor(
        address admin,
        address treasury,
        uint256 treasuryAllocation,
        Allocation[] memory allocations,
        uint256 cap_
    ) ERC20("DCMX", "DCMX") ERC20Permit("DCMX") {
        uint256 initialSupply = treasuryAllocation;
        for (uint256 i; i < allocations.length; ++i) {
            initialSupply += allocations[i].amount;
        }
        if (cap_ == 0 || initialSupply > cap_) revert DCMXTokenInvalidCap(cap_, initialSupply);
        _cap = cap_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (treasuryAllocation != 0) _mint(treasury, treasuryAllocation);
        for (uint256 i; i < allocations.length; ++i) {
            _mint(allocations[i].account, allocations[i].amount);
        }
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

    /// @notice ERC-6372: checkpoints are keyed by `block.timestamp`. See {IDCMXToken}.
    function clock() public view override returns (uint48) {
        return Time.timestamp();
    }

    /// @notice ERC-6372: "mode=timestamp".
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @dev ERC20Votes checks this bound too; ours is stricter and reverts first with our own error in `mint`.
    function _maxSupply() internal view override returns (uint256) {
        return _cap;
    }
}
