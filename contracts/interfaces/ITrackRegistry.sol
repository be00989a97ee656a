// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ITrackRegistry
/// @notice The on-chain catalog of DCMX tracks. A track is identified by its content hash: the SHA-256 of the
/// audio bytes, exactly as the mesh addresses it. Each content hash can be registered once, by its artist.
/// @dev Registration is commit-reveal so that nobody can steal it: first `commit(commitmentOf(contentHash, artist,
/// salt))` (anyone may send it, e.g. the artist's mesh node), then, no sooner than `minCommitAge()` and no later
/// than `maxCommitAge()` seconds after, `register` (the artist) or `registerWithSig` (a relayer) with the same salt.
/// The commitment hides the content hash and binds the artist, so copying a pending reveal or commitment gains an
/// attacker nothing, and someone who learns the audio from the reveal can no longer commit in time. Someone who
/// held the audio and committed before the artist can still win the race: governance (the owner, a timelock)
/// corrects that with `reassignArtist` after a dispute.
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
    /// @notice Emitted when a registration commitment is stored (or an expired one renewed).
    event RegistrationCommitted(bytes32 indexed commitment);
    /// @notice Emitted when governance sets the reveal window of commitments.
    event CommitAgesUpdated(uint32 minCommitAge, uint32 maxCommitAge);
    /// @notice Emitted when governance moves a track to another artist after a dispute.
    event ArtistReassigned(
        bytes32 indexed contentHash, address indexed previousArtist, address indexed newArtist, bytes32 disputeRef
    );

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
    /// @notice No commitment for this content hash, artist and salt was made (or it was already used).
    error TrackCommitmentNotFound(bytes32 commitment);
    /// @notice The commitment is younger than `minCommitAge`; it can be revealed from `revealableAt` on.
    error TrackCommitmentTooNew(bytes32 commitment, uint256 revealableAt);
    /// @notice The commitment is older than `maxCommitAge`: it expired at `expiredAt`; commit again.
    error TrackCommitmentExpired(bytes32 commitment, uint256 expiredAt);
    /// @notice The commitment is already stored and live until `expiresAt` (a retried commit already succeeded).
    error TrackCommitmentExists(bytes32 commitment, uint256 expiresAt);
    /// @notice Commit ages must satisfy 1 <= min < max <= `MAX_COMMIT_AGE_CEILING`.
    error TrackInvalidCommitAges(uint32 minCommitAge, uint32 maxCommitAge);
    /// @notice A track cannot be reassigned to the zero address.
    error TrackZeroArtist(bytes32 contentHash);
    /// @notice The track is already assigned to `artist`.
    error TrackArtistUnchanged(bytes32 contentHash, address artist);

    /// @notice Stores a registration commitment, `commitmentOf(contentHash, artist, salt)`, with the current time.
    /// @dev Anyone may commit: the commitment binds the artist, so only that artist (or a relayer holding the
    /// artist's signature) can reveal it. Reverts with `TrackCommitmentExists` while the same commitment is live, so
    /// a retried commit reads as "already done"; an expired commitment may be committed again.
    /// IMPORTANT: the salt MUST be secret and random (32 bytes): the content hash is public on the mesh, so a
    /// guessable salt reveals which track is being registered.
    /// @param commitment The commitment.
    function commit(bytes32 commitment) external;

    /// @notice Stores many commitments at once (a mesh node relaying for several artists).
    /// @dev Unlike `commit`, a commitment that is already live is skipped, not reverted: a front-runner who copies
    /// one commitment of the batch into their own `commit` cannot void the rest.
    /// @param commitments The commitments.
    function commitBatch(bytes32[] calldata commitments) external;

    /// @notice Registers a track with the caller as its artist, revealing a commitment made earlier.
    /// @dev Requires `commitmentOf(registration.contentHash, msg.sender, salt)` to be between `minCommitAge` and
    /// `maxCommitAge` seconds old (inclusive); consumes it. Reverts with `TrackAlreadyRegistered` if the content hash
    /// is taken (the first reveal wins, so an artist SHOULD register before publishing the audio to the mesh).
    /// @param registration The track's fields.
    /// @param salt The secret salt of the commitment.
    function register(Registration calldata registration, bytes32 salt) external;

    /// @notice Registers a track on behalf of `artist`, who signed it off chain (EIP-712), so a relayer such as
    /// a mesh node pays the gas. Like `register`, it reveals (and consumes) the commitment
    /// `commitmentOf(registration.contentHash, artist, salt)`, which the relayer typically made itself.
    /// @dev The signed struct is `Register(bytes32 contentHash,bytes32 manifestRoot,uint64 size,uint32 duration,
    /// string title,string artistName,string album,string metadataURI,address artist,uint256 nonce,
    /// uint256 deadline)` under the domain `{name: "DCMX TrackRegistry", version: "1", chainId, this}`.
    /// The nonce MUST equal `nonces(artist)`. It works as Seaport's counter: registering does not consume it (a
    /// content hash registers once, so a replay reverts with `TrackAlreadyRegistered`); `invalidateNonce` bumps it
    /// and voids every outstanding signature. Other chains, other registries and expired deadlines revert.
    /// Contract wallets (ERC-1271) are supported.
    /// @param registration The track's fields, exactly as signed.
    /// @param artist The artist who signed and becomes the track's owner.
    /// @param salt The secret salt of the commitment.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The artist's signature (65-byte ECDSA or ERC-1271 data).
    function registerWithSig(
        Registration calldata registration,
        address artist,
        bytes32 salt,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Bumps the caller's nonce so that no signature made with the old one can be used.
    function invalidateNonce() external;

    /// @notice Sets how long a commitment must wait before, and may wait at most until, its reveal. Only the owner.
    /// @dev Applies to pending commitments too (their stored commit time is compared with the new ages).
    /// `minCommitAge` MUST be at least 1 s so a commitment can never be revealed in its own block; choose it so a
    /// commit is final before its reveal can land (60 s is ~5 L1 blocks, ~30 blocks of a 2 s L2).
    /// @param minCommitAge Seconds, >= 1.
    /// @param maxCommitAge Seconds, > minCommitAge and <= `MAX_COMMIT_AGE_CEILING`.
    function setCommitAges(uint32 minCommitAge, uint32 maxCommitAge) external;

    /// @notice Moves a track to another artist after a dispute (a stolen or mistaken registration). Only the owner.
    /// @dev From this call on, Editions sells nothing more of the track's editions on the previous artist's terms and
    /// pays resale royalties to the new artist (both read the registry live); `Editions.syncArtist` then closes each
    /// edition (the reassigning proposal SHOULD batch it). Proceeds already credited to the previous artist stay
    /// theirs. IMPORTANT: this closes every edition of the track, so it is for disputes, not for an artist's key
    /// rotation, and a reassignment undone later (A to B to A) does not reopen editions someone synced meanwhile.
    /// @param contentHash The registered track.
    /// @param newArtist The rightful artist, non-zero and different from the current one.
    /// @param disputeRef A reference to the dispute record (e.g. the hash of the evidence or of a forum post).
    function reassignArtist(bytes32 contentHash, address newArtist, bytes32 disputeRef) external;

    /// @notice When a commitment was made, or 0 if it was never made or has been revealed.
    /// @param commitment The commitment.
    /// @return committedAt Unix time of the commit.
    function commitmentTime(bytes32 commitment) external view returns (uint256 committedAt);

    /// @notice Seconds a commitment must age before it can be revealed.
    /// @return minCommitAge The minimum age.
    function minCommitAge() external view returns (uint32 minCommitAge);

    /// @notice Seconds after which an unrevealed commitment expires.
    /// @return maxCommitAge The maximum age.
    function maxCommitAge() external view returns (uint32 maxCommitAge);

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

    /// @notice The commitment for a registration: `keccak256(abi.encode(contentHash, artist, salt))`.
    /// @param contentHash SHA-256 of the audio bytes.
    /// @param artist The artist who will own the track.
    /// @param salt A secret random salt.
    /// @return commitment The commitment to pass to `commit`.
    function commitmentOf(bytes32 contentHash, address artist, bytes32 salt) external pure returns (bytes32 commitment);
}
