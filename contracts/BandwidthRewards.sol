// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IBandwidthRewards} from "./interfaces/IBandwidthRewards.sol";
import {IDCMXToken} from "./interfaces/IDCMXToken.sol";
import {INodeStaking} from "./interfaces/INodeStaking.sol";

/// @title BandwidthRewards
/// @notice Bandwidth-proof rewards for DCMX nodes. See {IBandwidthRewards} for the formula, the epoch and claim
/// design, the replay design, uptime attestation and the threat model.
contract BandwidthRewards is IBandwidthRewards, Ownable, EIP712 {
    using SafeERC20 for IERC20;

    /// @dev One parameter set and the first epoch it applies to, flattened into three slots.
    struct Schedule {
        uint32 fromEpoch;
        uint40 fromTime;
        uint32 epochLength;
        uint32 settlementDelay;
        uint16 uptimeBonusBps;
        uint16 diversityBonusBps;
        uint16 diversityTarget;
        uint64 perClientCap;
        uint128 rewardPerUnit;
        uint120 emissionCap;
        uint64 minClientBytes;
    }

    bytes32 public constant RECEIPT_TYPEHASH = keccak256(
        "Receipt(address server,address client,uint32 epoch,uint64 cumulativeBytes,bytes32 servedRoot,uint64 nonce)"
    );
    bytes32 public constant UPTIME_TYPEHASH = keccak256("UptimeAttestation(address node,uint32 epoch,uint256 slots)");
    /// @notice Bytes per reward unit: 100 MiB, the seed's "1 token per 100MB".
    uint256 public constant UNIT_BYTES = 100 * 1024 * 1024;
    /// @notice Uptime slots per epoch (one bit each in an attestation).
    uint256 public constant SLOTS_PER_EPOCH = 256;
    /// @notice Doubly attested slots needed for the uptime bonus: the least count above 99% of 256.
    uint256 public constant UPTIME_THRESHOLD_SLOTS = 254;
    uint256 private constant _BPS = 10_000;
    uint32 private constant _MIN_EPOCH_LENGTH = 256;
    uint32 private constant _MAX_EPOCH_LENGTH = 365 days;
    uint32 private constant _MAX_SETTLEMENT_DELAY = 30 days;
    /// @dev One half of a `_clientCredits` word: `uint32 epoch << 64 | uint64 credited`.
    uint256 private constant _HALF = 0xffffffffffffffffffffffffffffffff;

    IDCMXToken private immutable _token;
    INodeStaking private immutable _staking;
    Schedule[] private _schedules;
    mapping(address server => mapping(uint32 epoch => ServerEpoch credit)) private _serverEpochs;
    mapping(address node => mapping(uint32 epoch => uint16 slots)) private _uptime;
    mapping(uint32 epoch => EpochTotals totals) private _epochs;
    /// @dev Bytes credited per client across servers, for the two epochs that can take receipts at once (as
    /// `settlementDelay <= epochLength`), by epoch parity: bits 0..127 even epochs, 128..255 odd ones. The half of
    /// epoch `e` holds `e - 2` or older (closed) until `e`'s first credit overwrites it, so a client's steady-state
    /// receipt rewrites a nonzero slot rather than filling a fresh one.
    mapping(address client => uint256 halves) private _clientCredits;

    /// @param token_ The DCMX token; this contract needs its `MINTER_ROLE`.
    /// @param staking_ The node registry.
    /// @param owner_ Governance (the timelock).
    /// @param initial The parameters from epoch 0, which starts at deployment.
    constructor(IDCMXToken token_, INodeStaking staking_, address owner_, Parameters memory initial)
        Ownable(owner_)
        EIP712("DCMX BandwidthRewards", "1")
    {
        _token = token_;
        _staking = staking_;
        _validate(initial);
        _schedules.push(_toSchedule(0, uint40(block.timestamp), initial));
        emit ParametersScheduled(0, uint40(block.timestamp), initial);
    }

    /// @inheritdoc IBandwidthRewards
    function submitReceipts(address server, uint32 epoch, Receipt[] calldata receipts) external {
        if (receipts.length == 0) revert BandwidthRewardsEmptyBatch();
        address serverOperator = _activeOperator(server);
        _checkCaller(server, serverOperator);
        Schedule memory schedule = _scheduleOf(epoch);
        _checkOpen(epoch, schedule);

        ServerEpoch memory credit = _serverEpochs[server][epoch];
        uint16 slots = _uptime[server][epoch];
        uint256 oldRaw = _raw(credit, slots, schedule);
        (address last, uint256 credited, uint256 counted) =
            _creditBatch(server, serverOperator, epoch, credit.lastClient, schedule, receipts);
        credit.lastClient = last;
        credit.bytesServed = SafeCast.toUint64(credit.bytesServed + credited);
        credit.clients = SafeCast.toUint24(credit.clients + counted);
        _serverEpochs[server][epoch] = credit;
        _adjustTotal(epoch, oldRaw, _raw(credit, slots, schedule));
        emit ReceiptsSubmitted(server, epoch, receipts.length, credit.bytesServed, credit.clients);
    }

    /// @inheritdoc IBandwidthRewards
    function submitUptime(address node, uint32 epoch, UptimeAttestation[] calldata attestations) external {
        address nodeOperator = _activeOperator(node);
        _checkCaller(node, nodeOperator);
        Schedule memory schedule = _scheduleOf(epoch);
        _checkOpen(epoch, schedule);

        uint16 slots = _attestedSlots(node, nodeOperator, epoch, attestations);
        ServerEpoch memory credit = _serverEpochs[node][epoch];
        uint256 oldRaw = _raw(credit, _uptime[node][epoch], schedule);
        _uptime[node][epoch] = slots;
        _adjustTotal(epoch, oldRaw, _raw(credit, slots, schedule));
        emit UptimeSubmitted(node, epoch, slots, attestations.length);
    }

    /// @inheritdoc IBandwidthRewards
    function settleEpoch(uint32 epoch) external {
        EpochTotals memory totals = _epochs[epoch];
        if (totals.settled) revert BandwidthRewardsAlreadySettled(epoch);
        uint256 pool = _settle(epoch, _scheduleOf(epoch), totals);
        if (pool != 0) _token.mint(address(this), pool);
    }

    /// @inheritdoc IBandwidthRewards
    function claim(address node, uint32 epoch) external returns (uint256 amount) {
        ServerEpoch storage credit = _serverEpochs[node][epoch];
        ServerEpoch memory current = credit;
        if (current.claimed) revert BandwidthRewardsAlreadyClaimed(node, epoch);
        Schedule memory schedule = _scheduleOf(epoch);
        EpochTotals memory totals = _epochs[epoch];
        uint256 minted;
        if (!totals.settled) minted = _settle(epoch, schedule, totals); // updates `totals` in memory too
        uint256 raw = _raw(current, _uptime[node][epoch], schedule);
        if (raw == 0) revert BandwidthRewardsNothingToClaim(node, epoch);
        amount = Math.mulDiv(raw, totals.pool, totals.totalRaw);
        credit.claimed = true;
        address operator = _staking.operatorOf(node);
        emit RewardClaimed(node, epoch, operator, amount);
        if (minted != 0) _token.mint(address(this), minted);
        if (amount != 0) IERC20(address(_token)).safeTransfer(operator, amount);
    }

    /// @inheritdoc IBandwidthRewards
    function scheduleParameters(Parameters calldata parameters) external onlyOwner {
        _validate(parameters);
        uint256 last = _schedules.length - 1;
        Schedule memory latest = _schedules[last];
        // The epoch before `fromEpoch` runs on the set in force now; its settlement must end within the next epoch.
        uint32 delayBefore =
            latest.fromTime > block.timestamp ? _schedules[last - 1].settlementDelay : latest.settlementDelay;
        if (delayBefore > parameters.epochLength) {
            revert BandwidthRewardsSettlementDelayExceedsEpoch(delayBefore, parameters.epochLength);
        }
        uint32 fromEpoch;
        uint40 fromTime;
        if (latest.fromTime > block.timestamp) {
            // Not in force yet: replace it, keeping the boundary computed from the set in force now.
            (fromEpoch, fromTime) = (latest.fromEpoch, latest.fromTime);
            _schedules[last] = _toSchedule(fromEpoch, fromTime, parameters);
        } else {
            fromEpoch = _epochAt(latest, block.timestamp) + 1;
            fromTime = uint40(_startOf(fromEpoch, latest));
            _schedules.push(_toSchedule(fromEpoch, fromTime, parameters));
        }
        emit ParametersScheduled(fromEpoch, fromTime, parameters);
    }

    /// @inheritdoc IBandwidthRewards
    function currentEpoch() external view returns (uint32) {
        uint256 last = _schedules.length - 1;
        Schedule memory schedule = _schedules[last];
        if (schedule.fromTime > block.timestamp) schedule = _schedules[last - 1];
        return _epochAt(schedule, block.timestamp);
    }

    /// @inheritdoc IBandwidthRewards
    function epochTimes(uint32 epoch) external view returns (uint256 start, uint256 end, uint256 settlesAt) {
        Schedule memory schedule = _scheduleOf(epoch);
        start = _startOf(epoch, schedule);
        end = start + schedule.epochLength;
        settlesAt = end + schedule.settlementDelay;
    }

    /// @inheritdoc IBandwidthRewards
    function parametersOf(uint32 epoch) external view returns (Parameters memory) {
        Schedule memory s = _scheduleOf(epoch);
        return Parameters({
            epochLength: s.epochLength,
            settlementDelay: s.settlementDelay,
            uptimeBonusBps: s.uptimeBonusBps,
            diversityBonusBps: s.diversityBonusBps,
            diversityTarget: s.diversityTarget,
            perClientCap: s.perClientCap,
            minClientBytes: s.minClientBytes,
            rewardPerUnit: s.rewardPerUnit,
            emissionCap: s.emissionCap
        });
    }

    /// @inheritdoc IBandwidthRewards
    function serverEpoch(address server, uint32 epoch) external view returns (ServerEpoch memory) {
        return _serverEpochs[server][epoch];
    }

    /// @inheritdoc IBandwidthRewards
    function clientCredited(address client, uint32 epoch) external view returns (uint64) {
        uint256 half = _clientCredits[client] >> ((epoch & 1) << 7) & _HALF;
        return half >> 64 == epoch ? uint64(half) : 0;
    }

    /// @inheritdoc IBandwidthRewards
    function uptimeSlots(address node, uint32 epoch) external view returns (uint16) {
        return _uptime[node][epoch];
    }

    /// @inheritdoc IBandwidthRewards
    function epochTotals(uint32 epoch) external view returns (EpochTotals memory) {
        return _epochs[epoch];
    }

    /// @inheritdoc IBandwidthRewards
    function rawReward(address node, uint32 epoch) external view returns (uint256) {
        return _raw(_serverEpochs[node][epoch], _uptime[node][epoch], _scheduleOf(epoch));
    }

    /// @inheritdoc IBandwidthRewards
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IBandwidthRewards
    function staking() external view returns (address) {
        return address(_staking);
    }

    /// @inheritdoc IBandwidthRewards
    function receiptDigest(
        address server,
        address client,
        uint32 epoch,
        uint64 cumulativeBytes,
        bytes32 servedRoot,
        uint64 nonce
    ) external view returns (bytes32) {
        return _hashTypedDataV4(_receiptHash(server, client, epoch, cumulativeBytes, servedRoot, nonce));
    }

    /// @inheritdoc IBandwidthRewards
    function uptimeDigest(address node, uint32 epoch, uint256 slots) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(UPTIME_TYPEHASH, node, epoch, slots)));
    }

    /// @dev Marks `epoch` settled (in storage and in `totals`) and returns the pool to mint; the caller mints after
    /// its own effects.
    function _settle(uint32 epoch, Schedule memory schedule, EpochTotals memory totals) private returns (uint256 pool) {
        uint256 settlesAt = _startOf(epoch, schedule) + schedule.epochLength + schedule.settlementDelay;
        if (block.timestamp < settlesAt) revert BandwidthRewardsEpochNotSettled(epoch, settlesAt);
        pool = Math.min(totals.totalRaw, schedule.emissionCap);
        pool = Math.min(pool, _token.cap() - IERC20(address(_token)).totalSupply());
        totals.pool = uint120(pool);
        totals.settled = true;
        _epochs[epoch] = totals;
        emit EpochSettled(epoch, totals.totalRaw, totals.pool);
    }

    function _adjustTotal(uint32 epoch, uint256 oldRaw, uint256 newRaw) private {
        EpochTotals storage totals = _epochs[epoch];
        totals.totalRaw = SafeCast.toUint128(totals.totalRaw + newRaw - oldRaw);
    }

    /// @dev Checks a batch against the high-water mark `previous` and credits each active client within its cap
    /// across servers; returns the new mark (skipped clients included), the credited bytes and the clients credited
    /// at least `minClientBytes`.
    function _creditBatch(
        address server,
        address serverOperator,
        uint32 epoch,
        address previous,
        Schedule memory schedule,
        Receipt[] calldata receipts
    ) private returns (address last, uint256 credited, uint256 counted) {
        bytes32 domainSeparator = _domainSeparatorV4();
        uint256 cap = schedule.perClientCap;
        // Walks the calldata array by pointer, and reads fields masked to their types, to skip Solidity's per-access
        // bounds checks and validation (~600 gas per receipt, measured). Sums cannot overflow: credits are uint64s.
        Receipt calldata receipt;
        uint256 end;
        assembly ("memory-safe") {
            receipt := receipts.offset
            end := add(receipts.offset, mul(receipts.length, 0xc0))
        }
        unchecked {
            for (; _before(receipt, end); receipt = _next(receipt)) {
                address client;
                assembly ("memory-safe") {
                    client := and(calldataload(receipt), 0xffffffffffffffffffffffffffffffffffffffff)
                }
                if (client <= previous) revert BandwidthRewardsNotAscending(client, previous);
                previous = client;
                if (!_checkReceipt(server, serverOperator, epoch, domainSeparator, receipt, client)) continue;
                uint256 credit = _creditClient(client, epoch, cap, receipt);
                credited += credit;
                if (credit >= schedule.minClientBytes) ++counted;
            }
        }
        last = previous;
    }

    /// @dev Adds up to the receipt's bytes to `client`'s credit for `epoch`, within `cap`; returns what it added.
    function _creditClient(address client, uint32 epoch, uint256 cap, Receipt calldata receipt)
        private
        returns (uint256 credit)
    {
        assembly ("memory-safe") {
            let bytesReceived := and(calldataload(add(receipt, 0x20)), 0xffffffffffffffff)
            mstore(0x00, client)
            mstore(0x20, _clientCredits.slot)
            let slot := keccak256(0x00, 0x40)
            let halves := sload(slot)
            let shift := shl(7, and(epoch, 1))
            let half := and(shr(shift, halves), _HALF)
            // The other epoch of this parity is closed (`settlementDelay <= epochLength`): its credit no longer
            // counts. `used <= cap`: an epoch's cap never changes once it takes receipts.
            let used := mul(eq(shr(64, half), epoch), and(half, 0xffffffffffffffff))
            let room := sub(cap, used)
            credit := bytesReceived
            if lt(room, credit) { credit := room }
            if credit {
                let updated := shl(shift, or(shl(64, epoch), add(used, credit)))
                sstore(slot, or(and(halves, not(shl(shift, _HALF))), updated))
            }
        }
    }

    /// @dev Checks everything but the ordering: distinct nodes of different operators, signed by the client.
    /// Skips (returns false, emits {ReceiptSkipped}) if the client is not active. Hashes and
    /// recovers in scratch memory (the free pointer never moves, so a batch does not grow memory). The struct hash
    /// repeats `_receiptHash` inline on purpose: calling it costs ~340 gas per receipt (measured); the typed-data
    /// digest tests pin both to viem's `hashTypedData`. Signature
    /// malleability is harmless here: replays are stopped by the client ordering, not by signature uniqueness.
    /// The signature is checked before activity, so a skip is never granted for a receipt the client did not sign.
    function _checkReceipt(
        address server,
        address serverOperator,
        uint32 epoch,
        bytes32 domainSeparator,
        Receipt calldata receipt,
        address client
    ) private returns (bool active) {
        if (client == server) revert BandwidthRewardsSelfDealing(server);
        bytes32 typehash = RECEIPT_TYPEHASH;
        address signer;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            mstore(add(m, 0x20), server)
            mstore(add(m, 0x40), client)
            mstore(add(m, 0x60), epoch)
            mstore(add(m, 0x80), and(calldataload(add(receipt, 0x20)), 0xffffffffffffffff)) // cumulativeBytes
            mstore(add(m, 0xa0), calldataload(add(receipt, 0x60))) // servedRoot
            mstore(add(m, 0xc0), and(calldataload(add(receipt, 0x40)), 0xffffffffffffffff)) // nonce
            mstore(add(m, 0x22), keccak256(m, 0xe0))
            mstore(m, hex"1901")
            mstore(add(m, 0x02), domainSeparator)
            let digest := keccak256(m, 0x42)
            let vs := calldataload(add(receipt, 0xa0))
            mstore(m, digest)
            mstore(add(m, 0x20), add(shr(255, vs), 27))
            mstore(add(m, 0x40), calldataload(add(receipt, 0x80)))
            mstore(add(m, 0x60), shr(1, shl(1, vs)))
            mstore(0x00, 0)
            pop(staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20))
            signer := mload(0x00)
        }
        if (signer != client) revert BandwidthRewardsInvalidSignature(client);
        address clientOperator = _activeOperatorOf(client);
        if (clientOperator == address(0)) {
            emit ReceiptSkipped(server, epoch, client);
            return false;
        }
        if (clientOperator == serverOperator) revert BandwidthRewardsSameOperator(client, serverOperator);
        return true;
    }

    /// @dev `INodeStaking.activeOperatorOf` without ABI encoding overhead (called once per receipt).
    function _activeOperatorOf(address node) private view returns (address operator) {
        address staking_ = address(_staking);
        bytes4 selector = INodeStaking.activeOperatorOf.selector;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, node)
            if iszero(and(gt(returndatasize(), 0x1f), staticcall(gas(), staking_, 0x00, 0x24, 0x00, 0x20))) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
            operator := mload(0x00)
        }
    }

    /// @dev Slots set by at least two attesters; checks each attester and its signature.
    function _attestedSlots(
        address node,
        address nodeOperator,
        uint32 epoch,
        UptimeAttestation[] calldata attestations
    ) private view returns (uint16) {
        uint256 once;
        uint256 twice;
        address previous;
        address[] memory operators = new address[](attestations.length);
        for (uint256 i; i < attestations.length; ++i) {
            UptimeAttestation calldata attestation = attestations[i];
            address peer = attestation.peer;
            if (peer <= previous) revert BandwidthRewardsNotAscending(peer, previous);
            operators[i] = _checkAttester(node, nodeOperator, epoch, attestation, operators, i);
            twice |= once & attestation.slots;
            once |= attestation.slots;
            previous = peer;
        }
        return uint16(_popcount(twice));
    }

    /// @dev An attester is another active node, of an operator neither the node's nor an earlier attester's (the
    /// first `count` entries of `operators`), and signed the attestation. Returns its operator.
    function _checkAttester(
        address node,
        address nodeOperator,
        uint32 epoch,
        UptimeAttestation calldata attestation,
        address[] memory operators,
        uint256 count
    ) private view returns (address peerOperator) {
        address peer = attestation.peer;
        if (peer == node) revert BandwidthRewardsSelfDealing(node);
        peerOperator = _staking.activeOperatorOf(peer);
        if (peerOperator == address(0)) revert BandwidthRewardsNodeNotStaked(peer);
        if (peerOperator == nodeOperator) revert BandwidthRewardsSameOperator(peer, nodeOperator);
        // Attesters are a handful of peers: a quadratic scan in memory is cheaper than storage.
        for (uint256 j; j < count; ++j) {
            if (operators[j] == peerOperator) revert BandwidthRewardsDuplicateAttesterOperator(peer, peerOperator);
        }
        _checkSignature(
            _hashTypedDataV4(keccak256(abi.encode(UPTIME_TYPEHASH, node, epoch, attestation.slots))),
            attestation.r,
            attestation.vs,
            peer
        );
    }

    function _activeOperator(address node) private view returns (address operator) {
        operator = _staking.activeOperatorOf(node);
        if (operator == address(0)) revert BandwidthRewardsNodeNotStaked(node);
    }

    function _checkCaller(address node, address operator) private view {
        if (msg.sender != node && msg.sender != operator) revert BandwidthRewardsNotNodeOperator(node, msg.sender);
    }

    function _checkOpen(uint32 epoch, Schedule memory schedule) private view {
        uint256 start = _startOf(epoch, schedule);
        if (block.timestamp < start || block.timestamp >= start + schedule.epochLength + schedule.settlementDelay) {
            revert BandwidthRewardsEpochNotOpen(epoch);
        }
    }

    /// @dev The set with the greatest `fromEpoch <= epoch` (the first set starts at epoch 0, so one always exists).
    function _scheduleOf(uint32 epoch) private view returns (Schedule memory) {
        uint256 i = _schedules.length;
        while (_schedules[--i].fromEpoch > epoch) {}
        return _schedules[i];
    }

    function _validate(Parameters memory p) private pure {
        if (p.epochLength < _MIN_EPOCH_LENGTH || p.epochLength > _MAX_EPOCH_LENGTH) {
            revert BandwidthRewardsInvalidEpochLength(p.epochLength);
        }
        if (p.settlementDelay > _MAX_SETTLEMENT_DELAY) revert BandwidthRewardsInvalidSettlementDelay(p.settlementDelay);
        if (p.settlementDelay > p.epochLength) {
            revert BandwidthRewardsSettlementDelayExceedsEpoch(p.settlementDelay, p.epochLength);
        }
        if (p.minClientBytes == 0 || p.minClientBytes > p.perClientCap) {
            revert BandwidthRewardsInvalidMinClientBytes(p.minClientBytes, p.perClientCap);
        }
        if (p.uptimeBonusBps > _BPS || p.diversityBonusBps > _BPS || p.diversityTarget == 0) {
            revert BandwidthRewardsInvalidBonus(p.uptimeBonusBps, p.diversityBonusBps, p.diversityTarget);
        }
    }

    function _checkSignature(bytes32 digest, bytes32 r, bytes32 vs, address signer) private pure {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, r, vs);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert BandwidthRewardsInvalidSignature(signer);
    }

    /// @dev Hashes in scratch memory past the free pointer without moving it, so a batch does not grow memory.
    function _receiptHash(
        address server,
        address client,
        uint32 epoch,
        uint256 cumulativeBytes,
        bytes32 servedRoot,
        uint64 nonce
    ) private pure returns (bytes32 structHash) {
        bytes32 typehash = RECEIPT_TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            mstore(add(m, 0x20), server)
            mstore(add(m, 0x40), client)
            mstore(add(m, 0x60), epoch)
            mstore(add(m, 0x80), cumulativeBytes)
            mstore(add(m, 0xa0), servedRoot)
            mstore(add(m, 0xc0), nonce)
            structHash := keccak256(m, 0xe0)
        }
    }

    function _raw(ServerEpoch memory credit, uint16 slots, Schedule memory s) private pure returns (uint256) {
        if (credit.bytesServed == 0) return 0;
        uint256 target = s.diversityTarget;
        uint256 clients = Math.min(credit.clients, target);
        uint256 multiplier = _BPS * target + clients * s.diversityBonusBps;
        if (slots >= UPTIME_THRESHOLD_SLOTS) multiplier += target * s.uptimeBonusBps;
        return Math.mulDiv(uint256(credit.bytesServed) * s.rewardPerUnit, multiplier, _BPS * target * UNIT_BYTES);
    }

    function _epochAt(Schedule memory schedule, uint256 timestamp) private pure returns (uint32) {
        return uint32(schedule.fromEpoch + (timestamp - schedule.fromTime) / schedule.epochLength);
    }

    function _startOf(uint32 epoch, Schedule memory schedule) private pure returns (uint256) {
        return schedule.fromTime + uint256(epoch - schedule.fromEpoch) * schedule.epochLength;
    }

    function _toSchedule(uint32 fromEpoch, uint40 fromTime, Parameters memory p) private pure returns (Schedule memory) {
        return Schedule({
            fromEpoch: fromEpoch,
            fromTime: fromTime,
            epochLength: p.epochLength,
            settlementDelay: p.settlementDelay,
            uptimeBonusBps: p.uptimeBonusBps,
            diversityBonusBps: p.diversityBonusBps,
            diversityTarget: p.diversityTarget,
            perClientCap: p.perClientCap,
            rewardPerUnit: p.rewardPerUnit,
            emissionCap: p.emissionCap,
            minClientBytes: p.minClientBytes
        });
    }

    function _before(Receipt calldata receipt, uint256 end) private pure returns (bool result) {
        assembly ("memory-safe") {
            result := lt(receipt, end)
        }
    }

    function _next(Receipt calldata receipt) private pure returns (Receipt calldata next) {
        assembly ("memory-safe") {
            next := add(receipt, 0xc0)
        }
    }

    function _popcount(uint256 x) private pure returns (uint256 count) {
        for (; x != 0; ++count) x &= x - 1;
    }
}
