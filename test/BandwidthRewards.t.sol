// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBandwidthRewards} from "../contracts/interfaces/IBandwidthRewards.sol";
import {EconomyBase} from "./helpers/EconomyBase.sol";
import {BandwidthRewards} from "../contracts/BandwidthRewards.sol";
import {DCMXToken} from "../contracts/DCMXToken.sol";
import {NodeStaking} from "../contracts/NodeStaking.sol";
import {Test} from "./utils/Test.sol";

contract BandwidthRewardsTest is EconomyBase {
    uint256 constant SERVER_KEY = 0xA11CE;
    uint256 constant CLIENT_KEY = 0xB0B;
    uint256 constant OTHER_CLIENT_KEY = 0xC0FFEE;
    address server;
    address client;
    address otherClient;
    address serverOperator = makeAddr("serverOperator");

    function setUp() public {
        _deploy(INITIAL_SUPPLY * 10, _parameters(100_000e18));
        server = _register(SERVER_KEY, serverOperator);
        client = _register(CLIENT_KEY, makeAddr("clientOperator"));
        otherClient = _register(OTHER_CLIENT_KEY, makeAddr("otherClientOperator"));
    }

    /// The claim pays bytes/100MiB * rate * (1 + diversity) exactly, whatever the byte count under the cap; the
    /// client counts for diversity from `minClientBytes` (1 MiB) only.
    function testFuzz_claim_paysTheSeedFormula(uint64 cumulativeBytes) public {
        cumulativeBytes = uint64(bound(cumulativeBytes, 1, 10_240 * MIB));
        IBandwidthRewards.Receipt[] memory batchserver = _one(_receipt(CLIENT_KEY, server, 0, cumulativeBytes));
        vm.prank(serverOperator);
        rewards.submitReceipts(server, 0, batchserver);
        vm.warp(_settlesAt(0));
        uint256 paid = rewards.claim(server, 0);
        uint256 multiplier = cumulativeBytes >= MIB ? 101 : 100;
        assertEq(paid, uint256(cumulativeBytes) * 1e18 * multiplier / (100 * 100 * MIB), "seed formula");
        assertEq(token.balanceOf(serverOperator), paid, "operator paid");
    }

    /// However many bytes a client signs, the server is credited at most the per-client cap.
    function testFuzz_submitReceipts_creditsAtMostThePerClientCap(uint64 cumulativeBytes) public {
        IBandwidthRewards.Receipt[] memory batchserver = _one(_receipt(CLIENT_KEY, server, 0, cumulativeBytes));
        vm.prank(serverOperator);
        rewards.submitReceipts(server, 0, batchserver);
        uint256 cap = 10_240 * MIB;
        uint256 expected = cumulativeBytes < cap ? cumulativeBytes : cap;
        assertEq(rewards.serverEpoch(server, 0).bytesServed, expected, "credited");
    }

    /// Two servers' claims together never exceed the epoch's emission cap, and share it pro rata.
    function testFuzz_claim_neverExceedsTheEmissionCap(uint64 bytesA, uint64 bytesB, uint120 emissionCap) public {
        emissionCap = uint120(bound(emissionCap, 1, 1_000e18));
        _deploy(INITIAL_SUPPLY * 10, _parameters(emissionCap));
        server = _register(SERVER_KEY, serverOperator);
        client = _register(CLIENT_KEY, makeAddr("clientOperator"));
        address server2 = _register(OTHER_CLIENT_KEY, makeAddr("otherClientOperator"));
        bytesA = uint64(bound(bytesA, 1, 10_240 * MIB));
        bytesB = uint64(bound(bytesB, 1, 10_240 * MIB));
        IBandwidthRewards.Receipt[] memory batchserver = _one(_receipt(CLIENT_KEY, server, 0, bytesA));
        vm.prank(serverOperator);
        rewards.submitReceipts(server, 0, batchserver);
        IBandwidthRewards.Receipt[] memory batchserver2 = _one(_receipt(CLIENT_KEY, server2, 0, bytesB));
        vm.prank(server2);
        rewards.submitReceipts(server2, 0, batchserver2);
        vm.warp(_settlesAt(0));
        uint256 paid = rewards.claim(server, 0) + rewards.claim(server2, 0);
        assertLe(paid, emissionCap, "emission cap");
        assertEq(token.totalSupply() - INITIAL_SUPPLY, rewards.epochTotals(0).pool, "minted == pool");
        assertLe(paid, rewards.epochTotals(0).pool, "paid <= pool");
    }

    /// One client's receipts for three servers are credited, together, at most the per-client cap, first come first
    /// served: each server gets what its receipt asks, within what the earlier servers left.
    function testFuzz_submitReceipts_capsEachClientAcrossServers(uint64[3] memory amounts) public {
        address[3] memory servers = [server, otherClient, _register(0xD00D, makeAddr("fourthOperator"))];
        address[3] memory operators = [serverOperator, makeAddr("otherClientOperator"), makeAddr("fourthOperator")];
        uint256 cap = 10_240 * MIB;
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            IBandwidthRewards.Receipt[] memory batch = _one(_receipt(CLIENT_KEY, servers[i], 0, amounts[i]));
            vm.prank(operators[i]);
            rewards.submitReceipts(servers[i], 0, batch);
            uint256 room = cap - total;
            uint256 expected = amounts[i] < room ? amounts[i] : room;
            assertEq(rewards.serverEpoch(servers[i], 0).bytesServed, expected, "credited within what is left");
            total += expected;
        }
        assertEq(rewards.clientCredited(client, 0), total, "client's credit");
        assertLe(total, cap, "cap across servers");
    }

    function test_submitReceipts_skipsIfTheClientFellBelowTheMinimumStake() public {
        staking.setMinStake(MIN_STAKE + 1);
        IBandwidthRewards.Receipt[] memory batch = _one(_receipt(CLIENT_KEY, server, 0, uint64(MIB)));
        // Only the client falls below the new minimum: the server is topped up.
        token.transfer(serverOperator, 1);
        vm.startPrank(serverOperator);
        token.approve(address(staking), 1);
        staking.increaseStake(server, 1);
        vm.expectEmit(true, true, true, true);
        emit IBandwidthRewards.ReceiptSkipped(server, 0, client);
        rewards.submitReceipts(server, 0, batch);
        vm.stopPrank();
        assertEq(rewards.serverEpoch(server, 0).bytesServed, 0, "nothing credited");
        assertEq(rewards.serverEpoch(server, 0).lastClient, client, "mark moved past the skipped client");
    }

    function test_scheduleParameters_revertsIfTheSettlementDelayExceedsTheEpoch() public {
        IBandwidthRewards.Parameters memory p = _parameters(1e18);
        p.epochLength = 1 hours;
        p.settlementDelay = 1 hours + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IBandwidthRewards.BandwidthRewardsSettlementDelayExceedsEpoch.selector, 1 hours + 1, 1 hours
            )
        );
        rewards.scheduleParameters(p);
    }

    function test_scheduleParameters_revertsIfMinClientBytesIsZero() public {
        IBandwidthRewards.Parameters memory p = _parameters(1e18);
        p.minClientBytes = 0;
        vm.expectRevert(
            abi.encodeWithSelector(
                IBandwidthRewards.BandwidthRewardsInvalidMinClientBytes.selector, 0, p.perClientCap
            )
        );
        rewards.scheduleParameters(p);
    }

    /// Pro-rata claims floor: once every node has claimed, less than one wei per claim is left in the contract.
    function testFuzz_claim_leavesLessDustThanClaims(uint64[4] memory amounts, uint120 emissionCap) public {
        emissionCap = uint120(bound(emissionCap, 1, 1_000e18));
        _deploy(INITIAL_SUPPLY * 10, _parameters(emissionCap));
        client = _register(CLIENT_KEY, makeAddr("clientOperator"));
        address[4] memory servers;
        uint256 credited;
        for (uint256 i; i < 4; ++i) {
            address operator = makeAddr(string(abi.encodePacked("dust-operator", bytes1(uint8(48 + i)))));
            servers[i] = _register(0xD0 + i, operator);
            amounts[i] = uint64(bound(amounts[i], 1, 2_560 * MIB)); // 4 * 2,560 MiB fit in the 10,240 MiB cap
            IBandwidthRewards.Receipt[] memory batch = _one(_receipt(CLIENT_KEY, servers[i], 0, amounts[i]));
            vm.prank(operator);
            rewards.submitReceipts(servers[i], 0, batch);
            credited += amounts[i];
        }
        assertEq(rewards.clientCredited(client, 0), credited, "nothing capped");
        vm.warp(_settlesAt(0));
        uint256 paid;
        for (uint256 i; i < 4; ++i) {
            paid += rewards.claim(servers[i], 0);
        }
        uint256 dust = token.balanceOf(address(rewards));
        assertEq(paid + dust, rewards.epochTotals(0).pool, "pool == paid + dust");
        assertLe(dust, 3, "dust < claims");
    }

    function test_claim_revertsIfClaimedTwice() public {
        IBandwidthRewards.Receipt[] memory batchserver = _one(_receipt(CLIENT_KEY, server, 0, uint64(MIB)));
        vm.prank(serverOperator);
        rewards.submitReceipts(server, 0, batchserver);
        vm.warp(_settlesAt(0));
        rewards.claim(server, 0);
        vm.expectRevert(abi.encodeWithSelector(IBandwidthRewards.BandwidthRewardsAlreadyClaimed.selector, server, 0));
        rewards.claim(server, 0);
    }

    function test_submitReceipts_revertsIfSignedOnAnotherChain() public {
        IBandwidthRewards.Receipt memory receipt = _receipt(CLIENT_KEY, server, 0, uint64(MIB));
        vm.chainId(block.chainid + 1);
        vm.expectRevert(abi.encodeWithSelector(IBandwidthRewards.BandwidthRewardsInvalidSignature.selector, client));
        vm.prank(serverOperator);
        rewards.submitReceipts(server, 0, _one(receipt));
    }

    function test_claim_revertsIfTheEpochHasNotSettled() public {
        IBandwidthRewards.Receipt[] memory batchserver = _one(_receipt(CLIENT_KEY, server, 0, uint64(MIB)));
        vm.prank(serverOperator);
        rewards.submitReceipts(server, 0, batchserver);
        uint256 settlesAt = _settlesAt(0);
        vm.warp(settlesAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IBandwidthRewards.BandwidthRewardsEpochNotSettled.selector, 0, settlesAt)
        );
        rewards.claim(server, 0);
    }
}

/// @notice Random submissions, client exits, time jumps, parameter changes and claims for the invariant test.
contract RewardsHandler is Test {
    BandwidthRewards internal immutable _rewards;
    DCMXToken internal immutable _token;
    NodeStaking internal immutable _staking;
    address internal immutable _owner;
    address[] internal _servers;
    address[] internal _serverOperators;
    uint256[] internal _clientKeys; // ascending by address
    address[] internal _clientOperators; // by `_clientKeys` index

    uint32 public maxEpoch;
    bool public paidTwice;
    /// A batch's credits per client (read back through `clientCredited`) did not add up to the server's credit.
    bool public creditMismatch;
    /// An inactive client was credited.
    bool public inactiveCredited;
    uint256 public claims;
    mapping(address node => mapping(uint32 epoch => uint256 count)) public paidCount;
    mapping(uint32 epoch => uint256 amount) public paidInEpoch;
    mapping(uint32 epoch => uint256 count) public claimsInEpoch;
    mapping(uint32 epoch => uint256 raw) public claimedRawInEpoch;
    /// Ghost: bytes credited per (client, epoch), summed over every server's batches.
    mapping(address client => mapping(uint32 epoch => uint256 credited)) public creditedTo;

    constructor(
        BandwidthRewards rewards_,
        NodeStaking staking_,
        address owner_,
        address[] memory servers_,
        address[] memory serverOperators_,
        uint256[] memory clientKeys_,
        address[] memory clientOperators_
    ) {
        _rewards = rewards_;
        _token = DCMXToken(rewards_.token());
        _staking = staking_;
        _owner = owner_;
        _servers = servers_;
        _serverOperators = serverOperators_;
        _clientKeys = clientKeys_;
        _clientOperators = clientOperators_;
    }

    function clientCount() external view returns (uint256) {
        return _clientKeys.length;
    }

    function clientAt(uint256 i) external view returns (address) {
        return vm.addr(_clientKeys[i]);
    }

    function submit(uint256 serverSeed, uint256 countSeed, uint64 bytesSeed) external {
        uint256 s = serverSeed % _servers.length;
        address server = _servers[s];
        uint32 epoch = _rewards.currentEpoch();
        address last = _rewards.serverEpoch(server, epoch).lastClient;
        uint256 first;
        while (first < _clientKeys.length && vm.addr(_clientKeys[first]) <= last) ++first;
        if (first == _clientKeys.length) return;
        uint256 count = 1 + countSeed % (_clientKeys.length - first);
        IBandwidthRewards.Receipt[] memory batch = new IBandwidthRewards.Receipt[](count);
        for (uint256 i; i < count; ++i) {
            uint64 amount = uint64(bound(uint256(keccak256(abi.encode(bytesSeed, i))), 0, 20_480 * 1024 * 1024));
            batch[i] = _sign(_clientKeys[first + i], server, epoch, amount);
        }
        uint256[] memory before = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            before[i] = _rewards.clientCredited(batch[i].client, epoch);
        }
        uint256 serverBefore = _rewards.serverEpoch(server, epoch).bytesServed;
        vm.prank(_serverOperators[s]);
        _rewards.submitReceipts(server, epoch, batch);
        if (epoch > maxEpoch) maxEpoch = epoch;
        uint256 sum;
        for (uint256 i; i < count; ++i) {
            address client = batch[i].client;
            uint256 afterwards = _rewards.clientCredited(client, epoch);
            if (afterwards < before[i]) {
                creditMismatch = true;
                continue;
            }
            uint256 delta = afterwards - before[i];
            if (delta != 0 && _staking.activeOperatorOf(client) == address(0)) inactiveCredited = true;
            creditedTo[client][epoch] += delta;
            sum += delta;
        }
        if (_rewards.serverEpoch(server, epoch).bytesServed - serverBefore != sum) creditMismatch = true;
    }

    /// A client's operator unstakes it: its later receipts must be skipped, not revert the batch.
    function exitClient(uint256 clientSeed) external {
        uint256 i = clientSeed % _clientKeys.length;
        address node = vm.addr(_clientKeys[i]);
        uint96 stake = _staking.nodeOf(node).stake;
        if (stake == 0) return;
        vm.prank(_clientOperators[i]);
        _staking.requestUnstake(node, stake);
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 2 days));
    }

    function setParameters(uint256 rateSeed, uint256 capSeed, uint256 lengthSeed, uint256 clientCapSeed) external {
        IBandwidthRewards.Parameters memory p = _rewards.parametersOf(_rewards.currentEpoch());
        p.rewardPerUnit = uint128(bound(rateSeed, 0, 100e18));
        p.emissionCap = uint120(bound(capSeed, 0, 500e18));
        p.epochLength = uint32(bound(lengthSeed, 1 hours, 2 days));
        p.perClientCap = uint64(bound(clientCapSeed, 1024 * 1024, 20_480 * 1024 * 1024));
        p.minClientBytes = uint64(bound(clientCapSeed >> 64, 1, p.perClientCap));
        vm.prank(_owner);
        _rewards.scheduleParameters(p);
    }

    function claim(uint256 serverSeed, uint256 epochSeed) external {
        address server = _servers[serverSeed % _servers.length];
        uint32 epoch = uint32(bound(epochSeed, 0, maxEpoch));
        uint256 raw = _rewards.rawReward(server, epoch);
        try _rewards.claim(server, epoch) returns (uint256 amount) {
            if (paidCount[server][epoch]++ != 0) paidTwice = true;
            paidInEpoch[epoch] += amount;
            claimedRawInEpoch[epoch] += raw;
            ++claimsInEpoch[epoch];
            ++claims;
        } catch {}
    }

    function _sign(uint256 key, address server, uint32 epoch, uint64 amount)
        private
        view
        returns (IBandwidthRewards.Receipt memory)
    {
        address client = vm.addr(key);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _rewards.receiptDigest(server, client, epoch, amount, 0, 0));
        return IBandwidthRewards.Receipt({
            client: client,
            cumulativeBytes: amount,
            nonce: 0,
            servedRoot: 0,
            r: r,
            vs: bytes32(uint256(s) | (uint256(v - 27) << 255))
        });
    }
}

contract BandwidthRewardsInvariantTest is EconomyBase {
    /// A token cap only 2,000 DCMX above the initial supply, so emissions hit it.
    uint256 constant TOKEN_CAP = INITIAL_SUPPLY + 2_000e18;
    RewardsHandler handler;
    address[] servers;

    function setUp() public {
        _deploy(TOKEN_CAP, _parameters(300e18));
        servers = new address[](3);
        address[] memory operators = new address[](3);
        for (uint256 i; i < 3; ++i) {
            operators[i] = makeAddr(string.concat("server-operator", string(abi.encodePacked(bytes1(uint8(48 + i))))));
            servers[i] = _register(0x5E0 + i, operators[i]);
        }
        uint256[] memory clientKeys = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            clientKeys[i] = 0xC11E + i;
            _register(clientKeys[i], makeAddr(string.concat("client-operator", string(abi.encodePacked(bytes1(uint8(48 + i)))))));
        }
        // Ascending by address, as batches must be.
        for (uint256 i; i < 5; ++i) {
            for (uint256 j = i + 1; j < 5; ++j) {
                if (vm.addr(clientKeys[j]) < vm.addr(clientKeys[i])) {
                    (clientKeys[i], clientKeys[j]) = (clientKeys[j], clientKeys[i]);
                }
            }
        }
        address[] memory clientOperators = new address[](5);
        for (uint256 i; i < 5; ++i) {
            clientOperators[i] = staking.nodeOf(vm.addr(clientKeys[i])).operator;
        }
        handler = new RewardsHandler(rewards, staking, address(this), servers, operators, clientKeys, clientOperators);
        targetContract(address(handler));
    }

    /// The handler really pays: a fixed sequence across epochs claims each (node, epoch) once.
    function test_handler_paysEachNodeOnceIfClaimedRepeatedly() public {
        handler.submit(1, 0, 456); // before server 0 spends the clients' caps
        handler.submit(0, 4, 123);
        handler.warp(2 days - 1); // bound() maps this to a 2-day jump
        handler.submit(2, 1, 789);
        handler.warp(2 days - 1); // bound() maps this to a 2-day jump
        handler.claim(0, 0);
        handler.claim(0, 0);
        handler.claim(1, 0);
        handler.claim(2, 2);
        assertEq(handler.claims(), 3, "claims");
        invariant_emissionsNeverExceedTheEpochCaps();
        invariant_noNodeIsPaidTwiceForAnEpoch();
        invariant_eachClientIsCreditedAtMostItsCapPerEpochAcrossServers();
        invariant_claimsLeaveLessDustThanClaims();
    }

    /// The handler really exercises the cap and the skip: a client's second server gets only what is left, and an
    /// exited client's receipt is skipped, not a revert.
    function test_handler_capsAndSkipsIfClientsRepeatOrExit() public {
        handler.submit(0, 4, 1); // all five clients, up to 20 GiB each against a 10 GiB cap
        handler.submit(1, 4, 2);
        handler.exitClient(0);
        handler.submit(2, 4, 3);
        address first = handler.clientAt(0);
        assertEq(rewards.serverEpoch(servers[2], 0).lastClient, handler.clientAt(4), "whole batch went through");
        assertEq(handler.creditedTo(first, 0), rewards.clientCredited(first, 0), "ghost matches");
        invariant_eachClientIsCreditedAtMostItsCapPerEpochAcrossServers();
    }

    /// hardhat-config: invariant.depth = 40
    function invariant_totalSupplyNeverExceedsTheCap() public view {
        assertLe(token.totalSupply(), token.cap(), "token cap");
    }

    /// hardhat-config: invariant.depth = 40
    function invariant_emissionsNeverExceedTheEpochCaps() public view {
        uint256 pools;
        for (uint32 e; e <= handler.maxEpoch(); ++e) {
            IBandwidthRewards.EpochTotals memory totals = rewards.epochTotals(e);
            assertLe(totals.pool, rewards.parametersOf(e).emissionCap, "epoch emission cap");
            assertLe(handler.paidInEpoch(e), totals.pool, "paid within the pool");
            pools += totals.pool;
        }
        assertEq(token.totalSupply() - INITIAL_SUPPLY, pools, "minted == sum of pools");
    }

    /// hardhat-config: invariant.depth = 40
    function invariant_noNodeIsPaidTwiceForAnEpoch() public view {
        assertTrue(!handler.paidTwice(), "paid twice");
    }

    /// hardhat-config: invariant.depth = 40
    function invariant_eachClientIsCreditedAtMostItsCapPerEpochAcrossServers() public view {
        assertTrue(!handler.creditMismatch(), "client credits add up to the servers' credit");
        assertTrue(!handler.inactiveCredited(), "inactive client credited");
        for (uint32 e; e <= handler.maxEpoch(); ++e) {
            uint256 cap = rewards.parametersOf(e).perClientCap;
            for (uint256 i; i < handler.clientCount(); ++i) {
                assertLe(handler.creditedTo(handler.clientAt(i), e), cap, "per-client cap across servers");
            }
        }
    }

    /// Pro-rata claims round down by less than one wei each; the contract holds exactly what is unpaid.
    /// hardhat-config: invariant.depth = 40
    function invariant_claimsLeaveLessDustThanClaims() public view {
        uint256 unpaid;
        for (uint32 e; e <= handler.maxEpoch(); ++e) {
            IBandwidthRewards.EpochTotals memory totals = rewards.epochTotals(e);
            unpaid += totals.pool - handler.paidInEpoch(e);
            if (handler.claimsInEpoch(e) == 0) continue;
            uint256 due = handler.claimedRawInEpoch(e) * totals.pool / totals.totalRaw;
            assertLe(handler.paidInEpoch(e), due, "paid at most the exact share");
            assertLe(due - handler.paidInEpoch(e), handler.claimsInEpoch(e) - 1, "under one wei per claim");
        }
        assertEq(token.balanceOf(address(rewards)), unpaid, "holds exactly what is unpaid");
    }
}
