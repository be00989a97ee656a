import type { FastifyInstance } from 'fastify'
import type { Readable } from 'node:stream'

import { addTrackQuerySchema } from '../../api.ts'
import type { AddTrackResponse } from '../../api.ts'
import type { NodeConfig } from '../../core/config.ts'
import { ForbiddenError, PayloadTooLargeError, ValidationError } from '../../core/errors.ts'
import type { ServerComponents } from '../server.ts'
import { createUploadAuth, MIN_UPLOAD_CHARGE } from '../upload-auth.ts'
import { validate } from '../validate.ts'

/**
 * POST /tracks?title=&artist=[&album=&duration=] with the raw audio as the body
 * (Content-Type application/octet-stream or audio/*). The operator token, or a wallet's signed upload
 * authorization (src/http/upload-auth.ts) within its daily budget.
 */
export function registerTrackRoutes(app: FastifyInstance, { node }: ServerComponents, init: NodeConfig): void {
  const auth = createUploadAuth({
    apiToken: node.apiToken,
    peerId: node.peerId,
    walletBytesPerDay: init.walletUploadBytesPerDay,
    totalBytesPerDay: init.walletUploadTotalBytesPerDay,
    walletUploadsPerDay: init.walletUploadsPerDay,
    totalUploadsPerDay: init.walletUploadTotalPerDay,
    verifyContractSignature: node.chain ? (args) => (node.chain as NonNullable<typeof node.chain>).publicClient.verifyMessage(args) : undefined,
  })
  app.post('/tracks', {
    onRequest: [
      async (req) => {
        const declared = Number(req.headers['content-length'] ?? 0)
        if (declared > init.maxUploadBytes) throw new PayloadTooLargeError(init.maxUploadBytes)
      },
      auth.authorize,
      async (req) => {
        // A wallet's upload waits, withheld, for that wallet's registration: without a chain it could only be announced.
        if (auth.uploaderOf(req)?.kind === 'wallet' && !node.registerFirst) throw new ForbiddenError('This node runs off chain: wallet-signed uploads need on-chain registration')
      },
    ],
    onResponse: async (req) => auth.release(req),
    onRequestAbort: async (req) => auth.release(req),
    handler: async (req, reply): Promise<AddTrackResponse> => {
      const meta = validate(addTrackQuerySchema, req.query, 'track metadata')
      const body = req.body as Readable | undefined
      if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function') {
        throw new ValidationError('Send the audio bytes as the body with Content-Type application/octet-stream or audio/*')
      }
      const ac = new AbortController()
      req.raw.once('close', () => {
        if (!req.raw.complete) ac.abort()
      })
      const uploader = auth.uploaderOf(req)
      const r = await node.addTrack(body, meta, { signal: ac.signal, wallet: uploader?.kind === 'wallet' ? uploader.wallet : undefined })
      // A stored track is charged its size (at least the minimum); anything else is refunded when the request ends.
      if (r.created) auth.keep(req, Math.max(r.track.size, MIN_UPLOAD_CHARGE))
      reply.status(r.created ? 201 : 200)
      return r
    },
  })
}
