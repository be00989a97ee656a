import type { network } from "hardhat";
import { parseEther, type Hash, type Hex } from "viem";
import {
  allowlist,
  COMMIT_AGES,
  commitmentOf,
  registerDomain,
  registerTypes,
  saltOf,
  sampleEdition,
  sampleRegistration,
  tokenIdOf,
} from "../../test/helpers/music.ts";
import type { GasRow } from "./types.ts";

type Viem = Awaited<ReturnType<typeof network.create>>["viem"];

/** Deploys the music contracts and measures the operations in steady state (see bench/README.md). */
export async function measureMusic(viem: Viem): Promise<GasRow[]> {
  const publicClient = await viem.getPublicClient();
  const [deployer, artist, fan1, fan2, fan3, collector, signer, allowlisted, capped] = await viem.getWalletClients();
  const gas = async (hash: Promise<Hash>) => (await publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed;

  const registry = await viem.deployContract("TrackRegistry", [deployer.account.address, COMMIT_AGES.min, COMMIT_AGES.max]);
  const editions = await viem.deployContract("Editions", [registry.address, deployer.account.address, "https://dcmx.example/content/"]);
  const market = await viem.deployContract("Marketplace");
  const asArtist = { account: artist.account };
  const commit = (seed: string, who: Hex) =>
    registry.write.commit([commitmentOf(sampleRegistration(seed).contentHash, who, saltOf(seed))], asArtist);

  // Commit (the artist's own; a relayer's costs the same), wait the production minimum age, reveal.
  await commit("warm", artist.account.address);
  const commitRegistration = await gas(commit("measured", artist.account.address));
  await commit("signed", signer.account.address);
  const testClient = await viem.getTestClient();
  await testClient.increaseTime({ seconds: COMMIT_AGES.min });
  await testClient.mine({ blocks: 1 });
  await registry.write.register([sampleRegistration("warm"), saltOf("warm")], asArtist);
  const registerTrack = await gas(registry.write.register([sampleRegistration("measured"), saltOf("measured")], asArtist));

  // Gasless registration relayed by `deployer` (a mesh node), signed by an artist who never sent a transaction.
  const chainId = await publicClient.getChainId();
  const domain = registerDomain(chainId, registry.address);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const relay = async (seed: string) => {
    const reg = sampleRegistration(seed);
    const nonce = await registry.read.nonces([signer.account.address]);
    const signature = await signer.signTypedData({
      domain,
      types: registerTypes,
      primaryType: "Register",
      message: { ...reg, artist: signer.account.address, nonce, deadline },
    });
    return gas(registry.write.registerWithSig([reg, signer.account.address, saltOf(seed), deadline, signature]));
  };
  const registerTrackWithSig = await relay("signed");

  const track = sampleRegistration("measured").contentHash;
  await editions.write.createEdition([sampleEdition(sampleRegistration("warm").contentHash)], asArtist);
  const createEdition = await gas(editions.write.createEdition([sampleEdition(track)], asArtist));
  const price = sampleEdition(track).price;

  // An artist's first sale ever also creates their proceeds slot; every later sale finds it non-zero.
  const buy1First = await gas(editions.write.buy([2n, 1n], { account: fan1.account, value: price }));
  const buy1 = await gas(editions.write.buy([2n, 1n], { account: fan2.account, value: price }));
  const buy5 = await gas(editions.write.buy([2n, 5n], { account: fan3.account, value: price * 5n }));
  // Withdrawing leaves the proceeds slot non-zero, so the next sale costs the same as any other.
  await editions.write.withdraw(asArtist);
  const buy1AfterWithdraw = await gas(editions.write.buy([2n, 1n], { account: deployer.account, value: price }));

  // An edition with a presale for a 1,000-wallet allowlist (proof depth 10), bought by an allowlisted fan's first
  // token of the collection (as buy1) with an empty comment; the presale caps nothing here, as buy1's public sale caps nothing (a capped presale adds the
  // wallet's counter slot, 22.1k, exactly as a capped public sale does).
  const wallets = [allowlisted, capped, fan1, fan2, fan3].map((w) => w.account.address as Hex);
  for (let i = wallets.length; i < 1_000; i++) wallets.push(`0x${(0xa11ce000 + i).toString(16).padStart(40, "0")}`);
  const allowed = allowlist(wallets);
  const saleStart = Number((await publicClient.getBlock()).timestamp) + 86_400;
  const presale = { merkleRoot: allowed.root, price: price / 2n, start: 0, perWalletCap: 0 };
  const createEditionWithPresale = await gas(editions.write.createEdition([sampleEdition(track, { saleStart, presale })], asArtist));
  const presaleBuy1 = await gas(
    editions.write.buyPresale([3n, 1n, allowed.proof(allowlisted.account.address), ""], { account: allowlisted.account, value: presale.price }),
  );
  // The same with a per-wallet presale cap: the wallet's presale counter is a fresh slot (22.1k).
  await editions.write.createEdition([sampleEdition(track, { saleStart, presale: { ...presale, perWalletCap: 3 } })], asArtist);
  const presaleBuy1Capped = await gas(
    editions.write.buyPresale([4n, 1n, allowed.proof(capped.account.address), ""], { account: capped.account, value: presale.price }),
  );

  // Resale of fan2's token (#2) to a collector: 10% royalty to the artist, the rest pushed to the seller.
  const tokenId = tokenIdOf(2n, 2n);
  await editions.write.setApprovalForAll([market.address, true], { account: fan2.account });
  const expiry = Math.floor(Date.now() / 1000) + 86_400;
  // The seller refuses any royalty increase after listing: minimum proceeds = price minus today's 10%.
  const list = await gas(
    market.write.list([editions.address, tokenId, parseEther("0.5"), expiry, parseEther("0.45")], { account: fan2.account }),
  );
  const resaleWithRoyalty = await gas(
    market.write.buy([editions.address, tokenId], { account: collector.account, value: parseEther("0.5") }),
  );

  return [
    { operation: "commitRegistration", gasUsed: commitRegistration, target: 50_000, anchor: "-" },
    { operation: "registerTrack", gasUsed: registerTrack, target: 90_000, anchor: "the reveal" },
    { operation: "registerTrackWithSig", gasUsed: registerTrackWithSig, target: 100_000, anchor: "the relayed reveal" },
    { operation: "createEdition", gasUsed: createEdition, target: 150_000, anchor: "Sound.xyz clone-per-release ~284k" },
    { operation: "createEditionWithPresale", gasUsed: createEditionWithPresale, anchor: "informative: two more slots" },
    { operation: "buy1", gasUsed: buy1, target: 100_000, anchor: "-" },
    { operation: "buy1First", gasUsed: buy1First, anchor: "informative: the artist's first sale ever" },
    { operation: "buy1AfterWithdraw", gasUsed: buy1AfterWithdraw, anchor: "informative: first sale after a withdrawal" },
    { operation: "buy5", gasUsed: buy5, target: 160_000, anchor: "OpenZeppelin ERC721 mint x5 ~175k" },
    { operation: "presaleBuy1", gasUsed: presaleBuy1, target: 110_000, anchor: "allowlist of 1,000 (proof depth 10), no per-wallet cap" },
    { operation: "presaleBuy1Capped", gasUsed: presaleBuy1Capped, anchor: "informative: with a per-wallet presale cap (+ the counter slot)" },
    { operation: "list", gasUsed: list, anchor: "informative: includes the witness approval on the token" },
    { operation: "resaleWithRoyalty", gasUsed: resaleWithRoyalty, target: 110_000, anchor: "Seaport 1.6, one fee recipient: 129,822" },
  ];
}
