import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

import { typedData } from '@dcmx/deployments'
import { hashMessage, hashTypedData, parseSignature, recoverAddress as recoverViem, toBytes, toHex } from 'viem'
import type { Address, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'

import { receiptDigest, receiptDomainSeparator, ReceiptSignatures } from '../../src/chain/receipts-crypto.ts'
import { KEY_FILE, loadOrCreateIdentity } from '../../src/core/identity.ts'
import { recoverAddress, signHash } from '../../src/core/secp256k1.ts'
import { tempDir } from '../helpers.ts'

const REWARDS = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

function receipt(client: Address, i: number) {
  return {
    server: privateKeyToAccount(generatePrivateKey()).address,
    client,
    epoch: 7 + i,
    cumulativeBytes: String(BigInt(i) * 123_456_789n + 1n),
    servedRoot: toHex(randomBytes(32)),
    nonce: String(i + 1),
  }
}

const typed = (r: ReturnType<typeof receipt>, chainId = 31337) =>
  ({
    domain: { ...typedData.receipt.domain, chainId, verifyingContract: REWARDS },
    types: typedData.receipt.types,
    primaryType: typedData.receipt.primaryType,
    message: { ...r, cumulativeBytes: BigInt(r.cumulativeBytes), nonce: BigInt(r.nonce) },
  }) as Parameters<typeof hashTypedData>[0]

describe('receipt digest and signature checks (hot path of POST /receipts)', () => {
  const client = privateKeyToAccount(generatePrivateKey())
  const domain = receiptDomainSeparator(31337, REWARDS)

  it('computes the same EIP-712 digest as viem for any receipt, and a different one on another chain', () => {
    for (let i = 0; i < 20; i++) {
      const r = receipt(client.address, i)
      assert.equal(toHex(receiptDigest(domain, r)), hashTypedData(typed(r)))
      assert.notEqual(toHex(receiptDigest(receiptDomainSeparator(1, REWARDS), r)), hashTypedData(typed(r)))
    }
    const max = { ...receipt(client.address, 0), epoch: 2 ** 32 - 1, cumulativeBytes: String(2n ** 64n - 1n), nonce: String(2n ** 64n - 1n) }
    assert.equal(toHex(receiptDigest(domain, max)), hashTypedData(typed(max)))
  })

  it('refuses values the contract could not encode instead of hashing something else', () => {
    const r = receipt(client.address, 0)
    assert.throws(() => receiptDigest(domain, { ...r, cumulativeBytes: String(2n ** 64n) }), /out of range/)
    assert.throws(() => receiptDigest(domain, { ...r, epoch: 2 ** 32 }), /out of range/)
    assert.throws(() => receiptDigest(domain, { ...r, nonce: '-1' }), /out of range/)
    assert.throws(() => receiptDigest(domain, { ...r, servedRoot: '0x1234' }), /malformed/)
  })

  it('accepts the signer and no one else', async () => {
    const sigs = new ReceiptSignatures()
    const other = privateKeyToAccount(generatePrivateKey())
    for (let i = 0; i < 4; i++) {
      const r = receipt(client.address, i)
      const digest = receiptDigest(domain, r)
      const signature = await client.signTypedData(typed(r))
      assert.equal(await sigs.verify(client.address, digest, signature), true, `receipt ${i}`)
      // Signed by another key, or for another receipt: refused.
      assert.equal(await sigs.verify(client.address, digest, await other.signTypedData(typed(r))), false)
      assert.equal(await sigs.verify(client.address, receiptDigest(domain, { ...r, cumulativeBytes: String(BigInt(r.cumulativeBytes) + 1n) }), signature), false)
      assert.equal(await sigs.verify(other.address, digest, signature), false)
    }
  })

  it('refuses a flipped recovery bit, a high-s twin, r or s out of range, and malformed bytes', async () => {
    const sigs = new ReceiptSignatures()
    const r = receipt(client.address, 1)
    const digest = receiptDigest(domain, r)
    const signature = await client.signTypedData(typed(r))
    const { r: rHex, s: sHex, yParity } = parseSignature(signature)
    const [r0, s0, v0] = [BigInt(rHex), BigInt(sHex), 27 + (yParity as number)]
    const raw = (r: bigint, s: bigint, v: number): Hex => `0x${r.toString(16).padStart(64, '0')}${s.toString(16).padStart(64, '0')}${v.toString(16).padStart(2, '0')}`
    assert.equal(await sigs.verify(client.address, digest, raw(r0, s0, v0)), true)
    assert.equal(await sigs.verify(client.address, digest, raw(r0, s0, v0 - 27)), true, 'v written as 0/1')
    assert.equal(await sigs.verify(client.address, digest, raw(r0, s0, v0 === 27 ? 28 : 27)), false, 'flipped v')
    assert.equal(await sigs.verify(client.address, digest, raw(r0, N - s0, v0 === 27 ? 28 : 27)), false, 'high-s twin')
    assert.equal(await sigs.verify(client.address, digest, raw(0n, s0, v0)), false, 'r = 0')
    assert.equal(await sigs.verify(client.address, digest, raw(N, s0, v0)), false, 'r = n')
    assert.equal(await sigs.verify(client.address, digest, raw(r0 + N, s0, v0)), false, 'r + n')
    assert.equal(await sigs.verify(client.address, digest, raw(r0, 0n, v0)), false, 's = 0')
    assert.equal(await sigs.verify(client.address, digest, raw(2n ** 256n - 1n, s0, v0)), false, 'r not a point')
    assert.equal(await sigs.verify(client.address, digest, `${signature.slice(0, 130)}1d` as Hex), false, 'v = 29')
    assert.equal(await sigs.verify(client.address, digest, signature.slice(0, 100) as Hex), false, 'short')
  })

  it('verifies other digests too (the EIP-191 content header)', async () => {
    const sigs = new ReceiptSignatures()
    const message = 'DCMX content 0xabc 00 0 1 0123456789abcdef'
    assert.equal(await sigs.verify(client.address, toBytes(hashMessage(message)), await client.signMessage({ message })), true)
  })

  it("signs a hash with libsecp256k1 to the very bytes viem's account signs, and recovers as viem does", async () => {
    for (let i = 0; i < 20; i++) {
      const key = generatePrivateKey()
      const hash = toHex(randomBytes(32))
      const viemSig = await privateKeyToAccount(key).sign({ hash })
      assert.equal(await signHash(hash, key), viemSig)
      assert.equal(await recoverAddress(toBytes(hash), viemSig), (await recoverViem({ hash, signature: viemSig })).toLowerCase())
    }
  })

  it('signs and recovers the same where libsecp256k1 cannot load (no WebAssembly, as under node --jitless): viem does it', async () => {
    const key = generatePrivateKey()
    const hash = toHex(randomBytes(32))
    const sig = await privateKeyToAccount(key).sign({ hash })
    const { r, s, yParity } = parseSignature(sig)
    const highS = `${r}${(N - BigInt(s)).toString(16).padStart(64, '0')}${(28 - (yParity ?? 0)).toString(16)}` as Hex
    const other = await privateKeyToAccount(generatePrivateKey()).sign({ hash: toHex(randomBytes(32)) })
    // A child process without WebAssembly once the module is loaded (under --jitless, Node's own type stripper cannot
    // run this TypeScript; the compiled build can).
    const script = `
      const { libsecp256k1, recoverAddress, signHash } = await import(${JSON.stringify(new URL('../../src/core/secp256k1.ts', import.meta.url).href)})
      delete globalThis.WebAssembly
      const [hash, key, sig, highS, other] = process.argv.slice(1)
      const hex = (s) => Uint8Array.from(Buffer.from(s.slice(2), 'hex'))
      console.log(JSON.stringify({
        lib: (await libsecp256k1()) !== undefined,
        signed: await signHash(hash, key),
        recovered: await recoverAddress(hex(hash), sig),
        highS: (await recoverAddress(hex(hash), highS)) ?? null,
        other: await recoverAddress(hex(hash), other),
      }))`
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, hash, key, sig, highS, other])
    const out = JSON.parse(stdout) as { lib: boolean; signed: Hex; recovered: string; highS: string | null; other: string }
    assert.equal(out.lib, false)
    assert.equal(out.signed, sig)
    assert.equal(out.recovered, privateKeyToAccount(key).address.toLowerCase())
    assert.equal(out.highS, null)
    // A valid signature over another hash recovers someone else, as ecrecover does (the caller compares addresses).
    assert.equal(out.other, (await recoverViem({ hash, signature: other })).toLowerCase())
  })

  it('gives the node its fast raw-hash signer through its identity, and keeps viem for everything else', async () => {
    await using dir = await tempDir()
    const account = await loadOrCreateIdentity(dir.path)
    const hash = toHex(randomBytes(32))
    const key = (await readFile(join(dir.path, KEY_FILE), 'utf8')).trim() as Hex
    assert.equal(await account.sign({ hash }), await privateKeyToAccount(key).sign({ hash }))
    assert.equal(account.address, privateKeyToAccount(key).address)
    const message = 'hello'
    assert.equal(await account.signMessage({ message }), await privateKeyToAccount(key).signMessage({ message }))
  })
})
