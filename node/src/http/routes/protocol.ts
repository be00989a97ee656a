import type { FastifyInstance } from 'fastify'

import { discoverRequestSchema } from '../../api.ts'
import type { PingResponse } from '../../api.ts'
import type { ServerComponents } from '../server.ts'
import { validate } from '../validate.ts'

/** The seed's peer protocol (section 3.1, Appendix B). */
export function registerProtocolRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  app.get('/ping', async (): Promise<PingResponse> => ({ status: 'ok', peer_id: node.peerId, uptime_seconds: node.uptimeSeconds }))

  app.get('/peers', async () => node.peers.list())

  /** Local tracks (the seed's "available tracks"); `?scope=all` adds what peers hold. */
  app.get('/tracks', async (req) => {
    const scope = (req.query as { scope?: string }).scope
    return scope === 'all' ? node.tracks.listAll() : node.tracks.listLocal()
  })

  app.post('/discover', async (req, reply) => {
    const body = validate(discoverRequestSchema, req.body, 'discover request')
    const answer = JSON.stringify(await node.gossip.handleDiscover(body))
    // Counted here, at the callee, so each exchange counts once (issue 10's bench sums every node).
    node.metrics.gossipBytes.inc({ direction: 'in' }, Number(req.headers['content-length'] ?? 0))
    node.metrics.gossipBytes.inc({ direction: 'out' }, Buffer.byteLength(answer))
    return reply.type('application/json; charset=utf-8').send(answer)
  })
}
