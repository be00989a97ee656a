// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IBandwidthRewards
/// @notice Pays DCMX node operators for bandwidth their nodes served, proven by receipts that the downloading node
/// signs (never the server), with bonuses for peer-attested uptime and for client diversity (whitepaper 10.1):
///
///   reward = bytes / 100 MiB * rewardPerUnit * (1 + uptimeBonus + diversityBonus * min(clients, target) / target)
///
/// where uptimeBonus (20%) applies if more than 99% of the epoch's 256 uptime slots are attested by at least two
/// distinct staked peers, and diversityBonus is 10% at `target` (10) distinct clients. Amounts are exact in wei
/// (the seed rounds to whole tokens; we do not).
///
/// Epochs. Epoch numbers derive from `block.timestamp` and a schedule of parameter sets. Governance changes take
/// effect from the next epoch (`scheduleParameters`), so changing the epoch length never renumbers a past or
/// current epoch. Epoch `e` is open for submissions from its start until `settlesAt(e) = end(e) + settlementDelay`.
///
/// Claims. After `settlesAt(e)` no receipt or attestation for `e` is accepted, so the sum of all raw rewards is
/// final. The first claim (or anyone calling `settleEpoch`) mints the epoch's pool, `min(total raw rewards,
/// emissionCap, token headroom)`, to this contract; each node then receives `raw * pool / totalRaw` (pro rata,
/// rounded down), so an epoch never emits more than its cap. Each node claims once per epoch; the operator
/// registered for the node is paid, whoever calls.
///
/// Receipts. EIP-712 domain `{name: "DCMX BandwidthRewards", version: "1", chainId, verifyingContract: this}`,
/// type `Receipt(address server,address client,uint32 epoch,uint64 cumulativeBytes,bytes32 servedRoot,uint64 nonce)`
/// signed by the client node's key. `cumulativeBytes` counts all bytes the client downloaded and verified from
/// `server` in `epoch`, so the server keeps only the latest receipt per client; `servedRoot` commits to the content
/// served (e.g. a Merkle root of content hashes); `nonce` is the client's sequence number for the pair (off-chain
/// bookkeeping only).
///
/// Replays. A batch lists receipts strictly ascending by client, and each (server, epoch) stores the highest client
/// submitted so far: every later batch must start above it. So each client counts at most once per (server, epoch),
/// across batches, for one storage write per batch. IMPORTANT: a client submitted once is final for that epoch, even
/// if it was skipped (below): servers SHOULD submit after the epoch ends (the settlement delay leaves time) with each
/// client's latest receipt. Client and server must be distinct nodes of different operators, and the client must
/// have signed the receipt, or the whole batch reverts. A client that is not active (never staked, or fell below
/// `minStake`, e.g. by requesting to unstake) when the batch lands is skipped with {ReceiptSkipped}: it is credited
/// nothing, the rest of the batch is, and the high-water mark moves past it all the same.
///
/// Per-client cap. Each client's credited bytes per epoch, summed over ALL servers, are capped at `perClientCap`:
/// a receipt is credited `min(cumulativeBytes, perClientCap - already credited for the client this epoch)`, first
/// come first served. An honest client's daily traffic SHOULD stay well below the cap, or later servers get less.
/// Kept in one slot per client holding the two epochs that can be open at once (hence `settlementDelay <=
/// epochLength`, checked also across parameter changes), so a steady-state receipt rewrites a nonzero slot.
///
/// Diversity. A client counts toward the diversity bonus only if the receipt credits it at least `minClientBytes`
/// at that server (at least 1): zero-byte or token receipts earn no bonus.
///
/// Uptime. Peers sign `UptimeAttestation(address node,uint32 epoch,uint256 slots)`: bit i set means the peer reached
/// the node during slot i of 256 equal slots of the epoch, i.e. within `[start + i*length/256, start +
/// (i+1)*length/256)`. The node's operator submits the attestations (strictly
/// ascending by peer); a slot counts if at least two of them set it. Attesters must be active nodes of distinct
/// operators, none of them the node's own. A new submission replaces the previous one.
///
/// Rounding. Each claim floors `raw * pool / totalRaw`, losing less than 1 wei: once every node of an epoch has
/// claimed, at most (number of claims - 1) wei of its pool stay in this contract, bounded, not swept (a test and an
/// invariant hold it). Shares not yet claimed are not dust: they stay claimable, with no deadline.
///
/// Threat model. Operators that collude (k staked nodes under k operator accounts) can have each node sign receipts
/// for bytes another never served. As every client is capped across all servers, the ring fabricates at most
/// `k * perClientCap` credited bytes per epoch, paid at most
///
///   k * perClientCap / 100 MiB * rewardPerUnit * (1 + uptimeBonus + diversityBonus)      (1.3 with the defaults)
///
/// per epoch: the uptime bonus is not out of reach, since honest peers that really reach a colluding node attest
/// its uptime truthfully, and k-1 colluding clients plus any honest ones raise its diversity. A colluding pair thus
/// earns up to `2 * perClientCap / 100 MiB * rewardPerUnit * 1.3` per epoch (1.21 with only each other as clients).
/// All of it stays inside the epoch's emission cap, which the fraud dilutes for honest operators. The cost to the
/// colluders: `minStake` per node, slashable while it is active and for the whole unstake delay `U`
/// (`NodeStaking.unstakeDelay()`: the unbonding delay plus the governance latency) after it asks to leave (it stops
/// earning at that moment), slashable by governance once the fraud is proven (e.g. receipts whose `servedRoot` names
/// content the "server" never held), plus gas. An epoch takes submissions for `epochLength + settlementDelay`, so a
/// window of length `U` touches at most `ceil(U / epochLength) + 2` epochs, and per node the most a ring can
/// fabricate while its stake is at risk is
///
///   F(U) = (ceil(U / epochLength) + 2) * perClientCap / 100 MiB * rewardPerUnit * (1 + uptimeBonus + diversityBonus)
///
/// (a ring of k nodes: k * F(U), with k * minStake at stake). Governance MUST keep `minStake` far above F(U); the
/// deployment defaults (perClientCap 2 GiB, rate 1 DCMX, epoch 1 day, U = 14 + 10 days) give F = 26 * 20.48 * 1.3 =
/// 692.2 DCMX against a 10,000 DCMX minStake, and a test holds them to `minStake >= 10 * F(U)`.
/// IMPORTANT for servers: the cap is first come, first served across servers, and a submission is final for that
/// client. A client that exceeds its cap (or colludes) can leave a later-submitting honest server uncredited for
/// bytes it really served, so servers SHOULD submit soon after the epoch ends. The diversity bonus is cheap to game
/// inside the 1.3 bound: `minClientBytes` (1 MiB) per client per server is all a counted client needs. What it cannot do
/// at any price: be paid for receipts it signed itself or from same-operator clients, be credited for an inactive
/// client, replay a receipt, reuse one across servers, epochs or chains, credit a client beyond the cap by spreading
/// it over servers, claim twice, or forge a peer's attestation.
interface IBandwidthRewards {
    /// @notice A client's receipt for one server and epoch, as submitted (the server and epoch are the batch's).
    /// @param client The downloading node's signing address; MUST be strictly greater than the previous client.
    /// @param cumulativeBytes All bytes the client received from the server in the epoch.
    /// @param nonce The client's sequence number (signed, not checked on chain).
    /// @param servedRoot Commitment to the content served.
    /// @param r ERC-2098 compact signature, first half.
    /// @param vs ERC-2098 compact signature, y-parity bit and s.
    struct Receipt {
        address client;
        uint64 cumulativeBytes;
        uint64 nonce;
        bytes32 servedRoot;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A peer's attestation of the slots in which it reached a node.
    struct UptimeAttestation {
        address peer;
        uint256 slots;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice The governance parameters of an epoch.
    /// @param epochLength Seconds per epoch, 256 s .. 365 days.
    /// @param settlementDelay Seconds after an epoch ends during which receipts and attestations may still be
    /// submitted, at most 30 days and at most `epochLength` (of this set and of the next); claims open after it.
    /// @param uptimeBonusBps Bonus for uptime above 99%, in basis points (seed: 2000), at most 10000.
    /// @param diversityBonusBps Bonus at `diversityTarget` distinct clients, in basis points (seed: 1000), at most 10000.
    /// @param diversityTarget Distinct clients for the full diversity bonus (seed: 10), at least 1.
    /// @param perClientCap Bytes credited per client per epoch at most, summed over all servers.
    /// @param minClientBytes Bytes a receipt must credit for its client to count toward the diversity bonus,
    /// 1 .. perClientCap (default 1 MiB).
    /// @param rewardPerUnit Wei of DCMX per 100 MiB served (seed: 1e18).
    /// @param emissionCap Most wei minted for one epoch, shared pro rata.
    struct Parameters {
        uint32 epochLength;
        uint32 settlementDelay;
        uint16 uptimeBonusBps;
        uint16 diversityBonusBps;
        uint16 diversityTarget;
        uint64 perClientCap;
        uint64 minClientBytes;
        uint128 rewardPerUnit;
        uint120 emissionCap;
    }

    /// @notice What a server has been credited for an epoch (one slot).
    /// @param lastClient The highest client submitted (replay high-water mark).
    /// @param bytesServed Credited bytes, each client capped across servers.
    /// @param clients Distinct clients credited at least `minClientBytes` (the diversity count).
    /// @param claimed Whether the reward has been claimed.
    struct ServerEpoch {
        address lastClient;
        uint64 bytesServed;
        uint24 clients;
        bool claimed;
    }

    /// @notice An epoch's totals (one slot).
    /// @param totalRaw Sum of all nodes' raw rewards (before the emission cap).
    /// @param pool Wei minted for the epoch at settlement.
    /// @param settled Whether the pool has been minted.
    struct EpochTotals {
        uint128 totalRaw;
        uint120 pool;
        bool settled;
    }

    /// @notice Emitted when `server` submits `count` receipts for `epoch` (skipped ones included); `bytesServed` and
    /// `clients` are its totals for the epoch.
    event ReceiptsSubmitted(
        address indexed server, uint32 indexed epoch, uint256 count, uint64 bytesServed, uint24 clients
    );
    /// @notice Emitted when `server`'s receipt from `client` is credited nothing because `client` is not active.
    event ReceiptSkipped(address indexed server, uint32 indexed epoch, address indexed client);
    /// @notice Emitted when `node`'s uptime for `epoch` is set to `slots` doubly attested slots (of 256).
    event UptimeSubmitted(address indexed node, uint32 indexed epoch, uint16 slots, uint256 attestations);
    /// @notice Emitted when an epoch's pool is minted.
    event EpochSettled(uint32 indexed epoch, uint128 totalRaw, uint120 pool);
    /// @notice Emitted when `node`'s reward for `epoch` is paid to `operator`.
    event RewardClaimed(address indexed node, uint32 indexed epoch, address indexed operator, uint256 amount);
    /// @notice Emitted when governance schedules parameters, in force from `fromEpoch` (starting at `fromTime`).
    event ParametersScheduled(uint32 indexed fromEpoch, uint40 fromTime, Parameters parameters);

    /// @notice `node` is not an active (staked) node.
    error BandwidthRewardsNodeNotStaked(address node);
    /// @notice The caller is neither the node's key nor its operator.
    error BandwidthRewardsNotNodeOperator(address node, address caller);
    /// @notice A node tried to count a receipt or attestation from itself.
    error BandwidthRewardsSelfDealing(address node);
    /// @notice `peer` (a client or attester) belongs to the same operator as the node it vouches for.
    error BandwidthRewardsSameOperator(address peer, address operator);
    /// @notice Two attesters of one uptime submission belong to the same `operator`.
    error BandwidthRewardsDuplicateAttesterOperator(address peer, address operator);
    /// @notice The signature is not `signer`'s over this receipt or attestation (wrong key, chain, epoch or field).
    error BandwidthRewardsInvalidSignature(address signer);
    /// @notice Clients (or attesters) are not strictly ascending; also what a replayed receipt hits.
    error BandwidthRewardsNotAscending(address account, address previous);
    /// @notice The epoch is not open for submissions (not started, or past its settlement time).
    error BandwidthRewardsEpochNotOpen(uint32 epoch);
    /// @notice The epoch cannot be settled or claimed before `settlesAt`.
    error BandwidthRewardsEpochNotSettled(uint32 epoch, uint256 settlesAt);
    /// @notice `node` has already claimed `epoch`.
    error BandwidthRewardsAlreadyClaimed(address node, uint32 epoch);
    /// @notice `node` earned nothing in `epoch`.
    error BandwidthRewardsNothingToClaim(address node, uint32 epoch);
    /// @notice The epoch is already settled.
    error BandwidthRewardsAlreadySettled(uint32 epoch);
    /// @notice The batch is empty.
    error BandwidthRewardsEmptyBatch();
    /// @notice The epoch length is outside 256 s .. 365 days.
    error BandwidthRewardsInvalidEpochLength(uint32 epochLength);
    /// @notice The settlement delay exceeds 30 days.
    error BandwidthRewardsInvalidSettlementDelay(uint32 settlementDelay);
    /// @notice A bonus exceeds 100%, or the diversity target is zero.
    error BandwidthRewardsInvalidBonus(uint16 uptimeBonusBps, uint16 diversityBonusBps, uint16 diversityTarget);
    /// @notice A settlement delay exceeds an epoch length it must fit in (its own set's, or the next set's), which
    /// would let more than two epochs take receipts at once.
    error BandwidthRewardsSettlementDelayExceedsEpoch(uint32 settlementDelay, uint32 epochLength);
    /// @notice The diversity threshold is zero or above the per-client cap.
    error BandwidthRewardsInvalidMinClientBytes(uint64 minClientBytes, uint64 perClientCap);

    /// @notice Credits `server` with a batch of receipts for `epoch`.
    /// @dev Caller: the server's key or its operator. Receipts MUST be strictly ascending by client and above every
    /// client already submitted for (server, epoch). Reverts on the first bad receipt (order, self-dealing, same
    /// operator, signature); skips, with {ReceiptSkipped}, receipts of clients that are not active. Each client's
    /// credit is capped by what other servers were already credited for it this epoch.
    function submitReceipts(address server, uint32 epoch, Receipt[] calldata receipts) external;

    /// @notice Sets `node`'s uptime for `epoch` from peers' attestations (strictly ascending by peer).
    /// @dev Caller: the node's key or its operator. Replaces any previous submission for (node, epoch).
    function submitUptime(address node, uint32 epoch, UptimeAttestation[] calldata attestations) external;

    /// @notice Mints `epoch`'s pool once its settlement time has passed. Anyone may call; `claim` calls it if needed.
    function settleEpoch(uint32 epoch) external;

    /// @notice Pays `node`'s reward for `epoch` to its operator. Anyone may call, once per (node, epoch).
    /// @return amount The wei paid.
    function claim(address node, uint32 epoch) external returns (uint256 amount);

    /// @notice Schedules `parameters` to apply from the next epoch. Only the owner (governance).
    /// @dev Calling again before the next epoch starts replaces the scheduled set.
    function scheduleParameters(Parameters calldata parameters) external;

    /// @notice The epoch at the current block's timestamp.
    function currentEpoch() external view returns (uint32);

    /// @notice `epoch`'s start, end and settlement time (Unix seconds).
    function epochTimes(uint32 epoch) external view returns (uint256 start, uint256 end, uint256 settlesAt);

    /// @notice The parameters in force for `epoch`.
    function parametersOf(uint32 epoch) external view returns (Parameters memory);

    /// @notice What `server` has been credited for `epoch`.
    function serverEpoch(address server, uint32 epoch) external view returns (ServerEpoch memory);

    /// @notice Bytes credited for `client` in `epoch`, summed over all servers (at most `perClientCap`).
    /// @dev Kept only while it matters: exact while `epoch` takes receipts and until the client is credited in a
    /// later epoch of the same parity (`epoch + 2` or after), then 0.
    function clientCredited(address client, uint32 epoch) external view returns (uint64);

    /// @notice `node`'s doubly attested uptime slots (of 256) in `epoch`.
    function uptimeSlots(address node, uint32 epoch) external view returns (uint16);

    /// @notice `epoch`'s totals.
    function epochTotals(uint32 epoch) external view returns (EpochTotals memory);

    /// @notice `node`'s raw reward for `epoch` (before the emission cap), in wei.
    function rawReward(address node, uint32 epoch) external view returns (uint256);

    /// @notice The token paid.
    function token() external view returns (address);

    /// @notice The node registry.
    function staking() external view returns (address);

    /// @notice The EIP-712 digest a client signs for a receipt.
    function receiptDigest(
        address server,
        address client,
        uint32 epoch,
        uint64 cumulativeBytes,
        bytes32 servedRoot,
        uint64 nonce
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest a peer signs for an uptime attestation.
    function uptimeDigest(address node, uint32 epoch, uint256 slots) external view returns (bytes32);
}
