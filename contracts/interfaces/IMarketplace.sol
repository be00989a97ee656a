// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title IMarketplace
/// @notice Fixed-price resale of any ERC-721 for ETH that pays the ERC-2981 royalty to the rights holder without
/// ever cutting the seller below the minimum proceeds they listed with.
/// @dev The marketplace never holds tokens: a listing is an offer backed by the seller's approval-for-all. When
/// listing, the marketplace (as the seller's operator) points the token's single-token approval at `witness()`, an
/// address derived from this contract that nobody holds a key for. ERC-721 resets that approval on every transfer,
/// so a purchase that still finds `getApproved(tokenId) == witness()` (besides owner == seller, the seller's
/// counter and the expiry) knows the token never left the seller since listing: a token that left and came back
/// cannot be bought until its owner lists it again, at new terms. `incrementCounter` voids all of a seller's
/// listings at once. Payouts are pushed with a gas cap; a recipient that reverts or runs out of gas is credited
/// instead and pulls with `withdraw` (or anyone pushes it with `withdrawFor`, for receivers such as split contracts
/// that cannot call), so no recipient can block a sale. No fee is taken.
/// IMPORTANT for sellers: revoking the approval-for-all only pauses listings (granting it again revives any listing
/// whose token never moved); `cancel` or `incrementCounter` ends them. Limits: a collection that lets only the owner
/// call `approve` cannot be listed (list reverts), and a non-compliant collection that keeps single-token approvals
/// across transfers would keep its listings alive.
interface IMarketplace {
    /// @notice A standing offer to sell one token (two storage slots).
    /// @param seller The owner when listed; the listing is void once the token leaves them, even if it returns.
    /// @param price Price in wei.
    /// @param minProceeds The least the seller accepts after the royalty; a purchase reverts when the collection's
    /// royalty at that moment would leave less. At most `price`.
    /// @param expiresAt Unix time after which the listing cannot be bought.
    /// @param counter The seller's counter when listed; the listing is void once the seller increments it.
    struct Listing {
        address seller;
        uint96 price;
        uint96 minProceeds;
        uint40 expiresAt;
        uint64 counter;
    }

    /// @notice Emitted when a token is listed (or relisted at new terms).
    event Listed(
        IERC721 indexed nft,
        uint256 indexed tokenId,
        address indexed seller,
        uint96 price,
        uint96 minProceeds,
        uint40 expiresAt,
        uint64 counter
    );
    /// @notice Emitted when the seller cancels a listing.
    event ListingCancelled(IERC721 indexed nft, uint256 indexed tokenId, address indexed seller);
    /// @notice Emitted when `seller` voids all their listings made before, by moving to `newCounter`.
    event CounterIncremented(address indexed seller, uint64 newCounter);
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
    /// @notice The token's owner has not approved this marketplace for all their tokens of the collection.
    error MarketplaceNotApproved(IERC721 nft, uint256 tokenId);
    /// @notice The price is zero.
    error MarketplaceZeroPrice();
    /// @notice The minimum proceeds exceed the price.
    error MarketplaceMinProceedsAbovePrice(uint96 minProceeds, uint96 price);
    /// @notice The expiry is not in the future.
    error MarketplaceInvalidExpiry(uint40 expiresAt);
    /// @notice The token is not listed.
    error MarketplaceNotListed(IERC721 nft, uint256 tokenId);
    /// @notice The listing has expired.
    error MarketplaceListingExpired(IERC721 nft, uint256 tokenId, uint40 expiresAt);
    /// @notice The seller incremented their counter after listing, so the listing is void.
    error MarketplaceListingCounterStale(IERC721 nft, uint256 tokenId, uint64 listingCounter, uint64 sellerCounter);
    /// @notice The token is owned by someone other than the seller, so the listing is void.
    error MarketplaceStaleListing(IERC721 nft, uint256 tokenId, address seller, address owner);
    /// @notice The token's single-token approval no longer points at `witness()`: the token left the seller after
    /// listing (even if it came back) or its approval was changed, so the listing is void.
    error MarketplaceListingWitnessCleared(IERC721 nft, uint256 tokenId, address approved);
    /// @notice `msg.value` is not exactly the listed price.
    error MarketplaceWrongPayment(uint256 expected, uint256 sent);
    /// @notice The token reports a royalty above the sale price.
    error MarketplaceRoyaltyExceedsPrice(uint256 royaltyAmount, uint256 price);
    /// @notice Too little gas left to give the royalty lookup its whole `ROYALTY_GAS`: retry with a higher gas limit.
    error MarketplaceRoyaltyLookupStarved(IERC721 nft, uint256 tokenId);
    /// @notice The collection's current royalty would leave the seller less than the listing's minimum proceeds.
    error MarketplaceProceedsBelowMinimum(IERC721 nft, uint256 tokenId, uint256 proceeds, uint96 minProceeds);
    /// @notice Only the seller may cancel.
    error MarketplaceNotSeller(address caller, address seller);
    /// @notice The caller has no credited payments.
    error MarketplaceNothingToWithdraw(address account);
    /// @notice Sending credited payments to `to` failed; they stay credited.
    error MarketplaceWithdrawFailed(address to, uint256 amount);

    /// @notice Lists a token the caller owns, after the caller approved this marketplace for all their tokens of
    /// the collection (`setApprovalForAll`); a single-token approval is not enough.
    /// @dev IMPORTANT: listing replaces the token's single-token approval with `witness()` (any other address
    /// approved for this token loses that approval), and approving anyone else for the token voids the listing.
    /// Listing again overwrites the terms, whoever listed before.
    /// @param nft The collection.
    /// @param tokenId The token.
    /// @param price Price in wei, non-zero.
    /// @param expiresAt Unix time the listing lapses; MUST be in the future.
    /// @param minProceeds The least the seller accepts after the royalty, at most `price`; pass `price` minus the
    /// royalty quoted now to refuse any royalty increase, or zero to accept whatever the collection asks.
    function list(IERC721 nft, uint256 tokenId, uint96 price, uint40 expiresAt, uint96 minProceeds) external;

    /// @notice Cancels the caller's listing.
    /// @param nft The collection.
    /// @param tokenId The token.
    function cancel(IERC721 nft, uint256 tokenId) external;

    /// @notice Voids every listing the caller has made so far, in one call.
    /// @return newCounter The caller's counter from now on; only listings made with it can be bought.
    function incrementCounter() external returns (uint64 newCounter);

    /// @notice Buys a listed token for exactly its price: the royalty goes to the ERC-2981 receiver, the rest to
    /// the seller, and the token to the caller.
    /// @dev Reverts unless the token is still the seller's, has not left them since listing, is still approved, the
    /// listing is unexpired and made with the seller's current counter, and the collection's current royalty
    /// leaves the seller at least `minProceeds`. A `royaltyInfo` that reverts, runs out of its gas bound, returns
    /// anything but 64 bytes or a malformed address pays no royalty (such a sale needs a gas limit that leaves
    /// the lookup its whole bound); one above the price is refused.
    /// @param nft The collection.
    /// @param tokenId The token.
    function buy(IERC721 nft, uint256 tokenId) external payable;

    /// @notice Sends the caller's credited (deferred) payments to `to`.
    /// @param to The recipient.
    function withdraw(address payable to) external;

    /// @notice Sends `account`'s credited payments to `account` itself, with all remaining gas. Anyone may call:
    /// the money can only go to its owner, and a receiver that cannot call `withdraw` (a split contract whose
    /// `receive` needs more than `PUSH_GAS`) still gets paid.
    /// @param account The payee.
    function withdrawFor(address account) external;

    /// @notice The listing for a token as stored (zero seller when none); it may be void (see `buy`).
    /// @param nft The collection.
    /// @param tokenId The token.
    /// @return listing The listing.
    function getListing(IERC721 nft, uint256 tokenId) external view returns (Listing memory listing);

    /// @notice The counter a listing by `seller` must carry to be buyable.
    /// @param seller The seller.
    /// @return counter The seller's current counter.
    function counterOf(address seller) external view returns (uint64 counter);

    /// @notice The address a listed token's single-token approval points at while its listing is live.
    /// @dev A hash of this contract's address: finding its key or deploying code at it is a 2^160 preimage search,
    /// so the approval never lets anyone move the token.
    /// @return witness_ The witness address.
    function witness() external view returns (address witness_);

    /// @notice Wei credited to `account` from payments that could not be pushed.
    /// @param account The payee.
    /// @return amount The credit.
    function creditsOf(address account) external view returns (uint256 amount);
}
