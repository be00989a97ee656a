import type { FastifyInstance } from 'fastify'
import type { Readable } from 'node:stream'

import { addTrackQuerySchema } from '../../api.ts'
import type { AddTrackResponse } from '../../api.ts'
import type { NodeConfig } from '../../core/config.ts'
import { PayloadTooLargeError, ValidationError } from '../../core/errors.ts'
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
  })
  app.post('/tracks', {
    onRequest: [
      async (req) => {
        const declared = Number(req.headers['content-length'] ?? 0)
        if (declared > init.maxUploadBytes) throw new PayloadTooLargeError(init.maxUploadBytes)
      },
      auth.authorize,
    ],
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
      let r: AddTrackResponse
      try {
        const uploader = auth.uploaderOf(req)
        r = await node.addTrack(body, meta, { signal: ac.signal, wallet: uploader?.kind === 'wallet' ? uploader.wallet : undefined })
      } catch (error) {
        auth.refund(req) // nothing stored: an aborted or refused upload costs the wallet nothing
        throw error
      }
      // A duplicate stored nothing new; a stored track is charged its size (at least the minimum).
      if (!r.created) auth.refund(req)
      else auth.refund(req, Math.max(0, Number(req.headers['content-length']) - Math.max(r.track.size, MIN_UPLOAD_CHARGE)))
      reply.status(r.created ? 201 : 200)
      return r
    },
  })
}
