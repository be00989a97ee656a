// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IDCMXGovernor} from "./interfaces/IDCMXGovernor.sol";
import {INodeStaking} from "./interfaces/INodeStaking.sol";

/// @title DCMXGovernor
/// @notice DCMX token-holder governance. See {IDCMXGovernor}.
contract DCMXGovernor is
    IDCMXGovernor,
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @dev A latency floor and the last second it applies.
    struct Hold {
        uint208 latency;
        uint48 until;
    }

    INodeStaking private immutable _staking;
    /// @dev Floors under `governanceLatency()`, each until its `until` (inclusive), so a latency decrease cannot
    /// shorten the unstake delay of stake an in-flight slash may target. Two slots: a hold that neither dominates nor
    /// is dominated by the first goes to the second, so a later, smaller hold never stretches a larger one.
    Hold[2] private _holds;
    mapping(uint256 proposalId => uint48 timepoint) private _proposedAt;

    /// @param token_ DCMXToken.
    /// @param timelock_ The TimelockController that executes proposals and owns the protocol.
    /// @param staking_ NodeStaking, whose stake counts as its operators' votes.
    /// @param votingDelay_ Seconds between proposal and vote start.
    /// @param votingPeriod_ Seconds the vote lasts.
    /// @param proposalThreshold_ Votes needed to propose, in wei.
    /// @param quorumPercent Quorum as a percentage of total supply.
    constructor(
        IVotes token_,
        TimelockController timelock_,
        INodeStaking staking_,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumPercent
    )
        Governor("DCMX Governor")
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(token_)
        GovernorVotesQuorumFraction(quorumPercent)
        GovernorTimelockControl(timelock_)
    {
        _staking = staking_;
    }

    /// @inheritdoc IDCMXGovernor
    function staking() external view returns (address) {
        return address(_staking);
    }

    /// @inheritdoc IDCMXGovernor
    function heldLatency() external view returns (uint256 latency, uint256 until) {
        for (uint256 i; i < 2; ++i) {
            Hold memory hold = _holds[i];
            if (block.timestamp <= hold.until && hold.latency > latency) (latency, until) = (hold.latency, hold.until);
        }
    }

    /// @inheritdoc IDCMXGovernor
    function governanceLatency() public view returns (uint256) {
        uint256 latency = _liveLatency();
        for (uint256 i; i < 2; ++i) {
            Hold memory hold = _holds[i];
            if (block.timestamp <= hold.until && hold.latency > latency) latency = hold.latency;
        }
        return latency;
    }

    /// @inheritdoc Governor
    function state(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (ProposalState)
    {
        return super.state(proposalId);
    }

    /// @inheritdoc Governor
    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    /// @inheritdoc Governor
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48 eta) {
        eta = super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
        // This proposal's own latency (its voting delay and period, fixed when proposed, plus the timelock delay it
        // waits out) holds until it is executable, whatever the settings are changed to meanwhile.
        _holdLatency(proposalDeadline(proposalId) - _proposedAt[proposalId] + (eta - block.timestamp), eta);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    /// @dev Records when the proposal was made, for its latency when it is queued.
    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal override returns (uint256 proposalId) {
        proposalId = super._propose(targets, values, calldatas, description, proposer);
        _proposedAt[proposalId] = clock();
    }

    /// @dev A proposal made before the change keeps the old voting delay and period: the latency it had holds until
    /// such a proposal can have executed.
    function _setVotingDelay(uint48 newVotingDelay) internal override {
        _holdCurrentLatency();
        super._setVotingDelay(newVotingDelay);
    }

    /// @dev As `_setVotingDelay`.
    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        _holdCurrentLatency();
        super._setVotingPeriod(newVotingPeriod);
    }

    /// @dev Delegated token votes plus the account's own stake, both at `timepoint`.
    function _getVotes(address account, uint256 timepoint, bytes memory params)
        internal
        view
        override(Governor, GovernorVotes)
        returns (uint256)
    {
        return super._getVotes(account, timepoint, params) + _staking.getPastStakedVotes(account, timepoint);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }

    function _holdCurrentLatency() private {
        if (timelock() == address(0)) return; // in the constructor: nothing was proposed yet
        uint256 latency = governanceLatency();
        _holdLatency(latency, block.timestamp + latency + 1);
    }

    /// @dev Adds a floor of `latency` until `until`. A hold dominated by an active one is dropped; one that dominates
    /// (or finds a slot expired) takes that slot; two holds that are not comparable keep a slot each, and only a
    /// third incomparable one is merged (max of both), which errs towards holding longer.
    function _holdLatency(uint256 latency, uint256 until) private {
        Hold memory next = Hold(SafeCast.toUint208(latency), SafeCast.toUint48(until));
        for (uint256 i; i < 2; ++i) {
            Hold memory hold = _holds[i];
            bool active = block.timestamp <= hold.until;
            if (active && next.latency <= hold.latency && next.until <= hold.until) return;
            if (!active || (next.latency >= hold.latency && next.until >= hold.until)) {
                _holds[i] = next;
                emit GovernanceLatencyHeld(latency, until);
                return;
            }
        }
        Hold memory second = _holds[1];
        if (second.latency > next.latency) next.latency = second.latency;
        if (second.until > next.until) next.until = second.until;
        _holds[1] = next;
        emit GovernanceLatencyHeld(next.latency, next.until);
    }

    function _liveLatency() private view returns (uint256) {
        return votingDelay() + votingPeriod() + TimelockController(payable(timelock())).getMinDelay();
    }
}
