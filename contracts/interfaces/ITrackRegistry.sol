// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ITrackRegistry
/// @notice The on-chain catalog of DCMX tracks. A track is identified by its content hash: the SHA-256 of the
/// audio bytes, exactly as the mesh addresses it. Each content hash can be registered once, by its artist.
/// @dev Title, artist name, album and the metadata URI live off chain and in the `TrackRegistered` event (so an
/// indexer needs no extra fetch); storage keeps only what other contracts read: artist, size, duration and the
/// manifest root.
interface ITrackRegistry {
    /// @notice What the registry stores for a track (two storage slots).
    /// @param artist The wallet that registered the track; it alone may create editions of it.
    /// @param size The audio file's size in bytes.
    /// @param duration The track's length in seconds.
    /// @param manifestRoot Commitment to the per-chunk SHA-256 hashes the mesh uses for verified streaming.
    struct Track {
        address artist;
        uint64 size;
        uint32 duration;
        bytes32 manifestRoot;
    }

    /// @notice A registration as the artist submits (or signs) it.
    /// @param contentHash SHA-256 of the audio bytes.
    /// @param manifestRoot The mesh manifest root (see the node package for its definition).
    /// @param size The audio file's size in bytes; MUST be non-zero.
    /// @param duration Length in seconds.
    /// @param title Display title (emitted, not stored).
    /// @param artistName Display name of the artist (emitted, not stored).
    /// @param album Album name, may be empty (emitted, not stored).
    /// @param metadataURI Where richer metadata (artwork, credits) lives, may be empty (emitted, not stored).
    struct Registration {
        bytes32 contentHash;
        bytes32 manifestRoot;
        uint64 size;
        uint32 duration;
        string title;
        string artistName;
        string album;
        string metadataURI;
    }

    /// @notice Emitted when a track is registered, with every field an indexer needs.
    event TrackRegistered(
        bytes32 indexed contentHash,
        address indexed artist,
        bytes32 manifestRoot,
        uint64 size,
        uint32 duration,
        string title,
        string artistName,
        string album,
        string metadataURI
    );

    /// @notice Emitted when an artist bumps their nonce, invalidating every unsubmitted signature.
    event NonceInvalidated(address indexed artist, uint256 nonce);

    /// @notice The content hash is already registered (by `artist`).
    error TrackAlreadyRegistered(bytes32 contentHash, address artist);
    /// @notice The content hash is zero.
    error TrackZeroContentHash();
    /// @notice The size is zero.
    error TrackZeroSize(bytes32 contentHash);
    /// @notice No track is registered under this content hash.
    error TrackNotRegistered(bytes32 contentHash);
    /// @notice The signed registration's deadline has passed.
    error TrackSignatureExpired(uint256 deadline, uint256 timestamp);
    /// @notice The signature does not recover to `artist` for this chain, contract, nonce and payload.
    error TrackInvalidSignature(address artist);

    /// @notice Registers a track with the caller as its artist.
    /// @dev Reverts with `TrackAlreadyRegistered` if the content hash is taken (first registration wins, so an
    /// artist SHOULD register before publishing the audio to the mesh).
    /// @param registration The track's fields.
    function register(Registration calldata registration) external;

    /// @notice Registers a track on behalf of `artist`, who signed it off chain (EIP-712), so a relayer such as
    /// a mesh node pays the gas.
    /// @dev The signed struct is `Register(bytes32 contentHash,bytes32 manifestRoot,uint64 size,uint32 duration,
    /// string title,string artistName,string album,string metadataURI,address artist,uint256 nonce,
    /// uint256 deadline)` under the domain `{name: "DCMX TrackRegistry", version: "1", chainId, this}`.
    /// The nonce MUST equal `nonces(artist)`. It works as Seaport's counter: registering does not consume it (a
    /// content hash registers once, so a replay reverts with `TrackAlreadyRegistered`); `invalidateNonce` bumps it
    /// and voids every outstanding signature. Other chains, other registries and expired deadlines revert.
    /// Contract wallets (ERC-1271) are supported.
    /// @param registration The track's fields, exactly as signed.
    /// @param artist The artist who signed and becomes the track's owner.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The artist's signature (65-byte ECDSA or ERC-1271 data).
    function registerWithSig(
        Registration calldata registration,
        address artist,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Bumps the caller's nonce so that no signature made with the old one can be used.
    function invalidateNonce() external;

    /// @notice The stored fields of a registered track.
    /// @dev Reverts with `TrackNotRegistered` for an unknown hash.
    /// @param contentHash SHA-256 of the audio bytes.
    /// @return track The stored track.
    function getTrack(bytes32 contentHash) external view returns (Track memory track);

    /// @notice The artist of a track, or the zero address if it is not registered.
    /// @param contentHash SHA-256 of the audio bytes.
    /// @return artist The registering wallet.
    function artistOf(bytes32 contentHash) external view returns (address artist);

    /// @notice Whether a content hash is registered.
    /// @param contentHash SHA-256 of the audio bytes.
    /// @return registered True once registered.
    function isRegistered(bytes32 contentHash) external view returns (bool registered);

    /// @notice The nonce `artist` must sign with.
    /// @param artist The signer.
    /// @return nonce The current nonce.
    function nonces(address artist) external view returns (uint256 nonce);

    /// @notice The EIP-712 domain separator for this chain.
    /// @return separator The domain separator.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32 separator);
}
