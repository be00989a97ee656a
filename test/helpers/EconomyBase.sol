// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BandwidthRewards} from "../../contracts/BandwidthRewards.sol";
import {DCMXToken} from "../../contracts/DCMXToken.sol";
import {IBandwidthRewards} from "../../contracts/interfaces/IBandwidthRewards.sol";
import {NodeStaking} from "../../contracts/NodeStaking.sol";
import {Test} from "../utils/Test.sol";

/// @notice Deploys the token economy and registers nodes; signs receipts with `vm.sign`.
abstract contract EconomyBase is Test {
    uint256 internal constant MIB = 1024 * 1024;
    uint256 internal constant INITIAL_SUPPLY = 1_000_000e18;
    uint96 internal constant MIN_STAKE = 1_000e18;

    DCMXToken internal token;
    NodeStaking internal staking;
    BandwidthRewards internal rewards;

    function _deploy(uint256 tokenCap, IBandwidthRewards.Parameters memory parameters) internal {
        token = new DCMXToken(address(this), address(this), INITIAL_SUPPLY, new DCMXToken.Allocation[](0), tokenCap);
        staking = new NodeStaking(token, address(this), MIN_STAKE, 7 days);
        rewards = new BandwidthRewards(token, staking, address(this), parameters);
        token.grantRole(token.MINTER_ROLE(), address(rewards));
    }

    function _parameters(uint120 emissionCap) internal pure returns (IBandwidthRewards.Parameters memory) {
        return IBandwidthRewards.Parameters({
            epochLength: 1 days,
            settlementDelay: 1 hours,
            uptimeBonusBps: 2_000,
            diversityBonusBps: 1_000,
            diversityTarget: 10,
            perClientCap: uint64(10_240 * MIB),
            minClientBytes: uint64(MIB),
            rewardPerUnit: 1e18,
            emissionCap: emissionCap
        });
    }

    /// @dev Registers the node with private key `key` for `operator`, funding the operator.
    function _register(uint256 key, address operator) internal returns (address node) {
        node = vm.addr(key);
        token.transfer(operator, MIN_STAKE);
        vm.prank(operator);
        token.approve(address(staking), MIN_STAKE);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, staking.registrationDigest(node, operator));
        vm.prank(operator);
        staking.registerNode(node, "/dns4/n.example/tcp/4001", MIN_STAKE, abi.encodePacked(r, s, v));
    }

    function _receipt(uint256 clientKey, address server, uint32 epoch, uint64 cumulativeBytes)
        internal
        view
        returns (IBandwidthRewards.Receipt memory receipt)
    {
        address client = vm.addr(clientKey);
        bytes32 root = keccak256("served");
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(clientKey, rewards.receiptDigest(server, client, epoch, cumulativeBytes, root, 1));
        receipt = IBandwidthRewards.Receipt({
            client: client,
            cumulativeBytes: cumulativeBytes,
            nonce: 1,
            servedRoot: root,
            r: r,
            vs: bytes32(uint256(s) | (uint256(v - 27) << 255))
        });
    }

    function _one(IBandwidthRewards.Receipt memory receipt)
        internal
        pure
        returns (IBandwidthRewards.Receipt[] memory batch)
    {
        batch = new IBandwidthRewards.Receipt[](1);
        batch[0] = receipt;
    }

    function _settlesAt(uint32 epoch) internal view returns (uint256 settlesAt) {
        (,, settlesAt) = rewards.epochTimes(epoch);
    }
}
