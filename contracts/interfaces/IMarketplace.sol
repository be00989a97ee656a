// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title IMarketplace
/// @notice Fixed-price resale of any ERC-721 for ETH that always pays the ERC-2981 royalty to the rights holder.
/// @dev The marketplace never holds tokens: a listing is an offer backed by the seller's approval, and is checked
/// at purchase time (owner unchanged, approval still given, not expired), so a stale listing cannot be bought.
/// Payouts are pushed with a gas cap; a recipient that reverts or runs out of gas is credited instead and pulls
/// with `withdraw`, so no recipient can block a sale. No fee is taken.
interface IMarketplace {
    /// @notice A live offer to sell one token.
    /// @param seller The owner when listed; the listing is void once the token leaves them.
    /// @param price Price in wei.
    /// @param expiresAt Unix time after which the listing cannot be bought.
    struct Listing {
        address seller;
        uint96 price;
        uint40 expiresAt;
    }

    /// @notice Emitted when a token is listed (or relisted at new terms).
    event Listed(IERC721 indexed nft, uint256 indexed tokenId, address indexed seller, uint96 price, uint40 expiresAt);
    /// @notice Emitted when the seller cancels a listing.
    event ListingCancelled(IERC721 indexed nft, uint256 indexed tokenId, address indexed seller);
    /// @notice Emitted on every sale, with the royalty paid to `royaltyReceiver`.
    event Sold(
        IERC721 indexed nft,
        uint256 indexed tokenId,
        address indexed buyer,
        address seller,
        uint256 price,
        address royaltyReceiver,
        uint256 royaltyAmount
    );
    /// @notice Emitted when a push payment failed and `amount` was credited to `recipient` instead.
    event PaymentDeferred(address indexed recipient, uint256 amount);
    /// @notice Emitted when an account withdraws its credited payments.
    event CreditsWithdrawn(address indexed account, address indexed to, uint256 amount);

    /// @notice The caller does not own the token.
    error MarketplaceNotOwner(IERC721 nft, uint256 tokenId, address caller);
    /// @notice The marketplace is not approved to transfer the token.
    error MarketplaceNotApproved(IERC721 nft, uint256 tokenId);
    /// @notice The price is zero.
    error MarketplaceZeroPrice();
    /// @notice The expiry is not in the future.
    error MarketplaceInvalidExpiry(uint40 expiresAt);
    /// @notice The token is not listed.
    error MarketplaceNotListed(IERC721 nft, uint256 tokenId);
    /// @notice The listing has expired.
    error MarketplaceListingExpired(IERC721 nft, uint256 tokenId, uint40 expiresAt);
    /// @notice The token left the seller after listing, so the listing is void.
    error MarketplaceStaleListing(IERC721 nft, uint256 tokenId, address seller, address owner);
    /// @notice `msg.value` is not exactly the listed price.
    error MarketplaceWrongPayment(uint256 expected, uint256 sent);
    /// @notice The token reports a royalty above the sale price.
    error MarketplaceRoyaltyExceedsPrice(uint256 royaltyAmount, uint256 price);
    /// @notice Only the seller may cancel.
    error MarketplaceNotSeller(address caller, address seller);
    /// @notice The caller has no credited payments.
    error MarketplaceNothingToWithdraw(address account);
    /// @notice Sending credited payments to `to` failed; they stay credited.
    error MarketplaceWithdrawFailed(address to, uint256 amount);

    /// @notice Lists a token the caller owns, after approving this contract for it (or for all).
    /// @param nft The collection.
    /// @param tokenId The token.
    /// @param price Price in wei, non-zero.
    /// @param expiresAt Unix time the listing lapses; MUST be in the future.
    function list(IERC721 nft, uint256 tokenId, uint96 price, uint40 expiresAt) external;

    /// @notice Cancels the caller's listing.
    /// @param nft The collection.
    /// @param tokenId The token.
    function cancel(IERC721 nft, uint256 tokenId) external;

    /// @notice Buys a listed token for exactly its price: the royalty goes to the ERC-2981 receiver, the rest to
    /// the seller, and the token to the caller.
    /// @param nft The collection.
    /// @param tokenId The token.
    function buy(IERC721 nft, uint256 tokenId) external payable;

    /// @notice Sends the caller's credited (deferred) payments to `to`.
    /// @param to The recipient.
    function withdraw(address payable to) external;

    /// @notice The listing for a token (zero seller when none).
    /// @param nft The collection.
    /// @param tokenId The token.
    /// @return listing The listing.
    function getListing(IERC721 nft, uint256 tokenId) external view returns (Listing memory listing);

    /// @notice Wei credited to `account` from payments that could not be pushed.
    /// @param account The payee.
    /// @return amount The credit.
    function creditsOf(address account) external view returns (uint256 amount);
}
