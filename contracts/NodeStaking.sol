// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IDCMXGovernor} from "./interfaces/IDCMXGovernor.sol";
import {INodeStaking} from "./interfaces/INodeStaking.sol";

/// @title NodeStaking
/// @notice Registry and stake of DCMX mesh nodes. See {INodeStaking}.
contract NodeStaking is INodeStaking, Ownable, EIP712 {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @dev A node in storage, two slots. The unstake queue is kept as running totals: `requested` is everything ever
    /// queued, `released` everything that left the queue (withdrawn, or slashed oldest first), so `requested -
    /// released` is unbonding and a slash of unbonding stake is one addition. `head` is the first request not yet
    /// withdrawn past, where `withdraw` starts its search.
    struct NodeState {
        address operator;
        uint96 stake;
        uint112 requested;
        uint112 released;
        uint32 head;
    }

    /// @dev One queued request: the running total of `requested` after it, and when its unbonding delay ends (never
    /// before the previous request's). It is withdrawable strictly after `unbondedAt` plus the governance latency read
    /// at withdrawal. One slot.
    struct Request {
        uint112 cumulative;
        uint40 unbondedAt;
    }

    bytes32 public constant REGISTRATION_TYPEHASH = keccak256("NodeRegistration(address node,address operator)");
    uint32 private constant _MIN_UNBONDING_DELAY = 1 days;
    uint32 private constant _MAX_UNBONDING_DELAY = 365 days;

    IERC20 private immutable _token;
    uint96 private _minStake;
    uint32 private _unbondingDelay;
    IDCMXGovernor private _governor;
    /// @dev The latency of the replaced governor, held as a floor until `_previousLatencyUntil` (inclusive): its
    /// proposals in flight keep their schedule. Packed with `_governor`, which `withdraw` reads anyway.
    uint48 private _previousLatency;
    uint40 private _previousLatencyUntil;
    mapping(address node => NodeState record) private _nodes;
    mapping(address node => Request[] queue) private _requests;
    mapping(address operator => Checkpoints.Trace208 votes) private _stakedVotes;

    modifier onlyOperator(address node) {
        if (_nodes[node].operator != msg.sender) revert NodeStakingNotOperator(node, msg.sender);
        _;
    }

    /// @param token_ The DCMX token (ERC-6372 timestamp clock, like this contract's vote checkpoints).
    /// @param owner_ Governance (the timelock), or the deployer while wiring `setGovernor`.
    /// @param minStake_ Minimum active stake in wei.
    /// @param unbondingDelay_ Unbonding delay in seconds, 1 day .. 365 days, before the governor's latency is added.
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
        NodeState storage record = _nodes[node];
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
        NodeState storage record = _nodes[node];
        uint96 stake = record.stake + amount;
        if (stake < _minStake) revert NodeStakingStakeBelowMinimum(stake, _minStake);
        record.stake = stake;
        _addVotes(msg.sender, amount);
        emit StakeIncreased(node, amount, stake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeStaking
    function requestUnstake(address node, uint96 amount) external onlyOperator(node) returns (uint40 unbondedAt) {
        if (amount == 0) revert NodeStakingZeroAmount();
        NodeState storage record = _nodes[node];
        uint96 stake = record.stake;
        if (amount > stake) revert NodeStakingInsufficientStake(node, amount, stake);
        uint96 remaining = stake - amount;
        if (remaining != 0 && remaining < _minStake) revert NodeStakingStakeBelowMinimum(remaining, _minStake);
        unbondedAt = SafeCast.toUint40(block.timestamp + _unbondingDelay);
        Request[] storage queue = _requests[node];
        uint256 length = queue.length;
        if (length != 0) {
            uint40 previous = queue[length - 1].unbondedAt;
            if (previous > unbondedAt) unbondedAt = previous;
        }
        uint112 requested = record.requested + amount;
        record.stake = remaining;
        record.requested = requested;
        queue.push(Request({cumulative: requested, unbondedAt: unbondedAt}));
        _subtractVotes(msg.sender, amount);
        emit UnstakeRequested(node, amount, unbondedAt);
    }

    /// @inheritdoc INodeStaking
    function withdraw(address node) external onlyOperator(node) returns (uint96 amount) {
        NodeState storage record = _nodes[node];
        uint112 released = record.released;
        if (record.requested == released) revert NodeStakingNothingToWithdraw(node);
        Request[] storage queue = _requests[node];
        uint256 latency = governanceLatency();
        uint256 firstPending = _firstPending(queue, record.head, latency);
        uint112 matured = firstPending == 0 ? 0 : queue[firstPending - 1].cumulative;
        if (matured <= released) {
            revert NodeStakingStillUnbonding(node, _nextUnbondedAt(queue, firstPending, released) + latency + 1);
        }
        amount = SafeCast.toUint96(matured - released);
        record.released = matured;
        record.head = uint32(firstPending);
        emit StakeWithdrawn(node, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc INodeStaking
    function setEndpoint(address node, string calldata endpoint) external onlyOperator(node) {
        if (bytes(endpoint).length == 0) revert NodeStakingEmptyEndpoint();
        emit EndpointUpdated(node, endpoint);
    }

    /// @inheritdoc INodeStaking
    function slash(address node, uint96 amount, address recipient, bytes32 evidence)
        external
        onlyOwner
        returns (uint96 slashed)
    {
        if (amount == 0) revert NodeStakingZeroAmount();
        NodeState storage record = _nodes[node];
        uint96 stake = record.stake;
        uint256 available = stake + (record.requested - record.released);
        // Whatever left the node before the slash executed cannot make it fail: it takes what is still there.
        if (amount > available) amount = uint96(available); // fits: available < amount
        slashed = amount;
        if (amount == 0) {
            emit NodeSlashed(node, 0, recipient, evidence);
            return 0;
        }
        if (amount <= stake) {
            record.stake = stake - amount;
            _subtractVotes(record.operator, amount);
        } else {
            // Unbonding stake leaves the queue oldest first, exactly as a withdrawal would take it.
            record.stake = 0;
            record.released += amount - stake;
            if (stake != 0) _subtractVotes(record.operator, stake);
        }
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
    function setGovernor(address governor_) external onlyOwner {
        address counted = IDCMXGovernor(governor_).staking();
        if (counted != address(this)) revert NodeStakingGovernorMismatch(governor_, counted);
        if (address(_governor) != address(0)) {
            uint256 previous = governanceLatency();
            _previousLatency = SafeCast.toUint48(previous);
            _previousLatencyUntil = SafeCast.toUint40(block.timestamp + previous + 1);
        }
        _governor = IDCMXGovernor(governor_);
        emit GovernorUpdated(governor_);
    }

    /// @inheritdoc INodeStaking
    function nodeOf(address node) external view returns (Node memory) {
        NodeState storage record = _nodes[node];
        return Node({
            operator: record.operator,
            stake: record.stake,
            unbonding: SafeCast.toUint96(record.requested - record.released)
        });
    }

    /// @inheritdoc INodeStaking
    function unstakeRequestsOf(address node) external view returns (UnstakeRequest[] memory pending) {
        NodeState storage record = _nodes[node];
        Request[] storage queue = _requests[node];
        uint256 released = record.released;
        uint256 first = record.head;
        uint256 length = queue.length;
        while (first < length && queue[first].cumulative <= released) ++first;
        pending = new UnstakeRequest[](length - first);
        uint256 floor = released;
        for (uint256 i = first; i < length; ++i) {
            Request storage request = queue[i];
            pending[i - first] =
                UnstakeRequest({amount: SafeCast.toUint96(request.cumulative - floor), unbondedAt: request.unbondedAt});
            floor = request.cumulative;
        }
    }

    /// @inheritdoc INodeStaking
    function withdrawableOf(address node) external view returns (uint96) {
        NodeState storage record = _nodes[node];
        Request[] storage queue = _requests[node];
        uint256 firstPending = _firstPending(queue, record.head, governanceLatency());
        uint112 matured = firstPending == 0 ? 0 : queue[firstPending - 1].cumulative;
        return matured > record.released ? SafeCast.toUint96(matured - record.released) : 0;
    }

    /// @inheritdoc INodeStaking
    function activeOperatorOf(address node) external view returns (address) {
        NodeState storage record = _nodes[node];
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
    function governor() external view returns (address) {
        return address(_governor);
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
        uint48 now_ = clock();
        if (timepoint >= now_) revert NodeStakingFutureLookup(timepoint, now_);
        return _stakedVotes[operator].upperLookupRecent(uint48(timepoint));
    }

    /// @inheritdoc INodeStaking
    function unstakeDelay() external view returns (uint256) {
        return _unbondingDelay + governanceLatency();
    }

    /// @inheritdoc INodeStaking
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc INodeStaking
    function governanceLatency() public view returns (uint256) {
        IDCMXGovernor governor_ = _governor;
        uint256 live = address(governor_) == address(0) ? 0 : governor_.governanceLatency();
        uint256 previous = _previousLatency;
        return previous > live && block.timestamp <= _previousLatencyUntil ? previous : live;
    }

    /// @inheritdoc INodeStaking
    function clock() public view returns (uint48) {
        return Time.timestamp();
    }

    /// @inheritdoc INodeStaking
    function registrationDigest(address node, address operator) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REGISTRATION_TYPEHASH, node, operator)));
    }

    function _addVotes(address operator, uint96 amount) private {
        Checkpoints.Trace208 storage votes = _stakedVotes[operator];
        votes.push(Time.timestamp(), votes.latest() + amount);
    }

    function _subtractVotes(address operator, uint96 amount) private {
        Checkpoints.Trace208 storage votes = _stakedVotes[operator];
        votes.push(Time.timestamp(), votes.latest() - amount);
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

    /// @dev The first index in `queue[from:]` not yet withdrawable with governance latency `latency`, i.e. with
    /// `block.timestamp <= unbondedAt + latency` (the queue's `unbondedAt` never decrease), or the queue's length if
    /// all are withdrawable: a binary search, so a long queue cannot make `withdraw` unaffordable.
    function _firstPending(Request[] storage queue, uint256 from, uint256 latency) private view returns (uint256) {
        uint256 now_ = block.timestamp;
        if (now_ <= latency) return from;
        uint256 cutoff = now_ - latency; // withdrawable iff unbondedAt < cutoff
        uint256 high = queue.length;
        while (from < high) {
            uint256 mid = (from + high) / 2;
            if (queue[mid].unbondedAt >= cutoff) high = mid;
            else from = mid + 1;
        }
        return high;
    }

    /// @dev The `unbondedAt` of the first request in `queue[from:]` that slashing left something of. The caller knows
    /// one exists (the node has unbonding stake and nothing before `from` holds any).
    function _nextUnbondedAt(Request[] storage queue, uint256 from, uint112 released) private view returns (uint256) {
        uint256 high = queue.length - 1;
        while (from < high) {
            uint256 mid = (from + high) / 2;
            if (queue[mid].cumulative > released) high = mid;
            else from = mid + 1;
        }
        return queue[high].unbondedAt;
    }
}
