// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IDCMXTimelock} from "./interfaces/IDCMXTimelock.sol";

/// @title DCMXTimelock
/// @notice The governance timelock. See {IDCMXTimelock}.
contract DCMXTimelock is IDCMXTimelock, TimelockController {
    /// @param minDelay Seconds between queueing and executing a proposal.
    /// @param proposers Accounts that may schedule (the governor).
    /// @param executors Accounts that may execute (address(0): anyone).
    /// @param admin Optional temporary admin for wiring (the deployer, who MUST renounce), or address(0).
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}

    /// @inheritdoc IDCMXTimelock
    function protocol() external pure returns (string memory) {
        return "DCMX";
    }
}
