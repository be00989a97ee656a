// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {INodeStaking} from "./interfaces/INodeStaking.sol";

/// @title NodeStaking
/// @notice Registry and stake of DCMX mesh nodes. See {INodeStaking}.
contract NodeStaking is INodeStaking, Ownable, EIP712 {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    bytes32 public constant REGISTRATION_TYPEHASH = keccak256("NodeRegistration(address node,address operator)");
    uint32 private constant _MIN_UNBONDING_DELAY = 1 days;
    uint32 private constant _MAX_UNBONDING_DELAY = 365 days;

    IERC20 private immutable _token;
    uint96 private _minStake;
    uint32 private _unbondingDelay;
    mapping(address node => Node record) private _nodes;
    mapping(address operator => Checkpoints.Trace208 votes) private _stakedVotes;

    modifier onlyOperator(address node) {
        if (_nodes[node].operator != msg.sender) revert NodeStakingNotOperator(node, msg.sender);
        _;
    }

    /// @param token_ The DCMX token (block-number clock).
    /// @param owner_ Governance (the timelock).
    /// @param minStake_ Minimum active stake in wei.
    /// @param unbondingDelay_ Unbonding delay in seconds, 1 day .. 365 days.
    constructor(IERC20 token_, address owner_, uint96 minStake_, uint32 unbondingDelay_)
        Ownable(owner_)
        EIP712("DCMX NodeStaking", "1")
    {
        _token = token_;
        _setMinStake(minStake_);
        _setUnbondingDelay(unbondingDelay_);
    }

    /// @inheritdoc INodeStaking
    function registerNode(address node, string calldata endpoint, uint96 amount, bytes calldata nodeSignature)
        external
    {
        Node storage record = _nodes[node];
        if (record.operator != address(0)) revert NodeStakingAlreadyRegistered(node, record.operator);
        if (bytes(endpoint).length == 0) revert NodeStakingEmptyEndpoint();
        if (amount < _minStake) revert NodeStakingStakeBelowMinimum(amount, _minStake);
        if (!SignatureChecker.isValidSignatureNowCalldata(node, registrationDigest(node, msg.sender), nodeSignature)) {
            revert NodeStakingInvalidNodeSignature(node);
        }
        record.operator = msg.sender;
        record.stake = amount;
        _addVotes(msg.sender, amount);
        emit NodeRegistered(node, msg.sender, endpoint, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeStaking
    function increaseStake(address node, uint96 amount) external onlyOperator(node) {
        if (amount == 0) revert NodeStakingZeroAmount();
        Node storage record = _nodes[node];
        uint96 stake = record.stake + amount;
        if (stake < _minStake) revert NodeStakingStakeBelowMinimum(stake, _minStake);
        record.stake = stake;
        _addVotes(msg.sender, amount);
        emit StakeIncreased(node, amount, stake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeStaking
    function requestUnstake(address node, uint96 amount) external onlyOperator(node) {
        if (amount == 0) revert NodeStakingZeroAmount();
        Node storage record = _nodes[node];
        uint96 stake = record.stake;
        if (amount > stake) revert NodeStakingInsufficientStake(node, amount, stake);
        uint96 remaining = stake - amount;
        if (remaining != 0 && remaining < _minStake) revert NodeStakingStakeBelowMinimum(remaining, _minStake);
        uint96 unbonding = record.unbonding + amount;
        uint40 endsAt = uint40(block.timestamp) + _unbondingDelay;
        record.stake = remaining;
        record.unbonding = unbonding;
        record.unbondingEndsAt = endsAt;
        emit UnstakeRequested(node, amount, unbonding, endsAt);
    }

    /// @inheritdoc INodeStaking
    function withdraw(address node) external onlyOperator(node) {
        Node storage record = _nodes[node];
        uint96 amount = record.unbonding;
        if (amount == 0) revert NodeStakingNothingToWithdraw(node);
        if (block.timestamp < record.unbondingEndsAt) revert NodeStakingStillUnbonding(node, record.unbondingEndsAt);
        record.unbonding = 0;
        record.unbondingEndsAt = 0;
        _subtractVotes(msg.sender, amount);
        emit StakeWithdrawn(node, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc INodeStaking
    function setEndpoint(address node, string calldata endpoint) external onlyOperator(node) {
        if (bytes(endpoint).length == 0) revert NodeStakingEmptyEndpoint();
        emit EndpointUpdated(node, endpoint);
    }

    /// @inheritdoc INodeStaking
    function slash(address node, uint96 amount, address recipient, bytes32 evidence) external onlyOwner {
        if (amount == 0) revert NodeStakingZeroAmount();
        Node storage record = _nodes[node];
        uint96 stake = record.stake;
        uint96 unbonding = record.unbonding;
        if (amount > stake + unbonding) revert NodeStakingInsufficientStake(node, amount, stake + unbonding);
        if (amount <= stake) {
            record.stake = stake - amount;
        } else {
            record.stake = 0;
            record.unbonding = unbonding - (amount - stake);
        }
        _subtractVotes(record.operator, amount);
        emit NodeSlashed(node, amount, recipient, evidence);
        _token.safeTransfer(recipient, amount);
    }

    /// @inheritdoc INodeStaking
    function setMinStake(uint96 minStake_) external onlyOwner {
        _setMinStake(minStake_);
    }

    /// @inheritdoc INodeStaking
    function setUnbondingDelay(uint32 unbondingDelay_) external onlyOwner {
        _setUnbondingDelay(unbondingDelay_);
    }

    /// @inheritdoc INodeStaking
    function nodeOf(address node) external view returns (Node memory) {
        return _nodes[node];
    }

    /// @inheritdoc INodeStaking
    function activeOperatorOf(address node) external view returns (address) {
        Node storage record = _nodes[node];
        return record.stake >= _minStake && record.stake != 0 ? record.operator : address(0);
    }

    /// @inheritdoc INodeStaking
    function operatorOf(address node) external view returns (address) {
        return _nodes[node].operator;
    }

    /// @inheritdoc INodeStaking
    function minStake() external view returns (uint96) {
        return _minStake;
    }

    /// @inheritdoc INodeStaking
    function unbondingDelay() external view returns (uint32) {
        return _unbondingDelay;
    }

    /// @inheritdoc INodeStaking
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc INodeStaking
    function stakedVotes(address operator) external view returns (uint256) {
        return _stakedVotes[operator].latest();
    }

    /// @inheritdoc INodeStaking
    function getPastStakedVotes(address operator, uint256 timepoint) external view returns (uint256) {
        uint48 clock = SafeCast.toUint48(block.number);
        if (timepoint >= clock) revert NodeStakingFutureLookup(timepoint, clock);
        return _stakedVotes[operator].upperLookupRecent(SafeCast.toUint48(timepoint));
    }

    /// @inheritdoc INodeStaking
    function registrationDigest(address node, address operator) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REGISTRATION_TYPEHASH, node, operator)));
    }

    function _addVotes(address operator, uint96 amount) private {
        Checkpoints.Trace208 storage votes = _stakedVotes[operator];
        votes.push(uint48(block.number), votes.latest() + amount);
    }

    function _subtractVotes(address operator, uint96 amount) private {
        Checkpoints.Trace208 storage votes = _stakedVotes[operator];
        votes.push(uint48(block.number), votes.latest() - amount);
    }

    function _setMinStake(uint96 minStake_) private {
        _minStake = minStake_;
        emit MinStakeUpdated(minStake_);
    }

    function _setUnbondingDelay(uint32 unbondingDelay_) private {
        if (unbondingDelay_ < _MIN_UNBONDING_DELAY || unbondingDelay_ > _MAX_UNBONDING_DELAY) {
            revert NodeStakingInvalidUnbondingDelay(unbondingDelay_);
        }
        _unbondingDelay = unbondingDelay_;
        emit UnbondingDelayUpdated(unbondingDelay_);
    }
}
