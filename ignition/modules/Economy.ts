// The DCMX token economy: token, node staking, bandwidth rewards, timelock and governor, wired together and
// handed to the timelock. The combined DCMX module uses it (`m.useModule(EconomyModule)`) and transfers the
// Editions contract's ownership to `timelock`.
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { keccak256, parseEther, toHex, zeroAddress, zeroHash } from "viem";

const role = (name: string) => keccak256(toHex(name));
const DAY = 86_400;

export default buildModule("Economy", (m) => {
  const deployer = m.getAccount(0);

  // Supply: a hard cap; the treasury allocation goes to the timelock (it never delegates, so it never votes) and the
  // rest straight to its recipients. `allocations` ([{ account, amount }]) has NO default: a real chain MUST list its
  // recipients, each (and each party's total) below the quorum (quorumPercent of the whole initial supply, treasury
  // included), so no single account can pass a proposal. ignition/parameters/local.json gives the local chain's demo
  // accounts their share.
  const tokenCap = m.getParameter("tokenCap", parseEther("1000000000"));
  const treasuryAllocation = m.getParameter("treasuryAllocation", parseEther("50000000"));
  const allocations = m.getParameter("allocations");

  // Staking.
  // Threat model (see IBandwidthRewards): k colluding nodes fabricate at most k * perClientCap per epoch (x1.3 with the
  // bonuses); minStake, slashable for the whole unstake delay U, is what that costs: keep minStake >= 10 * F(U)
  // (test/BandwidthRewards.ts checks these defaults: F(U) = 692.2 DCMX against 10,000).
  const minStake = m.getParameter("minStake", parseEther("10000"));
  const unbondingDelay = m.getParameter("unbondingDelay", 14 * DAY);

  // Rewards (the seed's model, whitepaper 10.1), from epoch 0 = deployment time.
  const rewardParameters = {
    epochLength: m.getParameter("epochLength", DAY),
    settlementDelay: m.getParameter("settlementDelay", DAY),
    uptimeBonusBps: m.getParameter("uptimeBonusBps", 2_000),
    diversityBonusBps: m.getParameter("diversityBonusBps", 1_000),
    diversityTarget: m.getParameter("diversityTarget", 10),
    // ~1.4 GB is a full day of 128 kbit/s streaming from one server.
    perClientCap: m.getParameter("perClientCap", 2n * 1024n ** 3n),
    // A client counts toward the diversity bonus from 1 MiB credited (a few seconds of audio): no zero-byte padding.
    minClientBytes: m.getParameter("minClientBytes", 1024n ** 2n),
    rewardPerUnit: m.getParameter("rewardPerUnit", parseEther("1")),
    emissionCap: m.getParameter("emissionCap", parseEther("100000")),
  };

  // Governance, in seconds (ERC-6372 timestamp clock): the same durations on L1 and on any L2. A slash takes at least
  // votingDelay + votingPeriod + timelockMinDelay to execute; NodeStaking adds that latency to every unstake request.
  const timelockMinDelay = m.getParameter("timelockMinDelay", 2 * DAY);
  const votingDelay = m.getParameter("votingDelay", DAY);
  const votingPeriod = m.getParameter("votingPeriod", 7 * DAY);
  const proposalThreshold = m.getParameter("proposalThreshold", parseEther("10000"));
  const quorumPercent = m.getParameter("quorumPercent", 4);

  const timelock = m.contract("DCMXTimelock", [timelockMinDelay, [], [zeroAddress], deployer]);
  const token = m.contract("DCMXToken", [deployer, timelock, treasuryAllocation, allocations, tokenCap]);
  // Owned by the deployer only until it points the unstake delay at the governor, then by the timelock.
  const staking = m.contract("NodeStaking", [token, deployer, minStake, unbondingDelay]);
  const rewards = m.contract("BandwidthRewards", [token, staking, timelock, rewardParameters]);
  const governor = m.contract("DCMXGovernor", [token, timelock, staking, votingDelay, votingPeriod, proposalThreshold, quorumPercent]);

  const wiring = [
    m.call(token, "grantRole", [role("MINTER_ROLE"), rewards], { id: "GrantMinterToRewards" }),
    m.call(token, "grantRole", [zeroHash, timelock], { id: "GrantTokenAdminToTimelock" }),
    m.call(staking, "setGovernor", [governor], { id: "StakingWaitsOutGovernanceLatency" }),
    m.call(timelock, "grantRole", [role("PROPOSER_ROLE"), governor], { id: "GrantProposerToGovernor" }),
    m.call(timelock, "grantRole", [role("CANCELLER_ROLE"), governor], { id: "GrantCancellerToGovernor" }),
  ];
  m.call(token, "renounceRole", [zeroHash, deployer], { id: "RenounceTokenAdmin", after: wiring });
  m.call(timelock, "renounceRole", [zeroHash, deployer], { id: "RenounceTimelockAdmin", after: wiring });
  m.call(staking, "transferOwnership", [timelock], { id: "StakingToTimelock", after: wiring });

  return { token, staking, rewards, governor, timelock };
});
