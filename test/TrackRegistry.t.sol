// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITrackRegistry} from "../contracts/interfaces/ITrackRegistry.sol";
import {TrackRegistry} from "../contracts/TrackRegistry.sol";
import {Test} from "./utils/Test.sol";

contract TrackRegistryTest is Test {
    TrackRegistry registry;

    function setUp() public {
        registry = new TrackRegistry();
    }

    /// Whoever registers a hash first owns it forever; every later attempt reverts naming the owner.
    function testFuzz_register_firstWins(bytes32 hash, address first, address second, uint64 size) public {
        vm.assume(hash != bytes32(0) && size != 0 && first != address(0));
        ITrackRegistry.Registration memory r = ITrackRegistry.Registration({
            contentHash: hash,
            manifestRoot: keccak256(abi.encode(hash)),
            size: size,
            duration: 180,
            title: "t",
            artistName: "a",
            album: "",
            metadataURI: ""
        });
        vm.prank(first);
        registry.register(r);
        vm.expectRevert(abi.encodeWithSelector(ITrackRegistry.TrackAlreadyRegistered.selector, hash, first));
        vm.prank(second);
        registry.register(r);
        ITrackRegistry.Track memory t = registry.getTrack(hash);
        assertEq(t.artist, first, "artist");
        assertEq(t.size, size, "size");
    }
}
