// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {DCMXGovernor} from "../contracts/DCMXGovernor.sol";
import {DCMXTimelock} from "../contracts/DCMXTimelock.sol";
import {DCMXToken} from "../contracts/DCMXToken.sol";
import {INodeStaking} from "../contracts/interfaces/INodeStaking.sol";
import {NodeStaking} from "../contracts/NodeStaking.sol";
import {EconomyBase} from "./helpers/EconomyBase.sol";
import {Test} from "./utils/Test.sol";

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

    /// Whatever the operator and governance do, the operator's staked votes equal the active stake, stake plus
    /// unbonding is what the contract holds, and the queue's requests add up to the unbonding stake.
    function testFuzz_stakedVotes_equalActiveStake(uint96 added, uint96 unstaked, uint96 slashed) public {
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
        assertEq(staking.stakedVotes(operator), record.stake, "staked votes");
        assertEq(token.balanceOf(address(staking)), stake - slashed, "tokens held");
        INodeStaking.UnstakeRequest[] memory pending = staking.unstakeRequestsOf(node);
        assertEq(pending.length == 0 ? 0 : pending[0].amount, record.unbonding, "queue");
        bool active = record.stake >= MIN_STAKE;
        assertEq(staking.activeOperatorOf(node), active ? operator : address(0), "active");
    }

    function test_withdraw_revertsIfStillUnbonding() public {
        vm.prank(operator);
        uint40 unbondedAt = staking.requestUnstake(node, MIN_STAKE);
        vm.warp(unbondedAt - 1);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, node, unbondedAt + 1));
        vm.prank(operator);
        staking.withdraw(node);
    }

    /// A slash proposed in the last second before `unbondedAt` executes at `unbondedAt + latency` at the earliest:
    /// the stake must still be there in that second, so withdrawing is allowed only strictly after it.
    function test_withdraw_revertsIfExactlyAtTheEndOfTheDelay() public {
        vm.prank(operator);
        uint40 unbondedAt = staking.requestUnstake(node, MIN_STAKE);
        vm.warp(unbondedAt);
        assertEq(staking.withdrawableOf(node), 0, "nothing withdrawable yet");
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, node, unbondedAt + 1));
        vm.prank(operator);
        staking.withdraw(node);
        vm.warp(unbondedAt + 1);
        vm.prank(operator);
        assertEq(staking.withdraw(node), MIN_STAKE, "one second later");
    }

    function test_withdraw_paysOnlyMaturedRequestsIfLaterOnesArePending() public {
        vm.startPrank(operator);
        staking.increaseStake(node, 3 * MIN_STAKE);
        uint40 first = staking.requestUnstake(node, MIN_STAKE);
        vm.warp(block.timestamp + 2 days);
        uint40 second = staking.requestUnstake(node, 2 * MIN_STAKE);
        // The second request did not restart the first one's clock.
        assertEq(second - first, 2 days, "own clocks");
        vm.warp(first + 1);
        assertEq(staking.withdraw(node), MIN_STAKE, "first request only");
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, node, second + 1));
        staking.withdraw(node);
        vm.warp(second + 1);
        assertEq(staking.withdraw(node), 2 * MIN_STAKE, "second request");
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingNothingToWithdraw.selector, node));
        staking.withdraw(node);
        vm.stopPrank();
    }

    function test_withdraw_paysEveryMaturedRequestIfSeveralMatured() public {
        vm.startPrank(operator);
        staking.increaseStake(node, 4 * MIN_STAKE);
        for (uint256 i; i < 4; ++i) {
            staking.requestUnstake(node, MIN_STAKE);
            vm.warp(block.timestamp + 1 hours);
        }
        vm.warp(block.timestamp + 7 days);
        assertEq(staking.withdrawableOf(node), 4 * MIN_STAKE, "withdrawable");
        assertEq(staking.withdraw(node), 4 * MIN_STAKE, "all four");
        vm.stopPrank();
        assertEq(staking.nodeOf(node).unbonding, 0, "queue empty");
        assertEq(staking.unstakeRequestsOf(node).length, 0, "no pending requests");
    }

    function test_slash_takesTheOldestUnbondingRequestFirstIfActiveStakeIsShort() public {
        vm.prank(operator);
        staking.increaseStake(node, 2 * MIN_STAKE);
        vm.prank(operator);
        uint40 first = staking.requestUnstake(node, MIN_STAKE);
        vm.warp(block.timestamp + 1 days);
        vm.prank(operator);
        uint40 second = staking.requestUnstake(node, 2 * MIN_STAKE);
        // Active stake is gone; the slash takes the whole first request and a quarter of the second.
        staking.slash(node, MIN_STAKE + MIN_STAKE / 2, address(this), bytes32(0));
        INodeStaking.UnstakeRequest[] memory pending = staking.unstakeRequestsOf(node);
        assertEq(pending.length, 1, "one request left");
        assertEq(pending[0].amount, MIN_STAKE + MIN_STAKE / 2, "what is left of the second");
        assertEq(pending[0].unbondedAt, second, "its clock");
        vm.warp(first + 1);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, node, second + 1));
        vm.prank(operator);
        staking.withdraw(node);
        vm.warp(second + 1);
        vm.prank(operator);
        assertEq(staking.withdraw(node), MIN_STAKE + MIN_STAKE / 2, "the rest");
    }

    function test_requestUnstake_neverMaturesBeforeAnEarlierRequestIfTheDelayWasShortened() public {
        vm.prank(operator);
        staking.increaseStake(node, MIN_STAKE);
        vm.prank(operator);
        uint40 first = staking.requestUnstake(node, MIN_STAKE);
        staking.setUnbondingDelay(1 days);
        vm.prank(operator);
        uint40 second = staking.requestUnstake(node, MIN_STAKE);
        assertEq(second, first, "waits for the earlier request");
    }

    /// The queue's running totals are uint112: more than a uint96 unbonding (only with a token supply above 2^96 wei)
    /// must revert, not be truncated into a smaller payout that marks the whole queue as paid.
    function test_withdraw_revertsIfMoreThanAUint96HasMatured() public {
        DCMXToken big = new DCMXToken(address(this), address(this), 2 ** 98, new DCMXToken.Allocation[](0), 2 ** 98);
        NodeStaking bigStaking = new NodeStaking(big, address(this), MIN_STAKE, 7 days);
        uint96 most = type(uint96).max;
        big.approve(address(bigStaking), type(uint256).max);
        address bigNode = vm.addr(NODE_KEY);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(NODE_KEY, bigStaking.registrationDigest(bigNode, address(this)));
        bigStaking.registerNode(bigNode, "/dns4/n.example/tcp/4001", most, abi.encodePacked(r, s, v));
        bigStaking.requestUnstake(bigNode, most);
        bigStaking.increaseStake(bigNode, most);
        uint40 unbondedAt = bigStaking.requestUnstake(bigNode, most);
        vm.warp(unbondedAt + 1);
        bytes memory overflow = abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, 96, 2 * uint256(most));
        vm.expectRevert(overflow);
        bigStaking.nodeOf(bigNode);
        vm.expectRevert(overflow);
        bigStaking.withdrawableOf(bigNode);
        vm.expectRevert(overflow);
        bigStaking.withdraw(bigNode);
    }

    /// F1 of the review: the latency is read at withdrawal, so a raise after the request (here of the timelock delay,
    /// through a real timelock and governor) reaches it; withdrawing works exactly strictly after the new maturity.
    function testFuzz_withdraw_waitsOutALatencyRaisedAfterTheRequest(uint32 raise, uint32 wait) public {
        DCMXTimelock timelock = new DCMXTimelock(1 days, new address[](0), new address[](0), address(0));
        DCMXGovernor governor = new DCMXGovernor(token, timelock, staking, 1 days, 3 days, 0, 4);
        staking.setGovernor(address(governor));
        vm.prank(operator);
        uint40 unbondedAt = staking.requestUnstake(node, MIN_STAKE);
        uint256 raised = bound(raise, 0, 30 days);
        vm.prank(address(timelock));
        timelock.updateDelay(1 days + raised);
        uint256 latency = 5 days + raised;
        assertEq(staking.governanceLatency(), latency, "latency read now");
        vm.warp(block.timestamp + bound(wait, 0, 60 days));
        vm.prank(operator);
        if (block.timestamp > unbondedAt + latency) {
            assertEq(staking.withdraw(node), MIN_STAKE, "matured");
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, node, unbondedAt + latency + 1)
            );
            staking.withdraw(node);
        }
    }

    function test_requestUnstake_stopsVotingAtOnceIfRequested() public {
        vm.prank(operator);
        staking.requestUnstake(node, MIN_STAKE);
        assertEq(staking.stakedVotes(operator), 0, "unbonding stake does not vote");
    }
}

/// @notice Random stake, unstake, withdraw, slash and time jumps over three nodes of two operators, checked against a
/// plain model of per-request queues (each request its own clock, slashing oldest first).
contract StakingHandler is Test {
    NodeStaking internal immutable _staking;
    address[] internal _nodes;
    address[] internal _operators;
    mapping(address node => uint256[] amounts) internal _amounts;
    mapping(address node => uint256[] maturities) internal _maturities;
    mapping(address node => uint256 head) internal _head;

    bool public mismatch;
    uint256 public deposited;
    uint256 public paidOut;
    uint256 public withdrawals;

    constructor(NodeStaking staking_, address[] memory nodes_, address[] memory operators_, uint256 deposited_) {
        _staking = staking_;
        _nodes = nodes_;
        _operators = operators_;
        deposited = deposited_;
    }

    function nodeCount() external view returns (uint256) {
        return _nodes.length;
    }

    function nodeAt(uint256 i) external view returns (address node, address operator) {
        return (_nodes[i], _operators[i]);
    }

    /// @dev What the model says is queued for `node`.
    function modelUnbonding(address node) public view returns (uint256 total) {
        uint256[] storage amounts = _amounts[node];
        for (uint256 i = _head[node]; i < amounts.length; ++i) total += amounts[i];
    }

    function stake(uint256 nodeSeed, uint96 amount) external {
        uint256 i = nodeSeed % _nodes.length;
        amount = uint96(bound(amount, 1, 5_000e18));
        vm.prank(_operators[i]);
        try _staking.increaseStake(_nodes[i], amount) {
            deposited += amount;
        } catch {}
    }

    function unstake(uint256 nodeSeed, uint96 amount) external {
        uint256 i = nodeSeed % _nodes.length;
        address node = _nodes[i];
        uint96 active = _staking.nodeOf(node).stake;
        if (active == 0) return;
        amount = uint96(bound(amount, 1, active));
        if (active - amount != 0 && active - amount < _staking.minStake()) amount = active;
        vm.prank(_operators[i]);
        uint40 unbondedAt = _staking.requestUnstake(node, amount);
        uint256[] storage maturities = _maturities[node];
        uint256 expected = block.timestamp + _staking.unbondingDelay();
        if (maturities.length != 0 && maturities[maturities.length - 1] > expected) {
            expected = maturities[maturities.length - 1];
        }
        if (unbondedAt != expected) mismatch = true;
        _amounts[node].push(amount);
        maturities.push(unbondedAt);
    }

    function withdraw(uint256 nodeSeed) external {
        uint256 i = nodeSeed % _nodes.length;
        address node = _nodes[i];
        uint256 expected;
        uint256 head = _head[node];
        uint256[] storage amounts = _amounts[node];
        uint256 latency = _staking.governanceLatency();
        while (head < amounts.length && _maturities[node][head] + latency < block.timestamp) expected += amounts[head++];
        vm.prank(_operators[i]);
        try _staking.withdraw(node) returns (uint96 amount) {
            if (amount != expected || expected == 0) mismatch = true;
            _head[node] = head;
            paidOut += amount;
            ++withdrawals;
        } catch {
            if (expected != 0) mismatch = true;
        }
    }

    function slash(uint256 nodeSeed, uint96 amount) external {
        address node = _nodes[nodeSeed % _nodes.length];
        INodeStaking.Node memory record = _staking.nodeOf(node);
        uint256 total = record.stake + record.unbonding;
        // Asking for more than is at stake takes what is there (and nothing, if nothing is).
        amount = uint96(bound(amount, 1, total + 1_000e18));
        uint96 slashed = _staking.slash(node, amount, address(0xdead), bytes32(0));
        if (slashed != (amount < total ? amount : total)) mismatch = true;
        amount = slashed;
        paidOut += amount;
        // Model: active first, then the oldest requests.
        uint256 rest = amount > record.stake ? amount - record.stake : 0;
        uint256[] storage amounts = _amounts[node];
        for (uint256 h = _head[node]; rest != 0; ++h) {
            uint256 take = amounts[h] < rest ? amounts[h] : rest;
            amounts[h] -= take;
            rest -= take;
        }
    }

    function setUnbondingDelay(uint32 delay) external {
        _staking.setUnbondingDelay(uint32(bound(delay, 1 days, 30 days)));
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 10 days));
    }
}

contract NodeStakingInvariantTest is EconomyBase {
    StakingHandler handler;
    address[] operators;

    function setUp() public {
        _deploy(INITIAL_SUPPLY * 10, _parameters(100_000e18));
        operators.push(makeAddr("operator-a"));
        operators.push(makeAddr("operator-a"));
        operators.push(makeAddr("operator-b"));
        address[] memory nodes = new address[](3);
        for (uint256 i; i < 3; ++i) {
            nodes[i] = _register(0xA0DE + i, operators[i]);
            token.transfer(operators[i], 200_000e18);
            vm.prank(operators[i]);
            token.approve(address(staking), type(uint256).max);
        }
        handler = new StakingHandler(staking, nodes, operators, 3 * MIN_STAKE);
        // The handler plays governance.
        staking.transferOwnership(address(handler));
        targetContract(address(handler));
    }

    /// The handler really exercises the queue: a fixed sequence stakes, queues, slashes and withdraws.
    function test_handler_withdrawsAndSlashesIfDriven() public {
        // bound() maps warp(x) to a jump of x + 1 seconds and slash(x) to x + 1 wei.
        handler.stake(0, 2_000e18);
        handler.unstake(0, 1_000e18);
        handler.warp(1 days - 1);
        handler.unstake(0, 1_000e18);
        handler.slash(0, 500e18 - 1); // nothing is active: half of the first request
        handler.warp(6 days - 1); // exactly the first request's unbondedAt: not yet withdrawable
        handler.withdraw(0);
        handler.warp(0); // one second later it is
        handler.withdraw(0);
        handler.warp(1 days - 1); // the second request matures
        handler.withdraw(0);
        assertEq(handler.withdrawals(), 2, "withdrawals");
        assertTrue(!handler.mismatch(), "model");
        invariant_stakedVotesEqualActiveStake();
        invariant_tokensHeldEqualStakePlusUnbonding();
    }

    /// hardhat-config: invariant.depth = 40
    function invariant_stakedVotesEqualActiveStake() public view {
        (address a0,) = handler.nodeAt(0);
        (address a1,) = handler.nodeAt(1);
        (address b,) = handler.nodeAt(2);
        assertEq(staking.stakedVotes(operators[0]), staking.nodeOf(a0).stake + staking.nodeOf(a1).stake, "operator a");
        assertEq(staking.stakedVotes(operators[2]), staking.nodeOf(b).stake, "operator b");
    }

    /// hardhat-config: invariant.depth = 40
    function invariant_tokensHeldEqualStakePlusUnbonding() public view {
        uint256 held;
        for (uint256 i; i < handler.nodeCount(); ++i) {
            (address node,) = handler.nodeAt(i);
            INodeStaking.Node memory record = staking.nodeOf(node);
            held += record.stake + record.unbonding;
            assertEq(record.unbonding, handler.modelUnbonding(node), "queue matches the model");
            INodeStaking.UnstakeRequest[] memory pending = staking.unstakeRequestsOf(node);
            uint256 queued;
            for (uint256 j; j < pending.length; ++j) queued += pending[j].amount;
            assertEq(queued, record.unbonding, "requests add up");
        }
        assertEq(token.balanceOf(address(staking)), held, "tokens held");
        assertEq(handler.deposited(), held + handler.paidOut(), "conservation");
    }

    /// hardhat-config: invariant.depth = 40
    function invariant_withdrawalsMatchThePerRequestModel() public view {
        assertTrue(!handler.mismatch(), "model");
    }
}
