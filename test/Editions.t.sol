// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Editions} from "../contracts/Editions.sol";
import {IEditions} from "../contracts/interfaces/IEditions.sol";
import {ITrackRegistry} from "../contracts/interfaces/ITrackRegistry.sol";
import {TrackRegistry} from "../contracts/TrackRegistry.sol";
import {Test} from "./utils/Test.sol";

/// @dev Drives random purchases, transfers and withdrawals and keeps the ghost totals the invariants compare with.
contract EditionsHandler is Test {
    Editions public immutable editions;
    address public immutable artist;
    address public immutable treasury;
    uint256 public immutable editionId;
    address[4] public buyers;

    uint256 public paidIn;
    uint256 public withdrawn;

    constructor(Editions editions_, uint256 editionId_, address artist_, address treasury_) {
        editions = editions_;
        editionId = editionId_;
        artist = artist_;
        treasury = treasury_;
        for (uint256 i; i < 4; ++i) buyers[i] = address(uint160(0xB0B0 + i));
    }

    function buy(uint256 buyerSeed, uint256 quantity) external {
        IEditions.Edition memory e = editions.getEdition(editionId);
        uint256 remaining = e.maxSupply - e.minted;
        if (remaining == 0) return;
        quantity = bound(quantity, 1, remaining < 20 ? remaining : 20);
        address buyer = buyers[buyerSeed % 4];
        uint256 cost = uint256(e.price) * quantity;
        vm.deal(buyer, cost);
        vm.prank(buyer);
        editions.buy{value: cost}(editionId, quantity);
        paidIn += cost;
    }

    function transfer(uint256 serialSeed, uint256 toSeed) external {
        uint256 minted = editions.getEdition(editionId).minted;
        if (minted == 0) return;
        uint256 tokenId = (editionId << 32) | bound(serialSeed, 1, minted);
        address from = editions.ownerOf(tokenId);
        vm.prank(from);
        editions.transferFrom(from, buyers[toSeed % 4], tokenId);
    }

    function withdraw(bool asTreasury) external {
        address who = asTreasury ? treasury : artist;
        uint256 owed = editions.proceedsOf(who);
        if (owed == 0) return;
        vm.prank(who);
        editions.withdraw();
        withdrawn += owed;
    }
}

contract EditionsTest is Test {
    TrackRegistry registry;
    Editions editions;
    EditionsHandler handler;
    address artist = makeAddr("artist");
    address treasury = makeAddr("treasury");
    uint32 constant SUPPLY = 120;

    function setUp() public {
        registry = new TrackRegistry();
        editions = new Editions(registry, address(this), "");
        editions.setTreasury(treasury);
        editions.setProtocolFee(333);
        vm.startPrank(artist);
        registry.register(_registration(keccak256("invariant track")));
        editions.createEdition(_params(keccak256("invariant track"), 0.013 ether, SUPPLY, 0));
        vm.stopPrank();
        handler = new EditionsHandler(editions, 1, artist, treasury);
        targetContract(address(handler));
    }

    /// Every wei paid in is either still owed (to the artist or treasury) or already withdrawn.
    function invariant_paymentsBalance() public view {
        uint256 owed = editions.proceedsOf(artist) + editions.proceedsOf(treasury);
        assertEq(address(editions).balance, owed, "contract balance == proceeds owed");
        assertEq(handler.paidIn(), owed + handler.withdrawn(), "paid in == owed + withdrawn");
    }

    /// Supply never exceeds the maximum, and balances account for exactly the minted serials.
    function invariant_supplyAndOwnership() public view {
        uint256 minted = editions.getEdition(1).minted;
        assertLe(minted, SUPPLY, "minted <= maxSupply");
        uint256 total;
        for (uint256 i; i < 4; ++i) total += editions.balanceOf(handler.buyers(i));
        assertEq(total, minted, "sum of balances == minted");
        for (uint256 serial = 1; serial <= minted; ++serial) {
            assertTrue(editions.ownerOf((uint256(1) << 32) | serial) != address(0), "every minted serial has an owner");
        }
    }

    /// Fee and artist share always add up to the price paid, whatever the fee and quantity.
    function testFuzz_buy_splitsPaymentExactly(uint96 price, uint16 feeBps, uint8 quantity) public {
        feeBps = uint16(bound(feeBps, 0, editions.MAX_PROTOCOL_FEE_BPS()));
        quantity = uint8(bound(quantity, 1, 20));
        price = uint96(bound(price, 0, 1e24));
        editions.setProtocolFee(feeBps);
        bytes32 hash = keccak256(abi.encode("fuzz", price, feeBps, quantity));
        vm.prank(artist);
        registry.register(_registration(hash));
        vm.prank(artist);
        uint256 id = editions.createEdition(_params(hash, price, 100, 0));
        uint256 artistBefore = editions.proceedsOf(artist);
        uint256 treasuryBefore = editions.proceedsOf(treasury);
        address buyer = makeAddr("fuzz buyer");
        uint256 cost = uint256(price) * quantity;
        vm.deal(buyer, cost);
        vm.prank(buyer);
        uint256 first = editions.buy{value: cost}(id, quantity);
        uint256 artistGot = editions.proceedsOf(artist) - artistBefore;
        uint256 treasuryGot = editions.proceedsOf(treasury) - treasuryBefore;
        assertEq(artistGot + treasuryGot, cost, "artist + treasury == cost");
        assertEq(treasuryGot, cost * feeBps / 10_000, "fee");
        assertEq(editions.balanceOf(buyer), quantity, "balance");
        assertEq(first, (id << 32) | 1, "first serial is #1");
    }

    /// Serials stay unique and contiguous across purchases of random sizes; the edition never oversells.
    function testFuzz_buy_serialsContiguousAndCapped(uint8[6] memory quantities) public {
        bytes32 hash = keccak256("contiguous");
        vm.prank(artist);
        registry.register(_registration(hash));
        vm.prank(artist);
        uint256 id = editions.createEdition(_params(hash, 0, 30, 0));
        uint256 expectedNext = 1;
        for (uint256 i; i < quantities.length; ++i) {
            uint256 q = bound(quantities[i], 1, 20);
            address buyer = address(uint160(0xCAFE + i));
            if (expectedNext - 1 + q > 30) {
                vm.expectRevert(abi.encodeWithSelector(IEditions.EditionSoldOut.selector, id, 30 - (expectedNext - 1)));
                editions.buy(id, q);
                continue;
            }
            vm.prank(buyer);
            uint256 first = editions.buy(id, q);
            assertEq(first, (id << 32) | expectedNext, "next serial follows the last");
            for (uint256 s = expectedNext; s < expectedNext + q; ++s) {
                assertEq(editions.ownerOf((id << 32) | s), buyer, "owner of serial");
            }
            expectedNext += q;
        }
        assertLe(editions.getEdition(id).minted, 30, "never oversold");
    }

    function test_buy_revertsIfWalletCapExceeded() public {
        bytes32 hash = keccak256("capped");
        vm.prank(artist);
        registry.register(_registration(hash));
        vm.prank(artist);
        uint256 id = editions.createEdition(_params(hash, 0, 10, 2));
        address buyer = makeAddr("capped buyer");
        vm.prank(buyer);
        editions.buy(id, 2);
        vm.expectRevert(abi.encodeWithSelector(IEditions.EditionWalletCapExceeded.selector, id, buyer, uint32(2)));
        vm.prank(buyer);
        editions.buy(id, 1);
    }

    function _registration(bytes32 hash) private pure returns (ITrackRegistry.Registration memory) {
        return ITrackRegistry.Registration({
            contentHash: hash,
            manifestRoot: keccak256(abi.encode(hash)),
            size: 1,
            duration: 1,
            title: "t",
            artistName: "a",
            album: "",
            metadataURI: ""
        });
    }

    function _params(bytes32 hash, uint96 price, uint32 supply, uint32 cap)
        private
        pure
        returns (IEditions.EditionParams memory)
    {
        return IEditions.EditionParams({
            contentHash: hash,
            name: "Fuzz",
            price: price,
            maxSupply: supply,
            royaltyBps: 1000,
            saleStart: 0,
            saleEnd: 0,
            perWalletCap: cap
        });
    }
}
