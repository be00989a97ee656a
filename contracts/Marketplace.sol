// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IMarketplace} from "./interfaces/IMarketplace.sol";

/// @title Marketplace
/// @notice Royalty-paying fixed-price resale for any ERC-721 (ERC-2981 royalties honoured when supported), whose
/// listings die with the first transfer of their token.
contract Marketplace is IMarketplace, ReentrancyGuardTransient {
    /// @notice Gas forwarded with each pushed payment: enough for smart-contract wallets, too little to grief.
    uint256 public constant PUSH_GAS = 35_000;
    /// @notice Gas a collection's `royaltyInfo` may use; beyond it the sale pays no royalty.
    uint256 public constant ROYALTY_GAS = 100_000;

    /// @dev The least gas left before the lookup for the callee to surely get all of ROYALTY_GAS (EIP-150 keeps
    /// 1/64 back; the margin covers the call's own cost).
    uint256 private constant _ROYALTY_GAS_BEFORE_CALL = (ROYALTY_GAS + 5_000) * 64 / 63;

    address private immutable _witness;

    mapping(IERC721 nft => mapping(uint256 tokenId => Listing listing)) private _listings;
    mapping(address seller => uint64 counter) private _counters;
    mapping(address account => uint256 amount) private _credits;

    constructor() {
        // A 160-bit hash image: finding a key or a CREATE/CREATE2 deployment for it is a 2^160 preimage search.
        // Bound to this deployment, so a listing elsewhere never revives a listing here.
        _witness = address(uint160(uint256(keccak256(abi.encode("DCMX.Marketplace.witness", address(this))))));
    }

    /// @inheritdoc IMarketplace
    function list(IERC721 nft, uint256 tokenId, uint96 price, uint40 expiresAt, uint96 minProceeds) external {
        if (nft.ownerOf(tokenId) != msg.sender) revert MarketplaceNotOwner(nft, tokenId, msg.sender);
        if (!nft.isApprovedForAll(msg.sender, address(this))) revert MarketplaceNotApproved(nft, tokenId);
        if (price == 0) revert MarketplaceZeroPrice();
        if (minProceeds > price) revert MarketplaceMinProceedsAbovePrice(minProceeds, price);
        if (expiresAt <= block.timestamp) revert MarketplaceInvalidExpiry(expiresAt);
        uint64 counter = _counters[msg.sender];
        _listings[nft][tokenId] = Listing({
            seller: msg.sender, price: price, minProceeds: minProceeds, expiresAt: expiresAt, counter: counter
        });
        // As the seller's operator: ERC-721 resets this approval on every transfer, which is what voids the listing.
        nft.approve(_witness, tokenId);
        emit Listed(nft, tokenId, msg.sender, price, minProceeds, expiresAt, counter);
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
    function incrementCounter() external returns (uint64 newCounter) {
        newCounter = ++_counters[msg.sender];
        emit CounterIncremented(msg.sender, newCounter);
    }

    /// @inheritdoc IMarketplace
    function buy(IERC721 nft, uint256 tokenId) external payable nonReentrant {
        Listing memory listing = _listings[nft][tokenId];
        address seller = listing.seller;
        if (seller == address(0)) revert MarketplaceNotListed(nft, tokenId);
        if (block.timestamp > listing.expiresAt) {
            revert MarketplaceListingExpired(nft, tokenId, listing.expiresAt);
        }
        uint64 counter = _counters[seller];
        if (listing.counter != counter) {
            revert MarketplaceListingCounterStale(nft, tokenId, listing.counter, counter);
        }
        if (msg.value != listing.price) revert MarketplaceWrongPayment(listing.price, msg.value);
        address owner = nft.ownerOf(tokenId);
        if (owner != seller) revert MarketplaceStaleListing(nft, tokenId, seller, owner);
        address approved = nft.getApproved(tokenId);
        if (approved != _witness) revert MarketplaceListingWitnessCleared(nft, tokenId, approved);
        if (!nft.isApprovedForAll(seller, address(this))) revert MarketplaceNotApproved(nft, tokenId);
        (address royaltyReceiver, uint256 royalty) = _royalty(nft, tokenId, msg.value);
        uint256 proceeds = msg.value - royalty;
        if (proceeds < listing.minProceeds) {
            revert MarketplaceProceedsBelowMinimum(nft, tokenId, proceeds, listing.minProceeds);
        }

        delete _listings[nft][tokenId];
        // Logged before the external calls, so the sale precedes any deferral or re-entry in the receipt's logs.
        emit Sold(nft, tokenId, msg.sender, seller, msg.value, royaltyReceiver, royalty);
        nft.transferFrom(seller, msg.sender, tokenId);
        if (royalty != 0) _pay(royaltyReceiver, royalty);
        _pay(seller, proceeds);
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
    function withdrawFor(address account) external nonReentrant {
        uint256 amount = _credits[account];
        if (amount == 0) revert MarketplaceNothingToWithdraw(account);
        _credits[account] = 0;
        (bool ok,) = account.call{value: amount}("");
        if (!ok) revert MarketplaceWithdrawFailed(account, amount);
        emit CreditsWithdrawn(account, account, amount);
    }

    /// @inheritdoc IMarketplace
    function getListing(IERC721 nft, uint256 tokenId) external view returns (Listing memory listing) {
        return _listings[nft][tokenId];
    }

    /// @inheritdoc IMarketplace
    function counterOf(address seller) external view returns (uint64 counter) {
        return _counters[seller];
    }

    /// @inheritdoc IMarketplace
    function witness() external view returns (address witness_) {
        return _witness;
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

    /// @dev Reads ERC-2981 with a gas bound and without copying more than 64 bytes of return data. An answer that
    /// is not exactly one clean address and one amount (a revert, no ERC-2981, empty, short or oversized data, a
    /// dirty address word) or names no receiver pays no royalty, so a broken collection can still be sold; a
    /// well-formed royalty above the price is refused rather than silently capped. The lookup always gets its whole
    /// gas bound: otherwise a buyer could send just too little gas for it (a `royaltyInfo` that fails cheaply, or
    /// answers zero, when short of gas) and skip the royalty.
    function _royalty(IERC721 nft, uint256 tokenId, uint256 price)
        private
        view
        returns (address receiver, uint256 amount)
    {
        bytes4 selector = IERC2981.royaltyInfo.selector;
        bool ok;
        uint256 size;
        uint256 receiverWord;
        // Checked before every lookup, not only after a failed one: a `royaltyInfo` that answers a well-formed zero
        // royalty when short of gas must not be skippable by a tuned gas limit either.
        if (gasleft() < _ROYALTY_GAS_BEFORE_CALL) revert MarketplaceRoyaltyLookupStarved(nft, tokenId);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), tokenId)
            mstore(add(ptr, 0x24), price)
            ok := staticcall(ROYALTY_GAS, nft, ptr, 0x44, ptr, 0x40)
            size := returndatasize()
            receiverWord := mload(ptr)
            amount := mload(add(ptr, 0x20))
        }
        if (!ok || size != 0x40 || receiverWord == 0 || receiverWord >> 160 != 0) return (address(0), 0);
        if (amount > price) revert MarketplaceRoyaltyExceedsPrice(amount, price);
        receiver = address(uint160(receiverWord));
    }
}
