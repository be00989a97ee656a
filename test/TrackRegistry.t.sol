// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITrackRegistry} from "../contracts/interfaces/ITrackRegistry.sol";
import {TrackRegistry} from "../contracts/TrackRegistry.sol";
import {Test} from "./utils/Test.sol";

contract TrackRegistryTest is Test {
    uint32 constant MIN_AGE = 60;
    uint32 constant MAX_AGE = 1 days;

    TrackRegistry registry;

    function setUp() public {
        registry = new TrackRegistry(address(this), MIN_AGE, MAX_AGE);
        vm.warp(1_700_000_000);
    }

    /// Whoever reveals a hash first owns it forever; every later reveal reverts naming the owner.
    function testFuzz_register_firstWins(bytes32 hash, address first, address second, uint64 size, bytes32 salt)
        public
    {
        vm.assume(hash != bytes32(0) && size != 0 && first != address(0) && second != first);
        ITrackRegistry.Registration memory r = _registration(hash, size);
        registry.commit(registry.commitmentOf(hash, first, salt));
        registry.commit(registry.commitmentOf(hash, second, salt));
        vm.warp(block.timestamp + MIN_AGE);
        vm.prank(first);
        registry.register(r, salt);
        vm.expectRevert(abi.encodeWithSelector(ITrackRegistry.TrackAlreadyRegistered.selector, hash, first));
        vm.prank(second);
        registry.register(r, salt);
        ITrackRegistry.Track memory t = registry.getTrack(hash);
        assertEq(t.artist, first, "artist");
        assertEq(t.size, size, "size");
    }

    /// A reveal succeeds exactly inside [committedAt + min, committedAt + max], and fails naming the boundary outside.
    function testFuzz_register_onlyInsideTheRevealWindow(uint32 wait, bytes32 salt) public {
        wait = uint32(bound(wait, 0, 2 days));
        address artist = makeAddr("artist");
        bytes32 hash = keccak256("window");
        bytes32 commitment = registry.commitmentOf(hash, artist, salt);
        uint256 committedAt = block.timestamp;
        registry.commit(commitment);
        vm.warp(committedAt + wait);
        if (wait < MIN_AGE) {
            vm.expectRevert(
                abi.encodeWithSelector(ITrackRegistry.TrackCommitmentTooNew.selector, commitment, committedAt + MIN_AGE)
            );
        } else if (wait > MAX_AGE) {
            vm.expectRevert(
                abi.encodeWithSelector(ITrackRegistry.TrackCommitmentExpired.selector, commitment, committedAt + MAX_AGE)
            );
        }
        vm.prank(artist);
        registry.register(_registration(hash, 1), salt);
        if (wait >= MIN_AGE && wait <= MAX_AGE) {
            assertEq(registry.artistOf(hash), artist, "registered");
            assertEq(registry.commitmentTime(commitment), 0, "commitment consumed");
        }
    }

    /// Nobody but the committed artist, with the committed salt, can reveal a commitment.
    function testFuzz_register_revertsIfArtistOrSaltDiffer(address thief, bytes32 salt, bytes32 otherSalt) public {
        address artist = makeAddr("artist");
        vm.assume(thief != artist && otherSalt != salt);
        bytes32 hash = keccak256("bound");
        registry.commit(registry.commitmentOf(hash, artist, salt));
        vm.warp(block.timestamp + MIN_AGE);
        ITrackRegistry.Registration memory r = _registration(hash, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITrackRegistry.TrackCommitmentNotFound.selector, registry.commitmentOf(hash, thief, salt)
            )
        );
        vm.prank(thief);
        registry.register(r, salt);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITrackRegistry.TrackCommitmentNotFound.selector, registry.commitmentOf(hash, artist, otherSalt)
            )
        );
        vm.prank(artist);
        registry.register(r, otherSalt);
    }

    function test_commit_revertsIfCommitmentIsLive() public {
        bytes32 commitment = keccak256("c");
        registry.commit(commitment);
        uint256 expiresAt = block.timestamp + MAX_AGE;
        vm.warp(expiresAt);
        vm.expectRevert(abi.encodeWithSelector(ITrackRegistry.TrackCommitmentExists.selector, commitment, expiresAt));
        registry.commit(commitment);
        vm.warp(expiresAt + 1);
        registry.commit(commitment);
        assertEq(registry.commitmentTime(commitment), expiresAt + 1, "renewed after expiry");
    }

    /// Commit ages stay within 1 <= min < max <= ceiling whatever governance asks for.
    function testFuzz_setCommitAges_enforcesBounds(uint32 min, uint32 max) public {
        bool valid = min >= 1 && max > min && max <= registry.MAX_COMMIT_AGE_CEILING();
        if (!valid) {
            vm.expectRevert(abi.encodeWithSelector(ITrackRegistry.TrackInvalidCommitAges.selector, min, max));
        }
        registry.setCommitAges(min, max);
        if (valid) {
            assertEq(registry.minCommitAge(), min, "min");
            assertEq(registry.maxCommitAge(), max, "max");
        }
    }

    function _registration(bytes32 hash, uint64 size) private pure returns (ITrackRegistry.Registration memory) {
        return ITrackRegistry.Registration({
            contentHash: hash,
            manifestRoot: keccak256(abi.encode(hash)),
            size: size,
            duration: 180,
            title: "t",
            artistName: "a",
            album: "",
            metadataURI: ""
        });
    }
}
