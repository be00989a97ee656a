// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IMarketplace} from "./interfaces/IMarketplace.sol";

/// @title Marketplace
/// @notice Royalty-paying fixed-price resale for any ERC-721 (ERC-2981 royalties honoured when supported).
contract Marketplace is IMarketplace, ReentrancyGuardTransient {
    /// @notice Gas forwarded with each pushed payment: enough for smart-contract wallets, too little to grief.
    uint256 public constant PUSH_GAS = 35_000;

    mapping(IERC721 nft => mapping(uint256 tokenId => Listing listing)) private _listings;
    mapping(address account => uint256 amount) private _credits;

    /// @inheritdoc IMarketplace
    function list(IERC721 nft, uint256 tokenId, uint96 price, uint40 expiresAt) external {
        if (nft.ownerOf(tokenId) != msg.sender) revert MarketplaceNotOwner(nft, tokenId, msg.sender);
        if (!_isApproved(nft, tokenId, msg.sender)) revert MarketplaceNotApproved(nft, tokenId);
        if (price == 0) revert MarketplaceZeroPrice();
        if (expiresAt <= block.timestamp) revert MarketplaceInvalidExpiry(expiresAt);
        _listings[nft][tokenId] = Listing({seller: msg.sender, price: price, expiresAt: expiresAt});
        emit Listed(nft, tokenId, msg.sender, price, expiresAt);
    }

    /// @inheritdoc IMarketplace
    function cancel(IERC721 nft, uint256 tokenId) external {
        address seller = _listings[nft][tokenId].seller;
        if (seller == address(0)) revert MarketplaceNotListed(nft, tokenId);
        if (seller != msg.sender) revert MarketplaceNotSeller(msg.sender, seller);
        delete _listings[nft][tokenId];
        emit ListingCancelled(nft, tokenId, msg.sender);
    }

    /// @inheritdoc IMarketplace
    function buy(IERC721 nft, uint256 tokenId) external payable nonReentrant {
        Listing memory listing = _listings[nft][tokenId];
        if (listing.seller == address(0)) revert MarketplaceNotListed(nft, tokenId);
        if (block.timestamp > listing.expiresAt) {
            revert MarketplaceListingExpired(nft, tokenId, listing.expiresAt);
        }
        if (msg.value != listing.price) revert MarketplaceWrongPayment(listing.price, msg.value);
        address owner = nft.ownerOf(tokenId);
        if (owner != listing.seller) revert MarketplaceStaleListing(nft, tokenId, listing.seller, owner);
        if (!_isApproved(nft, tokenId, owner)) revert MarketplaceNotApproved(nft, tokenId);
        (address royaltyReceiver, uint256 royalty) = _royalty(nft, tokenId, msg.value);

        delete _listings[nft][tokenId];
        nft.transferFrom(listing.seller, msg.sender, tokenId);
        if (royalty != 0) _pay(royaltyReceiver, royalty);
        _pay(listing.seller, msg.value - royalty);

        emit Sold(nft, tokenId, msg.sender, listing.seller, msg.value, royaltyReceiver, royalty);
    }

    /// @inheritdoc IMarketplace
    function withdraw(address payable to) external nonReentrant {
        uint256 amount = _credits[msg.sender];
        if (amount == 0) revert MarketplaceNothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert MarketplaceWithdrawFailed(to, amount);
        emit CreditsWithdrawn(msg.sender, to, amount);
    }

    /// @inheritdoc IMarketplace
    function getListing(IERC721 nft, uint256 tokenId) external view returns (Listing memory listing) {
        return _listings[nft][tokenId];
    }

    /// @inheritdoc IMarketplace
    function creditsOf(address account) external view returns (uint256 amount) {
        return _credits[account];
    }

    /// @dev Pushes ETH with a gas cap and without copying return data (no return-bomb); credits on failure.
    function _pay(address to, uint256 amount) private {
        bool ok;
        assembly ("memory-safe") {
            ok := call(PUSH_GAS, to, amount, 0, 0, 0, 0)
        }
        if (!ok) {
            _credits[to] += amount;
            emit PaymentDeferred(to, amount);
        }
    }

    function _isApproved(IERC721 nft, uint256 tokenId, address owner) private view returns (bool) {
        return nft.isApprovedForAll(owner, address(this)) || nft.getApproved(tokenId) == address(this);
    }

    /// @dev A collection without ERC-2981 (the call reverts or returns garbage) pays no royalty; one that claims
    /// more than the price is refused rather than silently capped.
    function _royalty(IERC721 nft, uint256 tokenId, uint256 price)
        private
        view
        returns (address receiver, uint256 amount)
    {
        try IERC2981(address(nft)).royaltyInfo(tokenId, price) returns (address r, uint256 a) {
            if (a > price) revert MarketplaceRoyaltyExceedsPrice(a, price);
            if (r == address(0)) return (address(0), 0);
            return (r, a);
        } catch {
            return (address(0), 0);
        }
    }
}
