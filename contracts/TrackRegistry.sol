// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ITrackRegistry} from "./interfaces/ITrackRegistry.sol";

/// @title TrackRegistry
/// @notice Registers DCMX tracks by content hash, directly or gaslessly through an artist's EIP-712 signature.
contract TrackRegistry is ITrackRegistry, EIP712, Nonces {
    bytes32 private constant _REGISTER_TYPEHASH = keccak256(
        "Register(bytes32 contentHash,bytes32 manifestRoot,uint64 size,uint32 duration,string title,"
        "string artistName,string album,string metadataURI,address artist,uint256 nonce,uint256 deadline)"
    );

    mapping(bytes32 contentHash => Track track) private _tracks;

    constructor() EIP712("DCMX TrackRegistry", "1") {}

    /// @inheritdoc ITrackRegistry
    function register(Registration calldata registration) external {
        _register(registration, msg.sender);
    }

    /// @inheritdoc ITrackRegistry
    function registerWithSig(
        Registration calldata registration,
        address artist,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert TrackSignatureExpired(deadline, block.timestamp);
        // The nonce is read, not consumed: a content hash registers once, so the registration cannot be replayed, and
        // an unconsumed nonce keeps a relayed registration as cheap as a direct one (no nonce slot to create).
        bytes32 digest = _hashTypedDataV4(_structHash(registration, artist, nonces(artist), deadline));
        if (!SignatureChecker.isValidSignatureNow(artist, digest, signature)) revert TrackInvalidSignature(artist);
        _register(registration, artist);
    }

    /// @inheritdoc ITrackRegistry
    function invalidateNonce() external {
        emit NonceInvalidated(msg.sender, _useNonce(msg.sender));
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
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32 separator) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ITrackRegistry
    function nonces(address artist) public view override(ITrackRegistry, Nonces) returns (uint256 nonce) {
        return super.nonces(artist);
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
