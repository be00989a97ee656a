import type { OutgoingHttpHeaders } from 'node:http'

import type { FastifyInstance } from 'fastify'

import { WINDOW_HEADER } from '../../api.ts'
import { ContentNotFoundError } from '../../core/errors.ts'
import { parseContentHash } from '../../core/hash.ts'
import { parseRange } from '../range.ts'
import { BufferPool } from '../send-file.ts'
import { admitContent, sendContent } from './receipts.ts'
import type { ServerComponents } from '../server.ts'

/** GET/HEAD /content/{hash} (Range, ETag, streamed from disk) and GET /manifest/{hash}. */
export function registerContentRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  const pool = new BufferPool({ size: 1 << 20, max: 16 })
  app.route({
    method: ['GET', 'HEAD'],
    url: '/content/:hash',
    handler: async (req, reply) => {
      const hash = parseContentHash((req.params as { hash: string }).hash)
      const file = await node.store.openRead(hash)
      if (!file) throw new ContentNotFoundError(hash)
      const etag = `"${hash}"`
      let range: { start: number; end: number } | undefined
      try {
        range = parseRange(req.headers.range, file.size)
      } catch (err) {
        await file.close()
        throw err
      }
      const gate = await admitContent(node, req, hash, range?.start ?? 0).catch(async (err: unknown) => {
        await file.close()
        throw err
      })
      if (gate?.mode === 'receipts' && gate.windowBytes) reply.header(WINDOW_HEADER, gate.windowBytes)
      reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', 'public, max-age=31536000, immutable')
      // The media type sniffed from the bytes when they were stored (wallets pick a player by it); never guessed.
      reply.header('content-type', node.tracks.mediaType(hash) ?? 'application/octet-stream').header('x-content-type-options', 'nosniff')
      if (req.headers['if-none-match'] === etag && !range) {
        await file.close()
        return reply.status(304).send()
      }
      const length = range ? range.end - range.start + 1 : file.size
      if (range) reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      reply.header('content-length', length)
      if (req.method === 'HEAD' || length === 0) {
        await file.close()
        return reply.send()
      }
      // Stream from the open file with pooled buffers, bypassing the reply pipeline.
      reply.hijack()
      reply.raw.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders)
      const start = range?.start ?? 0
      const sent = await sendContent(reply.raw, file.handle, start, start + length - 1, pool, gate)
      node.metrics.uploadedBytes.inc(sent)
      node.audit.record('UPLOAD', hash, sent === length ? 'SUCCESS' : 'FAILED', { bytes: sent, ...(range ? { range: `${range.start}-${range.end}` } : {}) })
    },
  })

  app.get('/manifest/:hash', async (req) => {
    const hash = parseContentHash((req.params as { hash: string }).hash)
    const m = node.tracks.getManifest(hash)
    if (!m || !(await node.store.has(hash))) throw new ContentNotFoundError(hash)
    return m
  })
}
