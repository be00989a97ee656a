// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {MockERC721} from "../contracts/mocks/MockERC721.sol";
import {MockSmartWallet} from "../contracts/mocks/MockSmartWallet.sol";
import {IMarketplace} from "../contracts/interfaces/IMarketplace.sol";
import {Marketplace} from "../contracts/Marketplace.sol";
import {Test} from "./utils/Test.sol";

contract MarketplaceTest is Test {
    Marketplace market;
    MockERC721 nft;
    IERC721 token;
    address buyer = makeAddr("buyer");
    address seller = makeAddr("seller");
    address artist = makeAddr("artist");

    function setUp() public {
        market = new Marketplace();
        nft = new MockERC721();
        token = IERC721(address(nft));
        vm.prank(seller);
        nft.setApprovalForAll(address(market), true);
    }

    /// Royalty receiver + seller (pushed or credited) receive exactly the price; the marketplace keeps only credits.
    function testFuzz_buy_paysOutExactlyThePrice(uint96 price, uint96 royalty, bool sellerRefuses, bool artistRefuses)
        public
    {
        price = uint96(bound(price, 1, 1e27));
        royalty = uint96(bound(royalty, 0, price));
        MockSmartWallet wallet = new MockSmartWallet(address(this));
        MockSmartWallet artistWallet = new MockSmartWallet(address(this));
        nft.mint(address(wallet), 1);
        nft.setRoyalty(MockERC721.RoyaltyMode.Fixed, address(artistWallet), royalty);
        wallet.execute(address(nft), 0, abi.encodeCall(IERC721.setApprovalForAll, (address(market), true)));
        wallet.execute(
            address(market), 0, abi.encodeCall(IMarketplace.list, (token, 1, price, uint40(block.timestamp + 1), 0))
        );
        wallet.setRejectPayments(sellerRefuses);
        artistWallet.setRejectPayments(artistRefuses);

        vm.deal(buyer, price);
        vm.prank(buyer);
        market.buy{value: price}(token, 1);

        uint256 sellerGot = address(wallet).balance + market.creditsOf(address(wallet));
        uint256 artistGot = address(artistWallet).balance + market.creditsOf(address(artistWallet));
        assertEq(artistGot, royalty, "artist gets the royalty");
        assertEq(sellerGot + artistGot, price, "payouts sum to the price");
        assertEq(
            address(market).balance,
            market.creditsOf(address(wallet)) + market.creditsOf(address(artistWallet)),
            "marketplace holds only credits"
        );
        assertEq(nft.ownerOf(1), buyer, "buyer owns the token");
    }

    /// Whatever the collection's admin sets the royalty to after listing, the seller gets at least `minProceeds` or
    /// the sale reverts with the proceeds it would have paid; payouts always sum to the price.
    function testFuzz_buy_neverPaysSellerBelowMinProceeds(uint96 price, uint96 minProceeds, uint256 royaltyBps)
        public
    {
        price = uint96(bound(price, 1, 1e27));
        minProceeds = uint96(bound(minProceeds, 0, price));
        royaltyBps = bound(royaltyBps, 0, 10_000);
        _mintAndList(1, price, minProceeds);
        nft.setRoyalty(MockERC721.RoyaltyMode.Bps, artist, royaltyBps);
        uint256 royalty = uint256(price) * royaltyBps / 10_000;

        vm.deal(buyer, price);
        vm.prank(buyer);
        try market.buy{value: price}(token, 1) {
            assertLe(minProceeds, seller.balance, "seller gets at least the minimum");
            assertEq(seller.balance, price - royalty, "seller gets the rest");
            assertEq(seller.balance + artist.balance, price, "payouts sum to the price");
        } catch (bytes memory reason) {
            assertTrue(price - royalty < minProceeds, "only a royalty cutting into the minimum blocks the sale");
            assertEq(
                keccak256(reason),
                keccak256(
                    abi.encodeWithSelector(
                        IMarketplace.MarketplaceProceedsBelowMinimum.selector, token, 1, price - royalty, minProceeds
                    )
                ),
                "the revert names the proceeds and the minimum"
            );
            assertEq(nft.ownerOf(1), seller, "the seller keeps the token");
        }
    }

    /// A listing is never fillable once its token moved, whichever way it moved and even when it came back.
    function testFuzz_buy_revertsIfTokenMovedSinceListing(address other, uint8 route, uint96 price) public {
        vm.assume(other != seller && other != address(0) && other.code.length == 0 && uint160(other) > 0xffff);
        price = uint96(bound(price, 1, 1e27));
        _mintAndList(1, price, 0);

        route = uint8(bound(route, 0, 3));
        if (route == 0) {
            // Away and back with transferFrom.
            vm.prank(seller);
            nft.transferFrom(seller, other, 1);
            vm.prank(other);
            nft.transferFrom(other, seller, 1);
        } else if (route == 1) {
            // Away and back with safeTransferFrom.
            vm.prank(seller);
            nft.safeTransferFrom(seller, other, 1);
            vm.prank(other);
            nft.safeTransferFrom(other, seller, 1);
        } else if (route == 2) {
            // Burned and minted to the seller again.
            nft.burn(1);
            nft.mint(seller, 1);
        } else {
            // A transfer to oneself is a transfer too.
            vm.prank(seller);
            nft.transferFrom(seller, seller, 1);
        }

        vm.deal(buyer, price);
        vm.expectRevert(
            abi.encodeWithSelector(IMarketplace.MarketplaceListingWitnessCleared.selector, token, 1, address(0))
        );
        vm.prank(buyer);
        market.buy{value: price}(token, 1);
    }

    /// Broken ERC-2981 answers sell without a royalty instead of blocking the sale.
    function testFuzz_buy_paysNoRoyaltyIfRoyaltyInfoMalformed(uint8 mode, uint96 price) public {
        MockERC721.RoyaltyMode[6] memory broken = [
            MockERC721.RoyaltyMode.None,
            MockERC721.RoyaltyMode.Empty,
            MockERC721.RoyaltyMode.Short,
            MockERC721.RoyaltyMode.Oversized,
            MockERC721.RoyaltyMode.DirtyAddress,
            MockERC721.RoyaltyMode.GasGuzzler
        ];
        price = uint96(bound(price, 1, 1e27));
        nft.setRoyalty(broken[bound(mode, 0, 5)], artist, price / 2);
        _mintAndList(1, price, price);

        vm.deal(buyer, price);
        vm.prank(buyer);
        market.buy{value: price}(token, 1);
        assertEq(seller.balance, price, "the seller gets the whole price");
        assertEq(artist.balance, 0, "no royalty");
        assertEq(nft.ownerOf(1), buyer, "buyer owns the token");
    }

    /// A buyer who sends too little gas for an expensive `royaltyInfo` cannot buy without the royalty: the sale
    /// reverts instead.
    function testFuzz_buy_neverSkipsTheRoyaltyOnLowGas(uint256 gasLimit) public {
        gasLimit = bound(gasLimit, 50_000, 400_000);
        nft.setRoyalty(MockERC721.RoyaltyMode.Bps, artist, 1_000);
        nft.setRoyaltyGasBurn(90_000);
        _mintAndList(1, 1 ether, 0);

        vm.deal(buyer, 1 ether);
        vm.prank(buyer);
        try market.buy{value: 1 ether, gas: gasLimit}(token, 1) {
            assertEq(artist.balance, 0.1 ether, "a sale pays the royalty");
            assertEq(seller.balance, 0.9 ether, "and the rest to the seller");
        } catch {
            assertEq(nft.ownerOf(1), seller, "no sale, no transfer");
        }
    }

    function test_buy_revertsIfRoyaltyLookupStarved() public {
        _mintAndList(6, 1 ether, 0);
        vm.deal(buyer, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceRoyaltyLookupStarved.selector, token, 6));
        vm.prank(buyer);
        market.buy{value: 1 ether, gas: 100_000}(token, 6);
        // The same sale with gas to spare pays no royalty, as for any collection without ERC-2981.
        vm.prank(buyer);
        market.buy{value: 1 ether}(token, 6);
        assertEq(seller.balance, 1 ether, "the seller gets the whole price");
    }

    function test_buy_revertsIfRoyaltyExceedsPrice() public {
        nft.setRoyalty(MockERC721.RoyaltyMode.Fixed, artist, 2 ether);
        _mintAndList(2, 1 ether, 0);
        vm.deal(buyer, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceRoyaltyExceedsPrice.selector, 2 ether, 1 ether));
        vm.prank(buyer);
        market.buy{value: 1 ether}(token, 2);
    }

    function test_buy_revertsIfSellerIncrementedCounter() public {
        _mintAndList(3, 1 ether, 0);
        vm.prank(seller);
        market.incrementCounter();
        vm.deal(buyer, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceListingCounterStale.selector, token, 3, 0, 1));
        vm.prank(buyer);
        market.buy{value: 1 ether}(token, 3);
    }

    function test_buy_revertsIfSellerReapprovedTheToken() public {
        _mintAndList(4, 1 ether, 0);
        vm.prank(seller);
        nft.approve(artist, 4);
        vm.deal(buyer, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceListingWitnessCleared.selector, token, 4, artist));
        vm.prank(buyer);
        market.buy{value: 1 ether}(token, 4);
    }

    function test_list_revertsIfMinProceedsAbovePrice() public {
        nft.mint(seller, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IMarketplace.MarketplaceMinProceedsAbovePrice.selector, 1 ether + 1, 1 ether)
        );
        vm.prank(seller);
        market.list(token, 5, 1 ether, uint40(block.timestamp + 1), 1 ether + 1);
    }

    function _mintAndList(uint256 tokenId, uint96 price, uint96 minProceeds) private {
        nft.mint(seller, tokenId);
        vm.prank(seller);
        market.list(token, tokenId, price, uint40(block.timestamp + 1), minProceeds);
    }
}
