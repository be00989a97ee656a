// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ITrackRegistry} from "./interfaces/ITrackRegistry.sol";

/// @title TrackRegistry
/// @notice Registers DCMX tracks by content hash through commit-reveal, directly or gaslessly through an artist's
/// EIP-712 signature; governance (the owner) sets the reveal window and corrects disputed registrations.
contract TrackRegistry is ITrackRegistry, EIP712, Nonces, Ownable {
    /// @notice The longest `maxCommitAge` governance may set (30 days).
    uint32 public constant MAX_COMMIT_AGE_CEILING = 30 days;

    bytes32 private constant _REGISTER_TYPEHASH = keccak256(
        "Register(bytes32 contentHash,bytes32 manifestRoot,uint64 size,uint32 duration,string title,"
        "string artistName,string album,string metadataURI,address artist,uint256 nonce,uint256 deadline)"
    );

    // One slot, read together on every reveal.
    uint32 private _minCommitAge;
    uint32 private _maxCommitAge;

    mapping(bytes32 commitment => uint256 committedAt) private _commitments;
    mapping(bytes32 contentHash => Track track) private _tracks;

    /// @param initialOwner The owner of the commit ages and of dispute resolution (the governance timelock).
    /// @param minCommitAge_ Seconds a commitment must age before its reveal (>= 1).
    /// @param maxCommitAge_ Seconds after which an unrevealed commitment expires.
    constructor(address initialOwner, uint32 minCommitAge_, uint32 maxCommitAge_)
        EIP712("DCMX TrackRegistry", "1")
        Ownable(initialOwner)
    {
        _setCommitAges(minCommitAge_, maxCommitAge_);
    }

    /// @inheritdoc ITrackRegistry
    function commit(bytes32 commitment) external {
        uint256 committedAt = _commitments[commitment];
        if (committedAt != 0) {
            uint256 expiresAt = committedAt + _maxCommitAge;
            if (block.timestamp <= expiresAt) revert TrackCommitmentExists(commitment, expiresAt);
        }
        _commitments[commitment] = block.timestamp;
        emit RegistrationCommitted(commitment);
    }

    /// @inheritdoc ITrackRegistry
    function commitBatch(bytes32[] calldata commitments) external {
        uint256 maxAge = _maxCommitAge;
        for (uint256 i; i < commitments.length; ++i) {
            bytes32 commitment = commitments[i];
            uint256 committedAt = _commitments[commitment];
            if (committedAt != 0 && block.timestamp <= committedAt + maxAge) continue;
            _commitments[commitment] = block.timestamp;
            emit RegistrationCommitted(commitment);
        }
    }

    /// @inheritdoc ITrackRegistry
    function register(Registration calldata registration, bytes32 salt) external {
        _consumeCommitment(registration.contentHash, msg.sender, salt);
        _register(registration, msg.sender);
    }

    /// @inheritdoc ITrackRegistry
    function registerWithSig(
        Registration calldata registration,
        address artist,
        bytes32 salt,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert TrackSignatureExpired(deadline, block.timestamp);
        // The nonce is read, not consumed: a content hash registers once, so the registration cannot be replayed, and
        // an unconsumed nonce keeps a relayed registration as cheap as a direct one (no nonce slot to create).
        bytes32 digest = _hashTypedDataV4(_structHash(registration, artist, nonces(artist), deadline));
        if (!SignatureChecker.isValidSignatureNow(artist, digest, signature)) revert TrackInvalidSignature(artist);
        _consumeCommitment(registration.contentHash, artist, salt);
        _register(registration, artist);
    }

    /// @inheritdoc ITrackRegistry
    function invalidateNonce() external {
        emit NonceInvalidated(msg.sender, _useNonce(msg.sender));
    }

    /// @inheritdoc ITrackRegistry
    function setCommitAges(uint32 minCommitAge_, uint32 maxCommitAge_) external onlyOwner {
        _setCommitAges(minCommitAge_, maxCommitAge_);
    }

    /// @inheritdoc ITrackRegistry
    function reassignArtist(bytes32 contentHash, address newArtist, bytes32 disputeRef) external onlyOwner {
        Track storage track = _tracks[contentHash];
        address previousArtist = track.artist;
        if (previousArtist == address(0)) revert TrackNotRegistered(contentHash);
        if (newArtist == address(0)) revert TrackZeroArtist(contentHash);
        if (newArtist == previousArtist) revert TrackArtistUnchanged(contentHash, newArtist);
        track.artist = newArtist;
        emit ArtistReassigned(contentHash, previousArtist, newArtist, disputeRef);
    }

    /// @inheritdoc ITrackRegistry
    function getTrack(bytes32 contentHash) external view returns (Track memory track) {
        track = _tracks[contentHash];
        if (track.artist == address(0)) revert TrackNotRegistered(contentHash);
    }

    /// @inheritdoc ITrackRegistry
    function artistOf(bytes32 contentHash) external view returns (address artist) {
        return _tracks[contentHash].artist;
    }

    /// @inheritdoc ITrackRegistry
    function isRegistered(bytes32 contentHash) external view returns (bool registered) {
        return _tracks[contentHash].artist != address(0);
    }

    /// @inheritdoc ITrackRegistry
    function commitmentTime(bytes32 commitment) external view returns (uint256 committedAt) {
        return _commitments[commitment];
    }

    /// @inheritdoc ITrackRegistry
    function minCommitAge() external view returns (uint32 minCommitAge_) {
        return _minCommitAge;
    }

    /// @inheritdoc ITrackRegistry
    function maxCommitAge() external view returns (uint32 maxCommitAge_) {
        return _maxCommitAge;
    }

    /// @inheritdoc ITrackRegistry
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32 separator) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ITrackRegistry
    function commitmentOf(bytes32 contentHash, address artist, bytes32 salt) external pure returns (bytes32 commitment) {
        return _commitmentOf(contentHash, artist, salt);
    }

    /// @inheritdoc ITrackRegistry
    function nonces(address artist) public view override(ITrackRegistry, Nonces) returns (uint256 nonce) {
        return super.nonces(artist);
    }

    function _setCommitAges(uint32 minCommitAge_, uint32 maxCommitAge_) private {
        if (minCommitAge_ == 0 || maxCommitAge_ <= minCommitAge_ || maxCommitAge_ > MAX_COMMIT_AGE_CEILING) {
            revert TrackInvalidCommitAges(minCommitAge_, maxCommitAge_);
        }
        _minCommitAge = minCommitAge_;
        _maxCommitAge = maxCommitAge_;
        emit CommitAgesUpdated(minCommitAge_, maxCommitAge_);
    }

    /// @dev Checks the commitment's age and deletes it (the refund pays for much of the reveal's check).
    function _consumeCommitment(bytes32 contentHash, address artist, bytes32 salt) private {
        bytes32 commitment = _commitmentOf(contentHash, artist, salt);
        uint256 committedAt = _commitments[commitment];
        if (committedAt == 0) revert TrackCommitmentNotFound(commitment);
        uint256 revealableAt = committedAt + _minCommitAge;
        if (block.timestamp < revealableAt) revert TrackCommitmentTooNew(commitment, revealableAt);
        uint256 expiredAt = committedAt + _maxCommitAge;
        if (block.timestamp > expiredAt) revert TrackCommitmentExpired(commitment, expiredAt);
        delete _commitments[commitment];
    }

    function _register(Registration calldata r, address artist) private {
        if (r.contentHash == bytes32(0)) revert TrackZeroContentHash();
        if (r.size == 0) revert TrackZeroSize(r.contentHash);
        Track storage track = _tracks[r.contentHash];
        address registered = track.artist;
        if (registered != address(0)) revert TrackAlreadyRegistered(r.contentHash, registered);
        track.artist = artist;
        track.size = r.size;
        track.duration = r.duration;
        track.manifestRoot = r.manifestRoot;
        emit TrackRegistered(
            r.contentHash, artist, r.manifestRoot, r.size, r.duration, r.title, r.artistName, r.album, r.metadataURI
        );
    }

    function _commitmentOf(bytes32 contentHash, address artist, bytes32 salt) private pure returns (bytes32 commitment) {
        return keccak256(abi.encode(contentHash, artist, salt));
    }

    function _structHash(Registration calldata r, address artist, uint256 nonce, uint256 deadline)
        private
        pure
        returns (bytes32)
    {
        // Encoded in two halves only to stay within the legacy code generator's stack limit.
        bytes memory head = abi.encode(
            _REGISTER_TYPEHASH,
            r.contentHash,
            r.manifestRoot,
            r.size,
            r.duration,
            keccak256(bytes(r.title)),
            keccak256(bytes(r.artistName))
        );
        return keccak256(
            bytes.concat(head, abi.encode(keccak256(bytes(r.album)), keccak256(bytes(r.metadataURI)), artist, nonce, deadline))
        );
    }
}
