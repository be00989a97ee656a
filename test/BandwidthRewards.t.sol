// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBandwidthRewards} from "../contracts/interfaces/IBandwidthRewards.sol";
import {EconomyBase} from "./helpers/EconomyBase.sol";
import {BandwidthRewards} from "../contracts/BandwidthRewards.sol";
import {DCMXToken} from "../contracts/DCMXToken.sol";
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

    /// The claim pays bytes/100MiB * rate * (1 + diversity) exactly, whatever the byte count under the cap.
    function testFuzz_claim_paysTheSeedFormula(uint64 cumulativeBytes) public {
        cumulativeBytes = uint64(bound(cumulativeBytes, 1, 10_240 * MIB));
        IBandwidthRewards.Receipt[] memory batchserver = _one(_receipt(CLIENT_KEY, server, 0, cumulativeBytes));
        vm.prank(serverOperator);
        rewards.submitReceipts(server, 0, batchserver);
        vm.warp(_settlesAt(0));
        uint256 paid = rewards.claim(server, 0);
        assertEq(paid, uint256(cumulativeBytes) * 1e18 * 101 / (100 * 100 * MIB), "seed formula");
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

/// @notice Random submissions, time jumps, parameter changes and claims for the invariant test.
contract RewardsHandler is Test {
    BandwidthRewards internal immutable _rewards;
    DCMXToken internal immutable _token;
    address internal immutable _owner;
    address[] internal _servers;
    address[] internal _serverOperators;
    uint256[] internal _clientKeys; // ascending by address

    uint32 public maxEpoch;
    bool public paidTwice;
    uint256 public claims;
    mapping(address node => mapping(uint32 epoch => uint256 count)) public paidCount;
    mapping(uint32 epoch => uint256 amount) public paidInEpoch;

    constructor(
        BandwidthRewards rewards_,
        DCMXToken token_,
        address owner_,
        address[] memory servers_,
        address[] memory serverOperators_,
        uint256[] memory clientKeys_
    ) {
        _rewards = rewards_;
        _token = token_;
        _owner = owner_;
        _servers = servers_;
        _serverOperators = serverOperators_;
        _clientKeys = clientKeys_;
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
        vm.prank(_serverOperators[s]);
        _rewards.submitReceipts(server, epoch, batch);
        if (epoch > maxEpoch) maxEpoch = epoch;
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 2 days));
    }

    function setParameters(uint256 rateSeed, uint256 capSeed, uint256 lengthSeed) external {
        IBandwidthRewards.Parameters memory p = _rewards.parametersOf(_rewards.currentEpoch());
        p.rewardPerUnit = uint128(bound(rateSeed, 0, 100e18));
        p.emissionCap = uint120(bound(capSeed, 0, 500e18));
        p.epochLength = uint32(bound(lengthSeed, 1 hours, 2 days));
        vm.prank(_owner);
        _rewards.scheduleParameters(p);
    }

    function claim(uint256 serverSeed, uint256 epochSeed) external {
        address server = _servers[serverSeed % _servers.length];
        uint32 epoch = uint32(bound(epochSeed, 0, maxEpoch));
        try _rewards.claim(server, epoch) returns (uint256 amount) {
            if (paidCount[server][epoch]++ != 0) paidTwice = true;
            paidInEpoch[epoch] += amount;
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

    function setUp() public {
        _deploy(TOKEN_CAP, _parameters(300e18));
        address[] memory servers = new address[](3);
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
        handler = new RewardsHandler(rewards, token, address(this), servers, operators, clientKeys);
        targetContract(address(handler));
    }

    /// The handler really pays: a fixed sequence across epochs claims each (node, epoch) once.
    function test_handler_paysEachNodeOnceIfClaimedRepeatedly() public {
        handler.submit(0, 4, 123);
        handler.submit(1, 0, 456);
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
}
