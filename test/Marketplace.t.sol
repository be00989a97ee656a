// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
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

    // From the independent review: a receiver that needs more than PUSH_GAS and cannot call withdraw itself.
    function test_withdrawFor_paysItsOwnerIfTheReceiverCannotCall() public {
        PushSplitter splitter = new PushSplitter();
        nft.setRoyalty(MockERC721.RoyaltyMode.Bps, address(splitter), 1_000);
        _mintAndList(30, 1 ether, 0);
        vm.deal(buyer, 1 ether);
        vm.prank(buyer);
        market.buy{value: 1 ether}(token, 30);
        assertEq(market.creditsOf(address(splitter)), 0.1 ether, "royalty credited, not pushed");
        vm.expectEmit(true, true, false, true);
        emit IMarketplace.CreditsWithdrawn(address(splitter), address(splitter), 0.1 ether);
        vm.prank(artist); // anyone
        market.withdrawFor(address(splitter));
        assertEq(address(splitter).balance, 0.1 ether, "the splitter is paid");
        assertEq(market.creditsOf(address(splitter)), 0, "credit cleared");
    }

    function test_withdrawFor_revertsIfNothingCredited() public {
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceNothingToWithdraw.selector, artist));
        market.withdrawFor(artist);
    }

    function test_withdrawFor_revertsIfTheAccountRefusesAndKeepsTheCredit() public {
        MockSmartWallet wallet = new MockSmartWallet(seller);
        nft.setRoyalty(MockERC721.RoyaltyMode.Bps, address(wallet), 1_000);
        vm.prank(seller);
        wallet.setRejectPayments(true);
        _mintAndList(31, 1 ether, 0);
        vm.deal(buyer, 1 ether);
        vm.prank(buyer);
        market.buy{value: 1 ether}(token, 31);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceWithdrawFailed.selector, address(wallet), 0.1 ether));
        market.withdrawFor(address(wallet));
        assertEq(market.creditsOf(address(wallet)), 0.1 ether, "credit kept");
    }

    // From the independent review: whatever gas limit a buyer picks, a royaltyInfo that degrades when short of gas
    // (falling back in try/catch, or branching on gasleft) is either paid in full or the purchase fails.
    function test_buy_paysTheRoyaltyIfRoyaltyInfoDegradesWhenShortOfGas() public {
        for (uint8 mode; mode < 2; ++mode) {
            DegradingNFT d = new DegradingNFT(artist, mode);
            d.mint(seller, 1);
            vm.startPrank(seller);
            d.setApprovalForAll(address(market), true);
            market.list(IERC721(address(d)), 1, 1 ether, uint40(block.timestamp + 1), 0);
            vm.stopPrank();
            vm.deal(buyer, 1 ether);
            uint256 before = artist.balance;
            bool sold;
            for (uint256 g = 60_000; g < 400_000 && !sold; g += 250) {
                vm.prank(buyer);
                try market.buy{value: 1 ether, gas: g}(IERC721(address(d)), 1) {
                    sold = true;
                } catch {}
            }
            assertTrue(sold, "some gas limit buys");
            assertEq(artist.balance - before, 0.1 ether, "and the royalty is paid");
        }
    }

    function test_buy_revertsIfTooLittleGasForTheRoyaltyLookup() public {
        _mintAndList(32, 1 ether, 0);
        vm.deal(buyer, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceRoyaltyLookupStarved.selector, token, 32));
        vm.prank(buyer);
        market.buy{value: 1 ether, gas: 90_000}(token, 32);
    }

    // Documented behaviour: revoking the approval for all pauses listings, granting it again revives them; the
    // counter ends them for good.
    function test_buy_revertsIfCounterIncrementedBeforeApprovalIsGrantedAgain() public {
        nft.mint(seller, 33);
        vm.startPrank(seller);
        market.list(token, 33, 1, uint40(block.timestamp + 365 days), 0);
        nft.setApprovalForAll(address(market), false);
        market.incrementCounter();
        nft.setApprovalForAll(address(market), true);
        vm.stopPrank();
        vm.deal(buyer, 1);
        vm.expectRevert(abi.encodeWithSelector(IMarketplace.MarketplaceListingCounterStale.selector, token, 33, 0, 1));
        vm.prank(buyer);
        market.buy{value: 1}(token, 33);
    }

    function test_list_revertsIfTheCollectionLetsOnlyTheOwnerApprove() public {
        OwnerOnlyApproveNFT o = new OwnerOnlyApproveNFT();
        o.mint(seller, 1);
        vm.startPrank(seller);
        o.setApprovalForAll(address(market), true);
        vm.expectRevert(abi.encodeWithSelector(OwnerOnlyApproveNFT.OwnerOnly.selector));
        market.list(IERC721(address(o)), 1, 1 ether, uint40(block.timestamp + 1), 0);
        vm.stopPrank();
    }

    function _mintAndList(uint256 tokenId, uint96 price, uint96 minProceeds) private {
        nft.mint(seller, tokenId);
        vm.prank(seller);
        market.list(token, tokenId, price, uint40(block.timestamp + 1), minProceeds);
    }
}

/// A royalty oracle that costs ~30k gas to answer.
contract SlowOracle {
    uint256 public bps = 1_000;

    function royaltyBps() external view returns (uint256) {
        uint256 until = gasleft() - 30_000;
        while (gasleft() > until) {}
        return bps;
    }
}

/// A collection whose royaltyInfo degrades when short of gas: mode 0 falls back to a zero royalty when its oracle
/// call fails (try/catch); mode 1 answers a zero royalty when gasleft() looks low.
contract DegradingNFT is ERC721 {
    SlowOracle public oracle = new SlowOracle();
    address public artist;
    uint8 public mode;

    constructor(address artist_, uint8 mode_) ERC721("D", "D") {
        artist = artist_;
        mode = mode_;
    }

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }

    function royaltyInfo(uint256, uint256 price) external view returns (address, uint256) {
        if (mode == 1 && gasleft() < 95_000) return (artist, 0);
        try oracle.royaltyBps() returns (uint256 bps) {
            return (artist, price * bps / 10_000);
        } catch {
            return (artist, 0);
        }
    }
}

/// An ERC-721 (like some older ones) that lets only the owner call approve.
contract OwnerOnlyApproveNFT is ERC721 {
    error OwnerOnly();

    constructor() ERC721("O", "O") {}

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }

    function approve(address to, uint256 tokenId) public override {
        if (ownerOf(tokenId) != msg.sender) revert OwnerOnly();
        super.approve(to, tokenId);
    }
}

/// A push splitter as royalty receiver: distributes on receive (needs far more than PUSH_GAS) and cannot call out.
contract PushSplitter {
    uint256[20] private _slots;

    receive() external payable {
        for (uint256 i; i < 20; ++i) {
            _slots[i] += msg.value;
        }
    }
}
