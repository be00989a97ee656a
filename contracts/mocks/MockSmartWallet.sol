// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice TEST ONLY. A contract wallet owned by one EOA: it executes the owner's calls, validates the owner's
/// signatures (ERC-1271), and can be told to refuse incoming ETH, to exercise push-payment fallbacks.
contract MockSmartWallet is IERC1271 {
    address public immutable owner;
    bool public rejectPayments;

    error MockSmartWalletNotOwner(address caller);
    error MockSmartWalletRejected();

    constructor(address owner_) {
        owner = owner_;
    }

    receive() external payable {
        if (rejectPayments) revert MockSmartWalletRejected();
    }

    function setRejectPayments(bool reject) external {
        if (msg.sender != owner) revert MockSmartWalletNotOwner(msg.sender);
        rejectPayments = reject;
    }

    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        if (msg.sender != owner) revert MockSmartWalletNotOwner(msg.sender);
        (bool ok, bytes memory result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer,,) = ECDSA.tryRecover(hash, signature);
        return signer == owner ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}
