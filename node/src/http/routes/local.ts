import type { FastifyInstance } from 'fastify'

import {
  localAddFileSchema,
  localConnectSchema,
  localContentInfoSchema,
  localHashSchema,
  localRequestFileSchema,
} from '../../api.ts'
import { ContentNotFoundError, PeerRequestError } from '../../core/errors.ts'
import { requireLoopback, requireOperator } from '../auth.ts'
import type { ServerComponents } from '../server.ts'
import { validate } from '../validate.ts'

/**
 * The EchoChain local API as HTTP JSON: POST /local/<command>, loopback clients with the
 * operator token only.
 */
export function registerLocalRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  void app.register(async (local) => {
    local.addHook('onRequest', requireLoopback)
    local.addHook('onRequest', requireOperator(node.apiToken))

    local.post('/local/add_file', async (req, reply) => {
      const b = validate(localAddFileSchema, req.body, 'local_add_file request')
      const r = await node.addFile(b.path, b)
      reply.status(r.created ? 201 : 200)
      return r
    })

    local.post('/local/announce_content', async (req) => {
      const { content_hash } = validate(localHashSchema, req.body, 'local_announce_content request')
      const t = node.tracks.get(content_hash)
      if (!t?.local) throw new ContentNotFoundError(content_hash)
      const { local: _local, ...track } = t
      await node.gossip.announce([track])
      return { announced: content_hash, peers: node.peers.connectedCount() }
    })

    local.post('/local/request_content_info', async (req) => {
      const { content_hash } = validate(localContentInfoSchema, req.body ?? {}, 'local_request_content_info request')
      if (!content_hash) return { content: [...node.knownHashes()] }
      const track = node.tracks.get(content_hash) ?? null
      const peers = node.peers.candidatesFor(content_hash).map((e) => ({ peer_id: e.record.peer_id, host: e.record.host, port: e.record.port, state: e.state }))
      return { content_hash, local: track?.local ?? false, track, peers }
    })

    local.post('/local/request_file', async (req) => {
      const b = validate(localRequestFileSchema, req.body, 'local_request_file request')
      const r = await node.getContent(b.content_hash, { copyTo: b.path })
      return { track: r.track, manifest_root: r.manifest.root, from: r.from ?? null, path: b.path ?? node.store.pathOf(b.content_hash) }
    })

    local.post('/local/list_content', async () => ({ local: node.tracks.localHashes(), known: [...node.knownHashes()] }))

    local.post('/local/connect', async (req) => {
      const addr = validate(localConnectSchema, req.body, 'local_connect request')
      node.gossip.addBootstrap(addr)
      if (!(await node.gossip.exchange(addr))) throw new PeerRequestError(`Could not reach a DCMX node at ${addr.host}:${addr.port}`)
      return { connected: node.peers.findByAddress(addr.host, addr.port)?.record.peer_id ?? null }
    })
  })
}
