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
    address buyer = makeAddr("buyer");

    function setUp() public {
        market = new Marketplace();
        nft = new MockERC721();
    }

    /// Royalty receiver + seller (pushed or credited) receive exactly the price; the marketplace keeps only credits.
    function testFuzz_buy_paysOutExactlyThePrice(uint96 price, uint96 royalty, bool sellerRefuses, bool artistRefuses)
        public
    {
        price = uint96(bound(price, 1, 1e27));
        royalty = uint96(bound(royalty, 0, price));
        MockSmartWallet seller = new MockSmartWallet(address(this));
        MockSmartWallet artist = new MockSmartWallet(address(this));
        nft.mint(address(seller), 1);
        nft.setRoyalty(true, address(artist), royalty);
        seller.execute(address(nft), 0, abi.encodeCall(IERC721.setApprovalForAll, (address(market), true)));
        seller.execute(
            address(market),
            0,
            abi.encodeCall(IMarketplace.list, (IERC721(address(nft)), 1, price, uint40(block.timestamp + 1)))
        );
        seller.setRejectPayments(sellerRefuses);
        artist.setRejectPayments(artistRefuses);

        vm.deal(buyer, price);
        vm.prank(buyer);
        market.buy{value: price}(IERC721(address(nft)), 1);

        uint256 sellerGot = address(seller).balance + market.creditsOf(address(seller));
        uint256 artistGot = address(artist).balance + market.creditsOf(address(artist));
        assertEq(artistGot, royalty, "artist gets the royalty");
        assertEq(sellerGot + artistGot, price, "payouts sum to the price");
        assertEq(
            address(market).balance,
            market.creditsOf(address(seller)) + market.creditsOf(address(artist)),
            "marketplace holds only credits"
        );
        assertEq(nft.ownerOf(1), buyer, "buyer owns the token");
    }

    function test_buy_revertsIfRoyaltyExceedsPrice() public {
        address seller = makeAddr("seller");
        nft.mint(seller, 2);
        nft.setRoyalty(true, seller, 2 ether);
        vm.startPrank(seller);
        nft.setApprovalForAll(address(market), true);
        market.list(IERC721(address(nft)), 2, 1 ether, uint40(block.timestamp + 1));
        vm.stopPrank();
        vm.deal(buyer, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceRoyaltyExceedsPrice.selector, 2 ether, 1 ether));
        vm.prank(buyer);
        market.buy{value: 1 ether}(IERC721(address(nft)), 2);
    }
}
