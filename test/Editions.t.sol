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

    uint256 public immutable presaleEditionId;
    bytes32[2][4] private _proofs;

    uint256 public paidIn;
    uint256 public withdrawn;

    constructor(
        Editions editions_,
        uint256 editionId_,
        uint256 presaleEditionId_,
        address artist_,
        address treasury_,
        address[4] memory buyers_,
        bytes32[2][4] memory proofs_
    ) {
        editions = editions_;
        editionId = editionId_;
        presaleEditionId = presaleEditionId_;
        artist = artist_;
        treasury = treasury_;
        buyers = buyers_;
        _proofs = proofs_;
    }

    /// An allowlisted buyer buys in the presale, up to the presale cap (beyond it the purchase must revert).
    function buyPresale(uint256 buyerSeed, uint256 quantity) external {
        uint256 i = buyerSeed % 4;
        address buyer = buyers[i];
        IEditions.Presale memory presale = editions.getPresale(presaleEditionId);
        IEditions.Edition memory e = editions.getEdition(presaleEditionId);
        quantity = bound(quantity, 1, 20);
        if (quantity > e.maxSupply - e.minted) return;
        uint256 cost = uint256(presale.price) * quantity;
        vm.deal(buyer, cost);
        bytes32[] memory proof = new bytes32[](2);
        proof[0] = _proofs[i][0];
        proof[1] = _proofs[i][1];
        if (editions.presalePurchasedBy(presaleEditionId, buyer) + quantity > presale.perWalletCap) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IEditions.EditionPresaleCapExceeded.selector, presaleEditionId, buyer, presale.perWalletCap
                )
            );
            vm.prank(buyer);
            editions.buyPresale{value: cost}(presaleEditionId, quantity, proof, "");
            return;
        }
        vm.prank(buyer);
        editions.buyPresale{value: cost}(presaleEditionId, quantity, proof, "gm");
        paidIn += cost;
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
        // Transfers stay within the public edition; the presale edition's tokens are counted per wallet below.
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
    uint32 constant MIN_AGE = 60;
    uint32 constant SUPPLY = 120;
    uint32 constant PRESALE_CAP = 7;

    TrackRegistry registry;
    Editions editions;
    EditionsHandler handler;
    address artist = makeAddr("artist");
    address treasury = makeAddr("treasury");
    address[4] buyers;
    bytes32[2][4] proofs;
    bytes32 presaleRoot;

    function setUp() public {
        vm.warp(1_700_000_000);
        registry = new TrackRegistry(address(this), MIN_AGE, 1 days);
        editions = new Editions(registry, address(this), "");
        editions.setTreasury(treasury);
        editions.setProtocolFee(333);
        for (uint256 i; i < 4; ++i) buyers[i] = address(uint160(0xB0B0 + i));
        (presaleRoot, proofs) = _allowlist(buyers);
        _register(artist, keccak256("invariant track"));
        vm.startPrank(artist);
        editions.createEdition(_params(keccak256("invariant track"), 0.013 ether, SUPPLY, 0));
        IEditions.EditionParams memory p = _params(keccak256("invariant track"), 0.02 ether, SUPPLY, 0);
        p.saleStart = uint40(block.timestamp + 1 days);
        p.presale = IEditions.Presale({
            merkleRoot: presaleRoot, price: 0.007 ether, start: 0, perWalletCap: PRESALE_CAP
        });
        editions.createEdition(p);
        vm.stopPrank();
        handler = new EditionsHandler(editions, 1, 2, artist, treasury, buyers, proofs);
        targetContract(address(handler));
    }

    /// Every wei paid in is either still owed (to the artist or treasury) or already withdrawn.
    function invariant_paymentsBalance() public view {
        uint256 owed = editions.proceedsOf(artist) + editions.proceedsOf(treasury);
        assertEq(address(editions).balance, owed, "contract balance == proceeds owed");
        assertEq(handler.paidIn(), owed + handler.withdrawn(), "paid in == owed + withdrawn");
    }

    /// Supply never exceeds the maximum, and balances account for exactly the minted serials of both editions.
    function invariant_supplyAndOwnership() public view {
        uint256 minted = editions.getEdition(1).minted;
        uint256 presaleMinted = editions.getEdition(2).minted;
        assertLe(minted, SUPPLY, "minted <= maxSupply");
        uint256 total;
        uint256 presaleTotal;
        for (uint256 i; i < 4; ++i) {
            total += editions.balanceOf(handler.buyers(i));
            presaleTotal += editions.presalePurchasedBy(2, handler.buyers(i));
        }
        assertEq(total, minted + presaleMinted, "sum of balances == minted");
        assertEq(presaleTotal, presaleMinted, "presale counts == presale minted");
        for (uint256 serial = 1; serial <= minted; ++serial) {
            assertTrue(editions.ownerOf((uint256(1) << 32) | serial) != address(0), "every minted serial has an owner");
        }
    }

    /// No allowlisted wallet ever holds more presale tokens than the presale cap.
    function invariant_presaleCap() public view {
        for (uint256 i; i < 4; ++i) {
            assertLe(editions.presalePurchasedBy(2, handler.buyers(i)), PRESALE_CAP, "presale cap");
        }
    }

    /// A presale purchase splits the presale price between artist and treasury exactly; a wallet not on the
    /// allowlist is refused whatever it pays.
    function testFuzz_buyPresale_splitsPaymentExactly(uint96 price, uint16 feeBps, uint8 quantity, address stranger)
        public
    {
        vm.assume(stranger != buyers[0] && stranger != buyers[1] && stranger != buyers[2] && stranger != buyers[3]);
        feeBps = uint16(bound(feeBps, 0, editions.MAX_PROTOCOL_FEE_BPS()));
        quantity = uint8(bound(quantity, 1, 20));
        price = uint96(bound(price, 0, 1e24));
        editions.setProtocolFee(feeBps);
        bytes32 hash = keccak256(abi.encode("presale fuzz", price, feeBps, quantity));
        _register(artist, hash);
        IEditions.EditionParams memory p = _params(hash, 1 ether, 100, 0);
        p.saleStart = uint40(block.timestamp + 1);
        p.presale = IEditions.Presale({merkleRoot: presaleRoot, price: price, start: 0, perWalletCap: 0});
        vm.prank(artist);
        uint256 id = editions.createEdition(p);
        uint256 artistBefore = editions.proceedsOf(artist);
        uint256 treasuryBefore = editions.proceedsOf(treasury);
        uint256 cost = uint256(price) * quantity;
        bytes32[] memory proof = new bytes32[](2);
        proof[0] = proofs[1][0];
        proof[1] = proofs[1][1];
        vm.deal(stranger, cost);
        vm.expectRevert(abi.encodeWithSelector(IEditions.EditionNotAllowlisted.selector, id, stranger));
        vm.prank(stranger);
        editions.buyPresale{value: cost}(id, quantity, proof, "");
        vm.deal(buyers[1], cost);
        vm.prank(buyers[1]);
        editions.buyPresale{value: cost}(id, quantity, proof, "");
        uint256 artistGot = editions.proceedsOf(artist) - artistBefore;
        uint256 treasuryGot = editions.proceedsOf(treasury) - treasuryBefore;
        assertEq(artistGot + treasuryGot, cost, "artist + treasury == cost");
        assertEq(treasuryGot, cost * feeBps / 10_000, "fee");
    }

    /// Fee and artist share always add up to the price paid, whatever the fee and quantity.
    function testFuzz_buy_splitsPaymentExactly(uint96 price, uint16 feeBps, uint8 quantity) public {
        feeBps = uint16(bound(feeBps, 0, editions.MAX_PROTOCOL_FEE_BPS()));
        quantity = uint8(bound(quantity, 1, 20));
        price = uint96(bound(price, 0, 1e24));
        editions.setProtocolFee(feeBps);
        bytes32 hash = keccak256(abi.encode("fuzz", price, feeBps, quantity));
        _register(artist, hash);
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
        _register(artist, hash);
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
        _register(artist, hash);
        vm.prank(artist);
        uint256 id = editions.createEdition(_params(hash, 0, 10, 2));
        address buyer = makeAddr("capped buyer");
        vm.prank(buyer);
        editions.buy(id, 2);
        vm.expectRevert(abi.encodeWithSelector(IEditions.EditionWalletCapExceeded.selector, id, buyer, uint32(2)));
        vm.prank(buyer);
        editions.buy(id, 1);
    }

    function _register(address who, bytes32 hash) private {
        registry.commit(registry.commitmentOf(hash, who, bytes32(0)));
        vm.warp(block.timestamp + MIN_AGE);
        vm.prank(who);
        registry.register(_registration(hash), bytes32(0));
    }

    /// @dev A four-leaf tree of OpenZeppelin standard leaves, hashed pairwise in sorted order as MerkleProof does.
    function _allowlist(address[4] memory wallets) private pure returns (bytes32 root, bytes32[2][4] memory proof) {
        bytes32[4] memory leaves;
        for (uint256 i; i < 4; ++i) leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(wallets[i]))));
        bytes32 left = _hashPair(leaves[0], leaves[1]);
        bytes32 right = _hashPair(leaves[2], leaves[3]);
        root = _hashPair(left, right);
        proof[0] = [leaves[1], right];
        proof[1] = [leaves[0], right];
        proof[2] = [leaves[3], left];
        proof[3] = [leaves[2], left];
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
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
            perWalletCap: cap,
            presale: IEditions.Presale({merkleRoot: bytes32(0), price: 0, start: 0, perWalletCap: 0})
        });
    }
}
