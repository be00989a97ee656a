// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IEditions
/// @notice Numbered limited editions of registered DCMX tracks, sold for ETH, with ERC-2981 resale royalties.
/// @dev Token ids pack the edition and the serial: `tokenId = editionId << 32 | serial`, serials run 1..maxSupply,
/// so "#k of N" needs no extra storage. Primary proceeds accrue to the artist (and the protocol treasury, if a fee
/// is set) and are withdrawn with `withdraw` (pull payments).
/// An edition may open with a presale for an allowlist (a Merkle root over OpenZeppelin's standard leaves
/// `keccak256(bytes.concat(keccak256(abi.encode(wallet))))`, as the OpenZeppelin merkle-tree package's
/// `StandardMerkleTree.of(wallets.map((w) => [w]), ["address"])` builds them) in `[presale.start, saleStart)`, with
/// its own price and per-wallet cap, before the public sale.
/// The edition's artist follows the track registry. When governance reassigns a track (a stolen or mistaken
/// registration), none of the previous artist's terms survive: sales of its editions stop at once (`EditionArtistChanged`),
/// royalties go to the new artist at once (a receiver override the previous artist set is ignored), artist-only
/// functions answer only the new artist, and `syncArtist` (permissionless) records the new artist and closes each
/// edition (supply final at what was sold, presale deleted), so the new artist releases new editions on terms of
/// their own. Proceeds already credited to the previous artist stay theirs (pull payments are per account; governance
/// does not seize funds).
interface IEditions {
    /// @notice An allowlist presale before the public sale (all zero: no presale).
    /// @param merkleRoot Root of the allowlist (standard OpenZeppelin leaves of the wallet address); zero: none.
    /// @param price Presale price per token in wei.
    /// @param start Unix time the presale opens; it closes at the edition's `saleStart`, which MUST be later.
    /// @param perWalletCap Maximum tokens one wallet may buy in the presale (0: no cap); counted apart from the
    /// public sale's cap (as Zora's drops do).
    struct Presale {
        bytes32 merkleRoot;
        uint96 price;
        uint40 start;
        uint32 perWalletCap;
    }

    /// @notice What an artist chooses when creating an edition.
    /// @param contentHash The registered track (SHA-256 of its audio); the caller MUST be its artist.
    /// @param name Display name shown on every token ("<name> #k/N"); MUST be non-empty.
    /// @param price Price per token in wei (0 for a free edition).
    /// @param maxSupply Number of tokens, 1..2^32-1.
    /// @param royaltyBps Resale royalty in basis points, at most `maxRoyaltyBps()`; `DEFAULT_ROYALTY_BPS` is 10%.
    /// @param saleStart Unix time the sale opens (0: at once).
    /// @param saleEnd Unix time the sale closes (0: never).
    /// @param perWalletCap Maximum tokens one wallet may buy in the public sale (0: no cap).
    /// @param presale An optional allowlist presale (zero merkle root: none).
    struct EditionParams {
        bytes32 contentHash;
        string name;
        uint96 price;
        uint32 maxSupply;
        uint16 royaltyBps;
        uint40 saleStart;
        uint40 saleEnd;
        uint32 perWalletCap;
        Presale presale;
    }

    /// @notice IPFS content identifiers of an edition's media (empty: none). With them, `tokenURI` gives wallets
    /// `ipfs://` URIs: the audio as `animation_url` (the mesh gateway URL stays in `properties.audio_gateway_url`) and
    /// the cover as `image` (else the on-chain SVG). Each is a CIDv1 in base32 (`b` + [a-z2-7]), e.g. what a DCMX node
    /// computes at upload (`track.cid`, `POST /ipfs` for cover art).
    struct Media {
        string audioCid;
        string imageCid;
    }

    /// @notice An edition as stored (four slots; the presale and a royalty receiver override live apart).
    /// @dev `artist` is the artist cached at creation or at the last `syncArtist`; it receives primary proceeds and
    /// royalties while it is still the registry's artist of the track. `hasRoyaltyReceiver` says whether the artist
    /// set another royalty receiver (`royaltyReceiverOf`).
    struct Edition {
        bytes32 contentHash;
        address artist;
        uint96 price;
        uint32 maxSupply;
        uint32 minted;
        uint16 royaltyBps;
        uint32 perWalletCap;
        uint40 saleStart;
        uint40 saleEnd;
        bool hasRoyaltyReceiver;
        string name;
    }

    /// @notice Emitted when an artist creates an edition.
    event EditionCreated(
        uint256 indexed editionId,
        bytes32 indexed contentHash,
        address indexed artist,
        string name,
        uint96 price,
        uint32 maxSupply,
        uint16 royaltyBps,
        uint40 saleStart,
        uint40 saleEnd,
        uint32 perWalletCap
    );
    /// @notice Emitted when `buyer` buys `quantity` tokens with ids `firstTokenId .. firstTokenId + quantity - 1`.
    event EditionPurchased(
        uint256 indexed editionId, address indexed buyer, uint256 firstTokenId, uint256 quantity, uint256 paid
    );
    /// @notice Emitted at creation when an edition has a presale.
    event EditionPresaleCreated(
        uint256 indexed editionId, bytes32 merkleRoot, uint96 price, uint40 start, uint32 perWalletCap
    );
    /// @notice Emitted with a purchase that carries a comment (as Zora's mint comments).
    event EditionCommented(
        uint256 indexed editionId, address indexed buyer, uint256 firstTokenId, uint256 quantity, string comment
    );
    /// @notice Emitted when the artist sets the royalty receiver (the artist itself after a reset to zero).
    event EditionRoyaltyReceiverUpdated(uint256 indexed editionId, address receiver);
    /// @notice Emitted when the artist changes the public price.
    event EditionPriceUpdated(uint256 indexed editionId, uint96 price);
    /// @notice Emitted when the artist ends the sale (or a reassignment closes it): no presale or public sale after
    /// `endedAt`, and the edition's size is final at `finalSupply` (the number minted).
    event EditionClosed(uint256 indexed editionId, uint32 finalSupply, uint40 endedAt);
    /// @notice Emitted when an edition's cached artist is brought in line with the track registry.
    event EditionArtistSynced(uint256 indexed editionId, address indexed previousArtist, address indexed newArtist);
    /// @notice Emitted when the artist sets an edition's IPFS media identifiers.
    event EditionMediaUpdated(uint256 indexed editionId, string audioCid, string imageCid);
    /// @notice Emitted when an account withdraws its accrued proceeds.
    event ProceedsWithdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice Emitted when governance sets the protocol fee on primary sales.
    event ProtocolFeeUpdated(uint16 feeBps);
    /// @notice Emitted when governance sets the treasury that receives the protocol fee.
    event TreasuryUpdated(address treasury);
    /// @notice Emitted when governance sets the royalty cap for new editions.
    event MaxRoyaltyUpdated(uint16 maxRoyaltyBps);
    /// @notice Emitted when governance sets the gateway prefix used for `animation_url`.
    event ContentBaseURIUpdated(string contentBaseURI);

    /// @notice The caller is not the registered artist of `contentHash` (or it is not registered).
    error EditionsNotTrackArtist(bytes32 contentHash, address caller);
    /// @notice The maximum supply is zero.
    error EditionsZeroSupply();
    /// @notice The name is empty.
    error EditionsEmptyName();
    /// @notice The royalty exceeds the current cap.
    error EditionsRoyaltyTooHigh(uint16 royaltyBps, uint16 maxRoyaltyBps);
    /// @notice The sale window closes before it opens.
    error EditionsInvalidSaleWindow(uint40 saleStart, uint40 saleEnd);
    /// @notice The protocol fee exceeds `MAX_PROTOCOL_FEE_BPS`.
    error EditionsFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    /// @notice A royalty cap above `ROYALTY_BPS_CEILING`.
    error EditionsRoyaltyCapTooHigh(uint16 maxRoyaltyBps, uint16 ceiling);
    /// @notice A fee is set (or requested) while the treasury is the zero address.
    error EditionsNoTreasury();
    /// @notice The caller has no proceeds to withdraw.
    error EditionsNothingToWithdraw(address account);
    /// @notice Sending proceeds to `to` failed; the proceeds stay credited.
    error EditionsWithdrawFailed(address to, uint256 amount);
    /// @notice No edition has this id.
    error EditionNotFound(uint256 editionId);
    /// @notice Fewer than the requested tokens are left.
    error EditionSoldOut(uint256 editionId, uint256 remaining);
    /// @notice Quantity is zero or above `MAX_PER_PURCHASE`.
    error EditionInvalidQuantity(uint256 quantity, uint256 maxPerPurchase);
    /// @notice The sale has not opened yet.
    error EditionSaleNotStarted(uint256 editionId, uint40 saleStart);
    /// @notice The sale has closed.
    error EditionSaleEnded(uint256 editionId, uint40 saleEnd);
    /// @notice `msg.value` is not exactly price x quantity.
    error EditionWrongPayment(uint256 expected, uint256 sent);
    /// @notice The purchase would take `wallet` above the edition's per-wallet cap.
    error EditionWalletCapExceeded(uint256 editionId, address wallet, uint32 cap);
    /// @notice The presale must close (at `saleStart`) after it opens (at `presaleStart`).
    error EditionsInvalidPresaleWindow(uint40 presaleStart, uint40 saleStart);
    /// @notice The caller is not the current artist of the edition's track.
    error EditionNotArtist(uint256 editionId, address caller);
    /// @notice Governance reassigned the track from `cachedArtist` to `currentArtist`: the edition sells nothing
    /// more; `syncArtist` closes it.
    error EditionArtistChanged(uint256 editionId, address cachedArtist, address currentArtist);
    /// @notice The edition has no presale.
    error EditionNoPresale(uint256 editionId);
    /// @notice The presale has not opened yet.
    error EditionPresaleNotStarted(uint256 editionId, uint40 presaleStart);
    /// @notice The presale closed when the public sale opened at `saleStart`.
    error EditionPresaleEnded(uint256 editionId, uint40 saleStart);
    /// @notice The Merkle proof does not show `wallet` on the edition's allowlist.
    error EditionNotAllowlisted(uint256 editionId, address wallet);
    /// @notice The presale purchase would take `wallet` above the presale's per-wallet cap.
    error EditionPresaleCapExceeded(uint256 editionId, address wallet, uint32 cap);
    /// @notice The comment is longer than `MAX_COMMENT_LENGTH` bytes.
    error EditionCommentTooLong(uint256 length, uint256 maxLength);
    /// @notice Not a CIDv1 in base32 (`b` followed by [a-z2-7], at most 100 characters).
    error EditionsInvalidCid(string cid);

    /// @notice Creates a numbered limited edition of a track the caller registered.
    /// @param params The edition's terms.
    /// @return editionId The new edition's id (starting at 1).
    function createEdition(EditionParams calldata params) external returns (uint256 editionId);

    /// @notice Buys `quantity` consecutive serials of an edition for the caller, paying exactly price x quantity.
    /// @dev Tokens are minted with `_mint`, not `_safeMint`: the buyer is `msg.sender`, who chose to call.
    /// @param editionId The edition.
    /// @param quantity 1..MAX_PER_PURCHASE.
    /// @return firstTokenId The id of the first token bought; the rest follow consecutively.
    function buy(uint256 editionId, uint256 quantity) external payable returns (uint256 firstTokenId);

    /// @notice Buys as `buy` does and emits `EditionCommented` with the buyer's comment.
    /// @dev The comment is only emitted, never stored; an empty comment emits nothing. At most
    /// `MAX_COMMENT_LENGTH` bytes. Indexers and the web app MUST treat it as untrusted text.
    /// @param editionId The edition.
    /// @param quantity 1..MAX_PER_PURCHASE.
    /// @param comment The buyer's comment.
    /// @return firstTokenId The id of the first token bought.
    function buyWithComment(uint256 editionId, uint256 quantity, string calldata comment)
        external
        payable
        returns (uint256 firstTokenId);

    /// @notice Buys in the presale, as an allowlisted wallet, at the presale price (exactly price x quantity).
    /// @dev Open in `[presale.start, saleStart)` and not after the sale has ended. The presale cap counts presale
    /// purchases only (`presalePurchasedBy`).
    /// @param editionId The edition.
    /// @param quantity 1..MAX_PER_PURCHASE.
    /// @param proof Merkle proof of the caller's standard leaf.
    /// @param comment An optional comment (empty: none), as in `buyWithComment`.
    /// @return firstTokenId The id of the first token bought.
    function buyPresale(uint256 editionId, uint256 quantity, bytes32[] calldata proof, string calldata comment)
        external
        payable
        returns (uint256 firstTokenId);

    /// @notice Sets who receives the edition's resale royalties (e.g. a split contract). Only the track's artist.
    /// @dev Zero resets it to the artist. A reassignment of the track (see `syncArtist`) resets it too.
    /// @param editionId The edition.
    /// @param receiver The royalty receiver, or zero for the artist.
    function setRoyaltyReceiver(uint256 editionId, address receiver) external;

    /// @notice Ends the presale and public sale now and makes the edition's size final at the number minted, so
    /// every token's "#k of N" is final. Only the track's artist. A sale that ended by its own `saleEnd` can still
    /// be finalised this way, once.
    /// @param editionId The edition.
    function endSale(uint256 editionId) external;

    /// @notice Sets the public sale price of an edition that is neither sold out nor ended. Only the track's artist.
    /// @dev Buyers pay exactly price x quantity, so a purchase sent at the old price reverts rather than paying
    /// the new one.
    /// @param editionId The edition.
    /// @param price The new price per token in wei.
    function setPrice(uint256 editionId, uint96 price) external;

    /// @notice Points an edition at its track's current artist in the registry (after governance reassigned the
    /// track), resets any royalty receiver and media CIDs the previous artist set, and closes the edition (supply
    /// final at what was sold, presale deleted). Anyone may call; a no-op when in sync.
    /// @dev Royalties on tokens already sold go to the new artist; proceeds already credited to the previous artist
    /// stay theirs (pull payments are per account). The new artist creates new editions on their own terms.
    /// @param editionId The edition.
    /// @return artist The edition's artist after the sync.
    function syncArtist(uint256 editionId) external returns (address artist);

    /// @notice Sets the IPFS identifiers of an edition's audio and cover (empty clears one). Only the track's artist.
    /// @dev Stored as given once validated (CIDv1 base32); `tokenURI` then points wallets at `ipfs://<cid>`. The
    /// audio CID SHOULD be the one a DCMX node computes for the track, whose raw leaves are the mesh's chunks. Nothing
    /// on chain ties it to `contentHash`, and the artist may change it at any time, also after tokens are sold:
    /// wallets should verify the audio against the content hash. After a reassignment, no media of the previous
    /// artist show (`mediaOf`, `tokenURI`), and `syncArtist` clears them (emitting this event with empty CIDs).
    /// @param editionId The edition.
    /// @param audioCid The audio's CID, or empty.
    /// @param imageCid The cover art's CID, or empty.
    function setEditionMedia(uint256 editionId, string calldata audioCid, string calldata imageCid) external;

    /// @notice Sends the caller's accrued proceeds to the caller.
    function withdraw() external;

    /// @notice Sends the caller's accrued proceeds to `to`.
    /// @param to The recipient.
    function withdrawTo(address payable to) external;

    /// @notice Sets the protocol fee on primary sales. Only the owner (the governance timelock).
    /// @param feeBps Basis points, at most `MAX_PROTOCOL_FEE_BPS`; a non-zero fee needs a treasury.
    function setProtocolFee(uint16 feeBps) external;

    /// @notice Sets the treasury that accrues the protocol fee. Only the owner.
    /// @param treasury The treasury; MUST be non-zero while a fee is set.
    function setTreasury(address treasury) external;

    /// @notice Sets the royalty cap that applies to editions created afterwards. Only the owner.
    /// @param maxRoyaltyBps Basis points, at most `ROYALTY_BPS_CEILING`.
    function setMaxRoyaltyBps(uint16 maxRoyaltyBps) external;

    /// @notice Sets the gateway prefix for `animation_url` (e.g. a mesh node's `https://host/content/`). Only the owner.
    /// @param contentBaseURI The prefix; the hex content hash is appended. Empty omits `animation_url`.
    function setContentBaseURI(string calldata contentBaseURI) external;

    /// @notice An edition's stored terms and progress.
    /// @param editionId The edition.
    /// @return edition The edition (reverts with `EditionNotFound` if unknown).
    function getEdition(uint256 editionId) external view returns (Edition memory edition);

    /// @notice An edition's presale terms (all zero if it has none).
    /// @param editionId The edition.
    /// @return presale The presale.
    function getPresale(uint256 editionId) external view returns (Presale memory presale);

    /// @notice How many tokens of an edition `wallet` has bought in its presale (tracked only for capped presales).
    /// @param editionId The edition.
    /// @param wallet The buyer.
    /// @return count Tokens bought in the presale.
    function presalePurchasedBy(uint256 editionId, address wallet) external view returns (uint256 count);

    /// @notice Who receives an edition's resale royalties: the override the artist set, else the cached artist.
    /// @param editionId The edition.
    /// @return receiver The royalty receiver (zero for an unknown edition).
    function royaltyReceiverOf(uint256 editionId) external view returns (address receiver);

    /// @notice An edition's IPFS media identifiers (empty strings when unset, or when set by an artist the track has
    /// since been reassigned away from).
    /// @param editionId The edition.
    /// @return media The audio and cover CIDs.
    function mediaOf(uint256 editionId) external view returns (Media memory media);

    /// @notice The number of editions created so far (ids run 1..editionCount).
    /// @return count The count.
    function editionCount() external view returns (uint256 count);

    /// @notice Wei that `account` can withdraw.
    /// @param account The artist or treasury.
    /// @return amount The accrued proceeds.
    function proceedsOf(address account) external view returns (uint256 amount);

    /// @notice How many tokens of an edition `wallet` has bought (tracked only for capped editions).
    /// @param editionId The edition.
    /// @param wallet The buyer.
    /// @return count Tokens bought.
    function purchasedBy(uint256 editionId, address wallet) external view returns (uint256 count);

    /// @notice The protocol fee on primary sales in basis points.
    /// @return feeBps The fee.
    function protocolFeeBps() external view returns (uint16 feeBps);

    /// @notice The treasury that accrues the protocol fee.
    /// @return treasury The treasury.
    function treasury() external view returns (address treasury);

    /// @notice The royalty cap for new editions.
    /// @return maxRoyaltyBps The cap in basis points.
    function maxRoyaltyBps() external view returns (uint16 maxRoyaltyBps);

    /// @notice The gateway prefix for `animation_url`.
    /// @return contentBaseURI The prefix.
    function contentBaseURI() external view returns (string memory contentBaseURI);

    /// @notice Splits a token id into its edition and serial.
    /// @param tokenId The token.
    /// @return editionId The edition.
    /// @return serial The serial, 1-based.
    function tokenInfo(uint256 tokenId) external pure returns (uint256 editionId, uint256 serial);
}
