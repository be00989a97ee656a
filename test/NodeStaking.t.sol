// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {INodeStaking} from "../contracts/interfaces/INodeStaking.sol";
import {EconomyBase} from "./helpers/EconomyBase.sol";

contract NodeStakingTest is EconomyBase {
    uint256 constant NODE_KEY = 0x4E0DE;
    address operator = makeAddr("operator");
    address node;

    function setUp() public {
        _deploy(INITIAL_SUPPLY * 10, _parameters(100_000e18));
        node = _register(NODE_KEY, operator);
        token.transfer(operator, 100 * MIN_STAKE);
        vm.prank(operator);
        token.approve(address(staking), type(uint256).max);
    }

    /// Whatever the operator and governance do, the operator's staked votes equal stake plus unbonding, and the
    /// contract holds exactly that many tokens.
    function testFuzz_stakedVotes_equalStakePlusUnbonding(uint96 added, uint96 unstaked, uint96 slashed) public {
        added = uint96(bound(added, 1, 50 * MIN_STAKE));
        vm.prank(operator);
        staking.increaseStake(node, added);
        uint96 stake = MIN_STAKE + added;
        unstaked = uint96(bound(unstaked, 1, stake));
        if (stake - unstaked != 0 && stake - unstaked < MIN_STAKE) unstaked = stake;
        vm.prank(operator);
        staking.requestUnstake(node, unstaked);
        slashed = uint96(bound(slashed, 1, stake));
        staking.slash(node, slashed, address(this), bytes32(0));

        INodeStaking.Node memory record = staking.nodeOf(node);
        assertEq(record.stake + record.unbonding, stake - slashed, "stake + unbonding");
        assertEq(staking.stakedVotes(operator), stake - slashed, "staked votes");
        assertEq(token.balanceOf(address(staking)), stake - slashed, "tokens held");
        bool active = record.stake >= MIN_STAKE;
        assertEq(staking.activeOperatorOf(node), active ? operator : address(0), "active");
    }

    function test_withdraw_revertsIfStillUnbonding() public {
        vm.prank(operator);
        staking.requestUnstake(node, MIN_STAKE);
        uint40 endsAt = staking.nodeOf(node).unbondingEndsAt;
        vm.warp(endsAt - 1);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, node, endsAt));
        vm.prank(operator);
        staking.withdraw(node);
    }
}
