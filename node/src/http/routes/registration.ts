import { timingSafeEqual } from 'node:crypto'

import type { FastifyInstance, FastifyRequest } from 'fastify'

import { registrationRequestSchema } from '../../api.ts'
import type { RegistrationRequest, RegistrationResponse } from '../../api.ts'
import { ContentNotFoundError, ValidationError } from '../../core/errors.ts'
import { parseContentHash } from '../../core/hash.ts'
import type { DcmxNode } from '../../node.ts'
import type { ServerComponents } from '../server.ts'
import { validate } from '../validate.ts'

/** True when the request carries the operator token (checked in constant time). */
export function hasOperatorToken(req: FastifyRequest, token: string): boolean {
  const h = req.headers.authorization
  const given = Buffer.from(h?.startsWith('Bearer ') ? h.slice(7) : '')
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** The registration service, or a 400 when the node runs off chain. */
export function registrationOf(node: DcmxNode): NonNullable<DcmxNode['registration']> {
  if (!node.registration) throw new ValidationError('This node runs off chain: start it with --rpc-url to register tracks')
  return node.registration
}

/**
 * Starts registering a local track, for the HTTP and the local API alike: an upload reserved for its uploader's
 * registration refuses any other artist, and a withheld upload is announced once its registration lands.
 */
export async function requestRegistration(node: DcmxNode, hash: string, input: RegistrationRequest, opts: { operator: boolean }) {
  const service = registrationOf(node)
  node.registerFirst?.check(hash, input)
  const r = await service.request(hash, input, opts)
  node.registerFirst?.watch(hash)
  return r
}

/**
 * POST /tracks/:hash/registration: registers a track this node stores. Either the artist's EIP-712 `Register`
 * signature (relayed through commit-reveal; the signature is the authorization, verified before anything is queued)
 * or the operator token (the node registers as the artist). GET answers the state.
 */
export function registerRegistrationRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  app.post('/tracks/:hash/registration', async (req, reply): Promise<RegistrationResponse> => {
    const hash = parseContentHash((req.params as { hash: string }).hash)
    const body = validate(registrationRequestSchema, req.body ?? {}, 'registration request')
    const r = await requestRegistration(node, hash, body, { operator: hasOperatorToken(req, node.apiToken) })
    reply.status(r.created ? 202 : 200)
    return { content_hash: hash, ...r }
  })

  app.get('/tracks/:hash/registration', async (req) => {
    const hash = parseContentHash((req.params as { hash: string }).hash)
    const registration = registrationOf(node).get(hash)
    if (!registration) throw new ContentNotFoundError(hash)
    return { content_hash: hash, registration }
  })
}
