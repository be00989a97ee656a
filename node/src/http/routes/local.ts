import type { FastifyInstance } from 'fastify'

import {
  localAddFileSchema,
  localConnectSchema,
  localContentInfoSchema,
  localFindProvidersSchema,
  localHashSchema,
  localRegisterFileSchema,
  localRequestFileSchema,
} from '../../api.ts'
import type { VerifyFileResponse } from '../../api.ts'
import { ContentNotFoundError, PeerRequestError, ValidationError } from '../../core/errors.ts'
import { requireLoopback, requireOperator } from '../auth.ts'
import type { ServerComponents } from '../server.ts'
import { registrationOf, requestRegistration } from './registration.ts'
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
      // The operator's word: a track withheld (or reserved) for its registration is announced anyway.
      const { local: _local, ...track } = t
      await node.publish([track])
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

    /** Registers a local file on chain: relayed with the artist's signature, else as the operator. */
    local.post('/local/register_file_on_chain', async (req, reply) => {
      const { content_hash, wait, ...input } = validate(localRegisterFileSchema, req.body, 'local_register_file_on_chain request')
      const r = await requestRegistration(node, content_hash, input, { operator: true })
      const registration = wait ? await registrationOf(node).settled(content_hash, { timeoutMs: 120_000 }) : r.registration
      reply.status(r.created && !wait ? 202 : 200)
      return { content_hash, registration, created: r.created }
    })

    /** The on-chain record (TrackRegistry.getTrack) against the local file, field by field. */
    local.post('/local/verify_file_on_chain', async (req): Promise<VerifyFileResponse> => {
      const { content_hash } = validate(localHashSchema, req.body, 'local_verify_file_on_chain request')
      const service = registrationOf(node)
      const manifest = node.tracks.getManifest(content_hash)
      const size = await node.store.sizeOf(content_hash)
      if (!manifest || size === undefined) throw new ContentNotFoundError(content_hash)
      const chain = await service.onChain(content_hash)
      const ours = service.get(content_hash)?.artist ?? null
      const check = (local: string | null, onChain: string | null, eq = (a: string, b: string) => a === b) => ({
        local,
        chain: onChain,
        match: local !== null && onChain !== null && eq(local, onChain),
      })
      // The store is content-addressed (the name is the SHA-256 of the bytes, checked at ingest and fetch).
      const fields = {
        content_hash: check(content_hash, chain ? content_hash : null),
        manifest_root: check(`0x${manifest.root}`, chain?.manifestRoot.toLowerCase() ?? null),
        size: check(String(size), chain ? String(chain.size) : null),
        // The artist this node registered for; a track it did not register has no local artist to compare.
        artist: ours === null
          ? { local: null, chain: chain?.artist ?? null, match: chain !== undefined }
          : check(ours, chain?.artist ?? null, (a, b) => a.toLowerCase() === b.toLowerCase()),
      }
      return {
        content_hash,
        registered: chain !== undefined,
        match: chain !== undefined && Object.values(fields).every((f) => f.match),
        fields,
        on_chain: chain ? { artist: chain.artist, size: String(chain.size), duration: chain.duration, manifest_root: chain.manifestRoot } : null,
      }
    })

    /** Who provides a hash, as the DHT says (no exchange, no fetch): for operators and the 100-node bench. */
    local.post('/local/find_providers', async (req) => {
      const { content_hash, max } = validate(localFindProvidersSchema, req.body, 'local_find_providers request')
      if (!node.routing) throw new ValidationError('The node runs without a DHT (start it with --dht)')
      const t0 = performance.now()
      const providers = await node.routing.findHolders(content_hash, { max })
      const elapsed_ms = Math.round((performance.now() - t0) * 100) / 100
      return { content_hash, providers: providers.map((p) => ({ public_key: p.publicKey, host: p.http.host, port: p.http.port })), elapsed_ms }
    })

    local.post('/local/list_content', async () => ({ local: node.tracks.localHashes({ all: true }), known: [...node.knownHashes()] }))

    local.post('/local/connect', async (req) => {
      const addr = validate(localConnectSchema, req.body, 'local_connect request')
      node.gossip.addBootstrap(addr)
      if (!(await node.gossip.exchange(addr))) throw new PeerRequestError(`Could not reach a DCMX node at ${addr.host}:${addr.port}`)
      return { connected: node.peers.findByAddress(addr.host, addr.port)?.record.peer_id ?? null }
    })
  })
}
