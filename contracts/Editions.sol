// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IEditions} from "./interfaces/IEditions.sol";
import {ITrackRegistry} from "./interfaces/ITrackRegistry.sol";
import {EditionMetadata} from "./libraries/EditionMetadata.sol";

/// @title Editions
/// @notice One ERC-721 collection holding every DCMX edition: numbered "#k of N" tokens of registered tracks.
/// @dev A purchase of n tokens writes one ownership slot for the whole batch (as ERC721A does): the first token is
/// minted normally, the others resolve their owner by scanning back to the batch head in `_ownerOf` until they are
/// first transferred. `MAX_PER_PURCHASE` bounds that scan. There is no burn: a burned token in a batch would
/// otherwise resolve to the batch buyer again. Presale terms and royalty receiver overrides live in their own
/// mappings so that the public `buy` and `royaltyInfo` read no more slots than before.
contract Editions is IEditions, ERC721, Ownable, ReentrancyGuardTransient {
    /// @notice The royalty the web app proposes when an artist does not choose one (10%).
    uint16 public constant DEFAULT_ROYALTY_BPS = 1_000;
    /// @notice The highest royalty cap governance may set (50%).
    uint16 public constant ROYALTY_BPS_CEILING = 5_000;
    /// @notice The highest protocol fee governance may set (10%).
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 1_000;
    /// @notice The most tokens one purchase may mint; bounds the ownership scan of a batch.
    uint256 public constant MAX_PER_PURCHASE = 20;
    /// @notice The longest purchase comment in bytes.
    uint256 public constant MAX_COMMENT_LENGTH = 1024;

    uint16 private constant _BPS = 10_000;
    uint256 private constant _SERIAL_BITS = 32;
    uint256 private constant _SERIAL_MASK = (1 << _SERIAL_BITS) - 1;

    /// @notice The track registry that says who may create editions of a track.
    ITrackRegistry public immutable registry;

    // One slot, read together on every purchase and creation.
    address private _treasury;
    uint16 private _protocolFeeBps;
    uint16 private _maxRoyaltyBps = 2_500;
    uint64 private _editionCount;

    string private _contentBaseURI;

    mapping(uint256 editionId => Edition edition) private _editions;
    mapping(uint256 editionId => mapping(address wallet => uint256 count)) private _purchased;
    /// @dev Owed wei plus one once an account has been credited: the slot never returns to zero, so a sale after a
    /// withdrawal does not pay again to create it (20k gas).
    mapping(address account => uint256 owedPlusOne) private _proceeds;
    mapping(uint256 firstTokenId => address buyer) private _batchBuyer;
    mapping(uint256 editionId => Presale presale) private _presales;
    mapping(uint256 editionId => mapping(address wallet => uint256 count)) private _presalePurchased;
    mapping(uint256 editionId => address receiver) private _royaltyReceivers;
    mapping(uint256 editionId => Media media) private _media;

    /// @param registry_ The track registry.
    /// @param initialOwner The owner of the protocol parameters (the governance timelock).
    /// @param contentBaseURI_ The gateway prefix for `animation_url`.
    constructor(ITrackRegistry registry_, address initialOwner, string memory contentBaseURI_)
        ERC721("DCMX Editions", "DCMXED")
        Ownable(initialOwner)
    {
        registry = registry_;
        _contentBaseURI = contentBaseURI_;
    }

    /// @inheritdoc IEditions
    function createEdition(EditionParams calldata params) external returns (uint256 editionId) {
        if (registry.artistOf(params.contentHash) != msg.sender) {
            revert EditionsNotTrackArtist(params.contentHash, msg.sender);
        }
        if (params.maxSupply == 0) revert EditionsZeroSupply();
        if (bytes(params.name).length == 0) revert EditionsEmptyName();
        uint16 cap = _maxRoyaltyBps;
        if (params.royaltyBps > cap) revert EditionsRoyaltyTooHigh(params.royaltyBps, cap);
        if (params.saleEnd != 0 && params.saleEnd <= params.saleStart) {
            revert EditionsInvalidSaleWindow(params.saleStart, params.saleEnd);
        }
        bool hasPresale = params.presale.merkleRoot != bytes32(0);
        if (hasPresale && params.presale.start >= params.saleStart) {
            revert EditionsInvalidPresaleWindow(params.presale.start, params.saleStart);
        }

        editionId = ++_editionCount;
        Edition storage edition = _editions[editionId];
        edition.contentHash = params.contentHash;
        edition.artist = msg.sender;
        edition.price = params.price;
        edition.maxSupply = params.maxSupply;
        edition.royaltyBps = params.royaltyBps;
        edition.perWalletCap = params.perWalletCap;
        edition.saleStart = params.saleStart;
        edition.saleEnd = params.saleEnd;
        edition.name = params.name;

        emit EditionCreated(
            editionId,
            params.contentHash,
            msg.sender,
            params.name,
            params.price,
            params.maxSupply,
            params.royaltyBps,
            params.saleStart,
            params.saleEnd,
            params.perWalletCap
        );
        if (hasPresale) {
            _presales[editionId] = params.presale;
            emit EditionPresaleCreated(
                editionId,
                params.presale.merkleRoot,
                params.presale.price,
                params.presale.start,
                params.presale.perWalletCap
            );
        }
    }

    /// @inheritdoc IEditions
    function buy(uint256 editionId, uint256 quantity) external payable returns (uint256 firstTokenId) {
        return _buyPublic(editionId, quantity);
    }

    /// @inheritdoc IEditions
    function buyWithComment(uint256 editionId, uint256 quantity, string calldata comment)
        external
        payable
        returns (uint256 firstTokenId)
    {
        _checkComment(comment);
        firstTokenId = _buyPublic(editionId, quantity);
        _emitComment(editionId, firstTokenId, quantity, comment);
    }

    /// @inheritdoc IEditions
    function buyPresale(uint256 editionId, uint256 quantity, bytes32[] calldata proof, string calldata comment)
        external
        payable
        returns (uint256 firstTokenId)
    {
        _checkComment(comment);
        Edition storage edition = _editions[editionId];
        firstTokenId = _sell(edition, editionId, quantity, _checkPresale(edition, editionId, quantity, proof));
        _emitComment(editionId, firstTokenId, quantity, comment);
    }

    /// @inheritdoc IEditions
    function setRoyaltyReceiver(uint256 editionId, address receiver) external {
        Edition storage edition = _authorizeArtist(editionId);
        bool hasReceiver = receiver != address(0);
        edition.hasRoyaltyReceiver = hasReceiver;
        _royaltyReceivers[editionId] = receiver;
        emit EditionRoyaltyReceiverUpdated(editionId, hasReceiver ? receiver : edition.artist);
    }

    /// @inheritdoc IEditions
    function endSale(uint256 editionId) external {
        Edition storage edition = _authorizeArtist(editionId);
        uint40 saleEnd = edition.saleEnd;
        // A sale that ended by its own clock can still be finalised ("#k of N" with N = minted), once.
        if (saleEnd != 0 && block.timestamp >= saleEnd && edition.maxSupply == edition.minted) {
            revert EditionSaleEnded(editionId, saleEnd);
        }
        _close(edition, editionId);
    }

    /// @inheritdoc IEditions
    function setPrice(uint256 editionId, uint96 price) external {
        Edition storage edition = _authorizeArtist(editionId);
        uint40 saleEnd = edition.saleEnd;
        if (saleEnd != 0 && block.timestamp >= saleEnd) revert EditionSaleEnded(editionId, saleEnd);
        if (edition.minted == edition.maxSupply) revert EditionSoldOut(editionId, 0);
        edition.price = price;
        emit EditionPriceUpdated(editionId, price);
    }

    /// @inheritdoc IEditions
    function syncArtist(uint256 editionId) external returns (address artist) {
        Edition storage edition = _editions[editionId];
        if (edition.artist == address(0)) revert EditionNotFound(editionId);
        return _sync(edition, editionId);
    }

    /// @inheritdoc IEditions
    function setEditionMedia(uint256 editionId, string calldata audioCid, string calldata imageCid) external {
        _authorizeArtist(editionId);
        _checkCid(audioCid);
        _checkCid(imageCid);
        _media[editionId] = Media({audioCid: audioCid, imageCid: imageCid});
        emit EditionMediaUpdated(editionId, audioCid, imageCid);
    }

    /// @inheritdoc IEditions
    function withdraw() external {
        _withdraw(payable(msg.sender));
    }

    /// @inheritdoc IEditions
    function withdrawTo(address payable to) external {
        _withdraw(to);
    }

    /// @inheritdoc IEditions
    function setProtocolFee(uint16 feeBps) external onlyOwner {
        if (feeBps > MAX_PROTOCOL_FEE_BPS) revert EditionsFeeTooHigh(feeBps, MAX_PROTOCOL_FEE_BPS);
        if (feeBps != 0 && _treasury == address(0)) revert EditionsNoTreasury();
        _protocolFeeBps = feeBps;
        emit ProtocolFeeUpdated(feeBps);
    }

    /// @inheritdoc IEditions
    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0) && _protocolFeeBps != 0) revert EditionsNoTreasury();
        _treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    /// @inheritdoc IEditions
    function setMaxRoyaltyBps(uint16 maxRoyaltyBps_) external onlyOwner {
        if (maxRoyaltyBps_ > ROYALTY_BPS_CEILING) revert EditionsRoyaltyCapTooHigh(maxRoyaltyBps_, ROYALTY_BPS_CEILING);
        _maxRoyaltyBps = maxRoyaltyBps_;
        emit MaxRoyaltyUpdated(maxRoyaltyBps_);
    }

    /// @inheritdoc IEditions
    function setContentBaseURI(string calldata contentBaseURI_) external onlyOwner {
        _contentBaseURI = contentBaseURI_;
        emit ContentBaseURIUpdated(contentBaseURI_);
    }

    /// @inheritdoc IEditions
    function getEdition(uint256 editionId) external view returns (Edition memory edition) {
        edition = _editions[editionId];
        if (edition.artist == address(0)) revert EditionNotFound(editionId);
    }

    /// @inheritdoc IEditions
    function getPresale(uint256 editionId) external view returns (Presale memory presale) {
        return _presales[editionId];
    }

    /// @inheritdoc IEditions
    function presalePurchasedBy(uint256 editionId, address wallet) external view returns (uint256 count) {
        return _presalePurchased[editionId][wallet];
    }

    /// @inheritdoc IEditions
    function mediaOf(uint256 editionId) external view returns (Media memory media) {
        return _currentMedia(_editions[editionId], editionId);
    }

    /// @inheritdoc IEditions
    function royaltyReceiverOf(uint256 editionId) external view returns (address receiver) {
        return _royaltyReceiver(_editions[editionId], editionId);
    }

    /// @inheritdoc IEditions
    function editionCount() external view returns (uint256 count) {
        return _editionCount;
    }

    /// @inheritdoc IEditions
    function proceedsOf(address account) external view returns (uint256 amount) {
        uint256 stored = _proceeds[account];
        return stored == 0 ? 0 : stored - 1;
    }

    /// @inheritdoc IEditions
    function purchasedBy(uint256 editionId, address wallet) external view returns (uint256 count) {
        return _purchased[editionId][wallet];
    }

    /// @inheritdoc IEditions
    function protocolFeeBps() external view returns (uint16 feeBps) {
        return _protocolFeeBps;
    }

    /// @inheritdoc IEditions
    function treasury() external view returns (address treasury_) {
        return _treasury;
    }

    /// @inheritdoc IEditions
    function maxRoyaltyBps() external view returns (uint16 maxRoyaltyBps_) {
        return _maxRoyaltyBps;
    }

    /// @inheritdoc IEditions
    function contentBaseURI() external view returns (string memory contentBaseURI_) {
        return _contentBaseURI;
    }

    /// @notice ERC-2981: the edition's royalty receiver (the artist unless they set another) receives
    /// `royaltyBps` of every resale.
    /// @param tokenId The token sold.
    /// @param salePrice The sale price.
    /// @return receiver The royalty receiver (zero for an unknown edition).
    /// @return royaltyAmount The royalty in the sale's currency.
    function royaltyInfo(uint256 tokenId, uint256 salePrice)
        external
        view
        returns (address receiver, uint256 royaltyAmount)
    {
        uint256 editionId = tokenId >> _SERIAL_BITS;
        Edition storage edition = _editions[editionId];
        return (_royaltyReceiver(edition, editionId), salePrice * edition.royaltyBps / _BPS);
    }

    /// @inheritdoc IEditions
    function tokenInfo(uint256 tokenId) external pure returns (uint256 editionId, uint256 serial) {
        return (tokenId >> _SERIAL_BITS, tokenId & _SERIAL_MASK);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721) returns (bool) {
        return interfaceId == type(IERC2981).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @notice On-chain JSON metadata: "<name> #k/N", an SVG cover, the audio as `animation_url`, and attributes.
    /// @param tokenId The token.
    /// @return uri A `data:application/json;base64,` URI.
    function tokenURI(uint256 tokenId) public view override returns (string memory uri) {
        _requireOwned(tokenId);
        Edition storage edition = _editions[tokenId >> _SERIAL_BITS];
        Media memory media = _currentMedia(edition, tokenId >> _SERIAL_BITS);
        return EditionMetadata.tokenURI(
            EditionMetadata.Token({
                name: edition.name,
                contentHash: edition.contentHash,
                editionId: tokenId >> _SERIAL_BITS,
                serial: tokenId & _SERIAL_MASK,
                maxSupply: edition.maxSupply,
                artist: edition.artist,
                contentBaseURI: _contentBaseURI,
                audioCid: media.audioCid,
                imageCid: media.imageCid
            })
        );
    }

    /// @dev Resolves tokens bought in a batch that were never transferred: their owner is the batch buyer, found
    /// by scanning back at most `MAX_PER_PURCHASE - 1` ids to the batch head.
    function _ownerOf(uint256 tokenId) internal view override returns (address owner) {
        owner = super._ownerOf(tokenId);
        if (owner != address(0)) return owner;
        uint256 serial = tokenId & _SERIAL_MASK;
        if (serial == 0 || serial > _editions[tokenId >> _SERIAL_BITS].minted) return address(0);
        do {
            owner = _batchBuyer[--tokenId];
        } while (owner == address(0));
    }

    function _buyPublic(uint256 editionId, uint256 quantity) private returns (uint256 firstTokenId) {
        Edition storage edition = _editions[editionId];
        if (edition.artist == address(0)) revert EditionNotFound(editionId);
        if (quantity == 0 || quantity > MAX_PER_PURCHASE) revert EditionInvalidQuantity(quantity, MAX_PER_PURCHASE);
        // The end is checked first: an ended sale reads as ended, not as sold out (`endSale` caps the supply).
        uint40 saleEnd = edition.saleEnd;
        if (saleEnd != 0 && block.timestamp >= saleEnd) revert EditionSaleEnded(editionId, saleEnd);
        if (block.timestamp < edition.saleStart) revert EditionSaleNotStarted(editionId, edition.saleStart);
        uint32 walletCap = edition.perWalletCap;
        if (walletCap != 0) {
            uint256 bought = _purchased[editionId][msg.sender] + quantity;
            if (bought > walletCap) revert EditionWalletCapExceeded(editionId, msg.sender, walletCap);
            _purchased[editionId][msg.sender] = bought;
        }
        return _sell(edition, editionId, quantity, edition.price);
    }

    /// @dev Checks a presale purchase up to the supply, records it against the presale cap, returns the price.
    function _checkPresale(Edition storage edition, uint256 editionId, uint256 quantity, bytes32[] calldata proof)
        private
        returns (uint256 price)
    {
        if (edition.artist == address(0)) revert EditionNotFound(editionId);
        if (quantity == 0 || quantity > MAX_PER_PURCHASE) revert EditionInvalidQuantity(quantity, MAX_PER_PURCHASE);
        Presale storage presale = _presales[editionId];
        bytes32 root = presale.merkleRoot;
        if (root == bytes32(0)) revert EditionNoPresale(editionId);
        uint40 saleEnd = edition.saleEnd;
        if (saleEnd != 0 && block.timestamp >= saleEnd) revert EditionSaleEnded(editionId, saleEnd);
        uint40 presaleStart = presale.start;
        if (block.timestamp < presaleStart) revert EditionPresaleNotStarted(editionId, presaleStart);
        uint40 saleStart = edition.saleStart;
        if (block.timestamp >= saleStart) revert EditionPresaleEnded(editionId, saleStart);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(msg.sender))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert EditionNotAllowlisted(editionId, msg.sender);
        uint32 walletCap = presale.perWalletCap;
        if (walletCap != 0) {
            uint256 bought = _presalePurchased[editionId][msg.sender] + quantity;
            if (bought > walletCap) revert EditionPresaleCapExceeded(editionId, msg.sender, walletCap);
            _presalePurchased[editionId][msg.sender] = bought;
        }
        return presale.price;
    }

    /// @dev Checks supply and payment, credits the proceeds and mints the batch to the caller.
    function _sell(Edition storage edition, uint256 editionId, uint256 quantity, uint256 price)
        private
        returns (uint256 firstTokenId)
    {
        uint256 minted = edition.minted;
        uint256 remaining = edition.maxSupply - minted;
        if (quantity > remaining) revert EditionSoldOut(editionId, remaining);
        uint256 cost = price * quantity;
        if (msg.value != cost) revert EditionWrongPayment(cost, msg.value);
        // Read live: once governance reassigned the track, nothing more is sold on the previous artist's terms or
        // paid to them, even before anyone calls `syncArtist` (which closes the edition).
        address artist = edition.artist;
        address current = registry.artistOf(edition.contentHash);
        if (current != artist) revert EditionArtistChanged(editionId, artist, current);

        if (cost != 0) _accrue(artist, cost);

        // Mint the batch head before `minted` grows: `_ownerOf` treats serials up to `minted` as existing.
        firstTokenId = (editionId << _SERIAL_BITS) | (minted + 1);
        _mint(msg.sender, firstTokenId);
        if (quantity > 1) {
            _batchBuyer[firstTokenId] = msg.sender;
            _increaseBalance(msg.sender, uint128(quantity - 1));
            for (uint256 i = 1; i < quantity; ++i) {
                emit Transfer(address(0), msg.sender, firstTokenId + i);
            }
        }
        edition.minted = uint32(minted + quantity);

        emit EditionPurchased(editionId, msg.sender, firstTokenId, quantity, cost);
    }

    /// @dev Syncs the edition with the registry first, so a displaced artist can act on nothing even before anyone
    /// called `syncArtist`.
    function _authorizeArtist(uint256 editionId) private returns (Edition storage edition) {
        edition = _editions[editionId];
        if (edition.artist == address(0)) revert EditionNotFound(editionId);
        if (_sync(edition, editionId) != msg.sender) revert EditionNotArtist(editionId, msg.sender);
    }

    /// @dev After governance reassigned the track, none of the previous artist's terms survive: the receiver
    /// override is cleared and the edition is closed (supply capped at what was sold, presale deleted); the new
    /// artist releases new editions on terms of their own.
    function _sync(Edition storage edition, uint256 editionId) private returns (address artist) {
        address previous = edition.artist;
        artist = registry.artistOf(edition.contentHash);
        if (artist == previous) return artist;
        edition.artist = artist;
        if (edition.hasRoyaltyReceiver) {
            edition.hasRoyaltyReceiver = false;
            delete _royaltyReceivers[editionId];
        }
        if (bytes(_media[editionId].audioCid).length != 0 || bytes(_media[editionId].imageCid).length != 0) {
            delete _media[editionId];
            emit EditionMediaUpdated(editionId, "", "");
        }
        emit EditionArtistSynced(editionId, previous, artist);
        if (edition.maxSupply != edition.minted || edition.saleEnd == 0 || edition.saleEnd > block.timestamp) {
            _close(edition, editionId);
        }
    }

    function _close(Edition storage edition, uint256 editionId) private {
        uint32 minted = edition.minted;
        uint40 saleEnd = edition.saleEnd;
        if (saleEnd == 0 || saleEnd > block.timestamp) edition.saleEnd = saleEnd = uint40(block.timestamp);
        edition.maxSupply = minted;
        delete _presales[editionId];
        emit EditionClosed(editionId, minted, saleEnd);
    }

    function _emitComment(uint256 editionId, uint256 firstTokenId, uint256 quantity, string calldata comment)
        private
    {
        if (bytes(comment).length != 0) emit EditionCommented(editionId, msg.sender, firstTokenId, quantity, comment);
    }

    function _accrue(address artist, uint256 amount) private {
        uint256 feeBps = _protocolFeeBps;
        if (feeBps != 0) {
            uint256 fee = amount * feeBps / _BPS;
            _credit(_treasury, fee);
            amount -= fee;
        }
        _credit(artist, amount);
    }

    function _credit(address account, uint256 amount) private {
        uint256 stored = _proceeds[account];
        _proceeds[account] = (stored == 0 ? 1 : stored) + amount;
    }

    function _withdraw(address payable to) private nonReentrant {
        uint256 stored = _proceeds[msg.sender];
        if (stored < 2) revert EditionsNothingToWithdraw(msg.sender);
        uint256 amount = stored - 1;
        _proceeds[msg.sender] = 1;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EditionsWithdrawFailed(to, amount);
        emit ProceedsWithdrawn(msg.sender, to, amount);
    }

    /// @dev The override applies only while the artist who set it is still the track's artist: after a
    /// reassignment, royalties go to the new artist at once, synced or not.
    function _royaltyReceiver(Edition storage edition, uint256 editionId) private view returns (address) {
        address artist = edition.artist;
        if (artist == address(0)) return address(0);
        address current = registry.artistOf(edition.contentHash);
        if (current != artist) return current;
        return edition.hasRoyaltyReceiver ? _royaltyReceivers[editionId] : artist;
    }

    /// @dev Like the royalty receiver, media set by an artist show only while that artist is still the track's: after
    /// a reassignment, none of the previous artist's media show, synced or not.
    function _currentMedia(Edition storage edition, uint256 editionId) private view returns (Media memory media) {
        address artist = edition.artist;
        if (artist == address(0) || registry.artistOf(edition.contentHash) != artist) return media;
        return _media[editionId];
    }

    /// @dev A CIDv1 in base32: `b` then [a-z2-7], at most 100 characters; this also keeps it safe inside the JSON.
    function _checkCid(string calldata cid) private pure {
        bytes calldata raw = bytes(cid);
        if (raw.length == 0) return;
        if (raw.length > 100 || raw[0] != "b") revert EditionsInvalidCid(cid);
        for (uint256 i = 1; i < raw.length; ++i) {
            bytes1 c = raw[i];
            if (!((c >= "a" && c <= "z") || (c >= "2" && c <= "7"))) revert EditionsInvalidCid(cid);
        }
    }

    function _checkComment(string calldata comment) private pure {
        if (bytes(comment).length > MAX_COMMENT_LENGTH) {
            revert EditionCommentTooLong(bytes(comment).length, MAX_COMMENT_LENGTH);
        }
    }
}
