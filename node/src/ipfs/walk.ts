import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'

import type { BlockIndex, BlockLocation } from './block-index.ts'

export type DagScope = 'all' | 'entity' | 'block'

/** A block to send: its CID and where its bytes are. */
export interface BlockRef {
  cid: CID
  location: BlockLocation
}

export interface WalkOptions {
  scope: DagScope
  /** Include a block again each time it is reached (CAR `dups=y`). */
  dups: boolean
  /** Inclusive byte range of the file (`entity-bytes`), already resolved against its size. */
  range?: { from: number; to: number }
}

/** Thrown while walking when a block the DAG links to is not in the index. */
export class MissingBlockError extends Error {
  override name = 'MissingBlockError'
  readonly cid: CID
  constructor(cid: CID) {
    super(`block ${cid} is missing`)
    this.cid = cid
  }
}

/**
 * Depth-first, pre-order walk of a DAG held by this node (the CAR `order=dfs`): the root, then each
 * child's subtree in link order. dag-pb UnixFS file nodes map links to byte spans through their
 * `blocksizes`, so `range` prunes subtrees outside it; raw blocks have no links. For a UnixFS file
 * `entity` and `all` are the same set of blocks.
 */
export async function* walkDag(index: BlockIndex, root: CID, opts: WalkOptions): AsyncGenerator<BlockRef> {
  const seen = new Set<string>()
  async function* visit(cid: CID, offset: number): AsyncGenerator<BlockRef> {
    const location = index.locate(cid)
    if (!location) throw new MissingBlockError(cid)
    const key = cid.toString()
    if (!opts.dups && seen.has(key)) return
    seen.add(key)
    yield { cid, location }
    if (opts.scope === 'block' || cid.code === raw.code || cid.code !== dagPb.code || location.kind !== 'inline') return
    const node = dagPb.decode(location.bytes)
    let sizes: bigint[] = []
    if (opts.range && node.Data) {
      const fs = UnixFS.unmarshal(node.Data)
      if (fs.type === 'file' || fs.type === 'raw') sizes = fs.blockSizes
    }
    let childOffset = offset
    for (const [i, link] of node.Links.entries()) {
      const span = sizes[i] === undefined ? undefined : Number(sizes[i])
      const start = childOffset
      if (span !== undefined) childOffset += span
      if (opts.range && span !== undefined && (start + span - 1 < opts.range.from || start > opts.range.to)) continue
      yield* visit(link.Hash, start)
    }
  }
  yield* visit(root, 0)
}
