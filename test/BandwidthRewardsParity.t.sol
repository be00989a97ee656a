// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BandwidthRewards} from "../contracts/BandwidthRewards.sol";
import {IBandwidthRewards} from "../contracts/interfaces/IBandwidthRewards.sol";
import {EconomyBase} from "./helpers/EconomyBase.sol";
import {Test} from "./utils/Test.sol";

/// Submits single receipts to the current or the still-settling epoch, warps, and schedules random parameters.
contract ParityHandler is Test {
    BandwidthRewards internal immutable r;
    address internal immutable owner;
    address[] internal servers;
    address[] internal ops;
    uint256[] internal keys; // ascending by address
    mapping(address client => mapping(uint32 epoch => uint256 credited)) public ghost;
    mapping(address server => mapping(uint32 epoch => uint32 next)) public pos; // next client index per (server, epoch)
    bool public threeOpen;
    bool public overCap;
    uint256 public prevEpochSubmits;
    uint256 public schedules;

    constructor(BandwidthRewards r_, address owner_, address[] memory s, address[] memory o, uint256[] memory k) {
        r = r_; owner = owner_; servers = s; ops = o; keys = k;
    }

    function _open(uint32 e) internal view returns (bool) {
        (uint256 start,, uint256 settlesAt) = r.epochTimes(e);
        return block.timestamp >= start && block.timestamp < settlesAt;
    }

    function submit(uint256 sSeed, bool previous, uint64 amount) external {
        uint32 cur = r.currentEpoch();
        uint32 e = previous && cur > 0 ? cur - 1 : cur;
        if (!_open(e)) return;
        if (e >= 2 && _open(e - 2)) threeOpen = true;
        if (_open(e + 2)) threeOpen = true;
        uint256 s = sSeed % servers.length;
        address server = servers[s];
        uint32 i = pos[server][e];
        if (i >= keys.length) return;
        pos[server][e] = i + 1;
        IBandwidthRewards.Receipt[] memory b = new IBandwidthRewards.Receipt[](1);
        b[0] = _sign(keys[i], server, e, amount);
        address client = b[0].client;
        uint64 before = r.serverEpoch(server, e).bytesServed;
        vm.prank(ops[s]);
        r.submitReceipts(server, e, b);
        uint256 delta = r.serverEpoch(server, e).bytesServed - before;
        ghost[client][e] += delta;
        if (ghost[client][e] > r.parametersOf(e).perClientCap) overCap = true;
        if (e != cur) ++prevEpochSubmits;
    }

    function _sign(uint256 key, address server, uint32 e, uint64 amount) internal view returns (IBandwidthRewards.Receipt memory) {
        address client = vm.addr(key);
        (uint8 v, bytes32 rr, bytes32 ss) = vm.sign(key, r.receiptDigest(server, client, e, amount, 0, 0));
        return IBandwidthRewards.Receipt(client, amount, 0, 0, rr, bytes32(uint256(ss) | (uint256(v - 27) << 255)));
    }

    function warp(uint256 t) external {
        vm.warp(block.timestamp + bound(t, 1, 3 days));
    }

    function setParameters(uint256 lenSeed, uint256 delaySeed, uint256 capSeed) external {
        IBandwidthRewards.Parameters memory p = r.parametersOf(r.currentEpoch());
        p.epochLength = uint32(bound(lenSeed, 256, 2 days));
        p.settlementDelay = uint32(bound(delaySeed, 0, p.epochLength));
        p.perClientCap = uint64(bound(capSeed, 1 << 20, 1 << 34));
        p.minClientBytes = 1;
        vm.prank(owner);
        try r.scheduleParameters(p) { ++schedules; } catch {}
    }
}

/// From the independent review: submissions to the still-settling previous epoch, settlement delay equal to the
/// epoch length and random parameter changes never open two epochs of the same parity at once (the per-client cap
/// keeps one slot per client split by epoch parity), and no client is ever credited beyond its cap.
contract BandwidthRewardsParityTest is EconomyBase {
    ParityHandler h;

    function setUp() public {
        IBandwidthRewards.Parameters memory p = _parameters(300e18);
        p.settlementDelay = 1 days; // delay == length
        _deploy(INITIAL_SUPPLY + 1e30, p);
        address[] memory s = new address[](3);
        address[] memory o = new address[](3);
        for (uint256 i; i < 3; ++i) {
            o[i] = address(uint160(0xA000 + i));
            s[i] = _register(0x5E0 + i, o[i]);
        }
        uint256[] memory k = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            k[i] = 0xC11E + i;
            _register(k[i], address(uint160(0xB000 + i)));
        }
        for (uint256 i; i < 3; ++i) for (uint256 j = i + 1; j < 3; ++j) if (vm.addr(k[j]) < vm.addr(k[i])) (k[i], k[j]) = (k[j], k[i]);
        h = new ParityHandler(rewards, address(this), s, o, k);
        targetContract(address(h));
    }

    /// hardhat-config: invariant.depth = 60
    function invariant_sameParityEpochsNeverOpenTogetherAndCapsHold() public view {
        assertTrue(!h.threeOpen(), "same-parity epochs open together");
        assertTrue(!h.overCap(), "client over cap");
    }

    function test_handler_reachesThePreviousEpoch() public {
        h.submit(0, false, 5 << 30);
        vm.warp(block.timestamp + 1 days + 10);
        h.submit(1, true, 20 << 30);
        h.submit(1, false, 20 << 30);
        assertEq(h.prevEpochSubmits(), 1, "prev");
    }
}
