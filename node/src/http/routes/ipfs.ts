import type { OutgoingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'

import * as dagPb from '@ipld/dag-pb'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { UnixFS } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'

import { ContentNotFoundError, InvalidCidError, NotCachedError, PayloadTooLargeError, ValidationError } from '../../core/errors.ts'
import { ChunkReader, readBlock, sendCar } from '../../ipfs/car.ts'
import { CAR, negotiate, RAW, resolveEntityBytes } from '../../ipfs/negotiate.ts'
import type { BlockRef, WalkOptions } from '../../ipfs/walk.ts'
import { requireOperator } from '../auth.ts'
import { BufferPool } from '../send-file.ts'
import type { ServerComponents } from '../server.ts'

const CACHE_IMMUTABLE = 'public, max-age=29030400, immutable'

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((t) => {
    const v = t.trim()
    return v === '*' || v === etag || v === `W/${etag}`
  })
}

/** Size of the entity a block is the root of: a raw block's length or a UnixFS file's size. */
function entitySize(ref: BlockRef): number | undefined {
  if (ref.location.kind === 'chunk') return ref.location.length
  if (ref.cid.code === raw.code) return ref.location.bytes.byteLength
  if (ref.cid.code !== dagPb.code) return undefined
  const node = dagPb.decode(ref.location.bytes)
  if (!node.Data) return undefined
  const fs = UnixFS.unmarshal(node.Data)
  return fs.type === 'file' || fs.type === 'raw' ? Number(fs.fileSize()) : undefined
}

/**
 * The IPFS trustless gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/) for the
 * DAGs this node holds: `GET|HEAD /ipfs/{cid}` as a raw block or a CAR; and `POST /ipfs` to
 * content-address a small blob (operator).
 */
export function registerIpfsRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  const pool = new BufferPool({ size: (1 << 20) + 256, max: 8 })

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const params = req.params as { cid: string; '*'?: string }
    const cid = node.ipfs.parseCid(params.cid)
    if (!cid) throw new InvalidCidError(params.cid)
    const path = params['*'] ?? ''
    const want = negotiate(req.query as Record<string, unknown>, req.headers.accept)
    if (want.format === 'raw' && path !== '') throw new ValidationError('Raw block requests take no path: GET /ipfs/{cid}')

    const rootRef = await firstBlock(cid)
    if (!rootRef) {
      if (/\bonly-if-cached\b/.test(req.headers['cache-control'] ?? '')) throw new NotCachedError(`${cid} is not held by this node`)
      throw new ContentNotFoundError(cid.toString())
    }
    // Every DAG this node holds is a UnixFS file (or a raw block): no path resolves inside one.
    if (path !== '') throw new ContentNotFoundError(`${cid}/${path}`)

    reply
      .header('cache-control', CACHE_IMMUTABLE)
      .header('x-content-type-options', 'nosniff')
      .header('x-ipfs-path', `/ipfs/${params.cid}`)
      .header('x-ipfs-roots', cid.toString())
      .header('vary', 'Accept')

    if (want.format === 'raw') {
      const etag = `"${cid}.raw"`
      reply
        .header('content-type', RAW)
        .header('etag', etag)
        .header('content-disposition', `attachment; filename="${cid}.bin"`)
      if (etagMatches(req.headers['if-none-match'], etag)) return reply.status(304).send()
      const chunks = new ChunkReader(node.store)
      try {
        const bytes = await readBlock(rootRef, chunks)
        reply.header('content-length', bytes.byteLength)
        if (req.method === 'HEAD') return reply.send()
        node.metrics.uploadedBytes.inc(bytes.byteLength)
        return reply.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      } finally {
        await chunks.close()
      }
    }

    const walk: WalkOptions = { scope: want.scope, dups: want.dups }
    let rangeTag = ''
    if (want.entityBytes) {
      const size = entitySize(rootRef)
      if (size !== undefined) {
        const r = resolveEntityBytes(want.entityBytes, size)
        if (r === 'block') walk.scope = 'block'
        else walk.range = r
        rangeTag = `.${want.entityBytes.from}:${want.entityBytes.to}`
      }
    }
    const dups = want.dups ? 'y' : 'n'
    const etag = `"${cid}.car.${walk.scope}.dups-${dups}${rangeTag}"`
    reply
      .header('content-type', `${CAR}; version=1; order=dfs; dups=${dups}`)
      .header('etag', etag)
      .header('content-disposition', `attachment; filename="${cid}.car"`)
    if (etagMatches(req.headers['if-none-match'], etag)) return reply.status(304).send()
    if (req.method === 'HEAD') return reply.send()
    reply.hijack()
    reply.raw.writeHead(200, reply.getHeaders() as OutgoingHttpHeaders)
    const sent = await sendCar(reply.raw, cid, node.ipfs.walk(cid, walk), new ChunkReader(node.store), pool, (err) =>
      req.log.warn({ err: (err as Error).message, cid: cid.toString() }, 'CAR stream failed'),
    )
    node.metrics.uploadedBytes.inc(sent)
    return undefined
  }

  async function firstBlock(cid: CID): Promise<BlockRef | undefined> {
    const it = node.ipfs.walk(cid, { scope: 'block', dups: false })
    try {
      const first = await it.next()
      return first.done ? undefined : first.value
    } catch {
      return undefined
    } finally {
      await it.return(undefined)
    }
  }

  app.route({ method: ['GET', 'HEAD'], url: '/ipfs/:cid', handler })
  app.route({ method: ['GET', 'HEAD'], url: '/ipfs/:cid/*', handler })

  app.post('/ipfs', {
    onRequest: [
      requireOperator(node.apiToken),
      async (req) => {
        const declared = Number(req.headers['content-length'] ?? 0)
        if (declared > node.ipfs.maxBlobBytes) throw new PayloadTooLargeError(node.ipfs.maxBlobBytes)
      },
    ],
    handler: async (req, reply) => {
      const body = req.body as Readable | undefined
      if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function') {
        throw new ValidationError('Send the blob as the body with Content-Type application/octet-stream, image/* or audio/*')
      }
      const parts: Buffer[] = []
      let size = 0
      for await (const piece of body as AsyncIterable<Buffer>) {
        size += piece.byteLength
        if (size > node.ipfs.maxBlobBytes) throw new PayloadTooLargeError(node.ipfs.maxBlobBytes)
        parts.push(piece)
      }
      const r = await node.ipfs.addBlob(Buffer.concat(parts, size))
      reply.status(201)
      return { ...r, url: `ipfs://${r.cid}` }
    },
  })
}
