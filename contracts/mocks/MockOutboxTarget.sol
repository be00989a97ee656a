// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title MockOutboxTarget
/// @notice Test-only target for the node's transaction outbox: work that can be done once, and work that is "not
/// yet" possible before a time, each refused with a custom error as the protocol contracts do.
contract MockOutboxTarget {
    mapping(uint256 id => address by) private _done;

    /// @notice Emitted when `id` is done by `by`.
    event Done(uint256 indexed id, address indexed by);

    /// @notice `id` was already done.
    error MockAlreadyDone(uint256 id, address by);
    /// @notice Too early: possible from `notBefore`.
    error MockTooEarly(uint256 notBefore, uint256 timestamp);
    /// @notice Always refused.
    error MockRefused(uint256 id);

    /// @notice Does `id` once; a second call reverts with `MockAlreadyDone`.
    function doOnce(uint256 id) external {
        address by = _done[id];
        if (by != address(0)) revert MockAlreadyDone(id, by);
        _done[id] = msg.sender;
        emit Done(id, msg.sender);
    }

    /// @notice Does `id` once, but not before `notBefore`.
    function doAfter(uint256 id, uint256 notBefore) external {
        if (block.timestamp < notBefore) revert MockTooEarly(notBefore, block.timestamp);
        _done[id] = msg.sender;
        emit Done(id, msg.sender);
    }

    /// @notice Who did `id` (zero if not done).
    function doneBy(uint256 id) external view returns (address) {
        return _done[id];
    }

    /// @notice Always reverts.
    function refuse(uint256 id) external pure {
        revert MockRefused(id);
    }
}
