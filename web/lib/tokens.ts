/** Editions token ids are `editionId << 32 | serial`. */
export function tokenParts(tokenId: string | bigint): { editionId: number; serial: number } {
  const id = BigInt(tokenId)
  return { editionId: Number(id >> 32n), serial: Number(id & 0xffffffffn) }
}

export function tokenLabel(tokenId: string | bigint): string {
  const { editionId, serial } = tokenParts(tokenId)
  return `Edition ${editionId}, #${serial}`
}
