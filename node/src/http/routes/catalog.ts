import type { FastifyInstance, FastifyReply } from 'fastify'

import {
  catalogAddressParamsSchema,
  catalogEditionParamsSchema,
  catalogEditionQuerySchema,
  catalogEditionsQuerySchema,
  catalogHashParamsSchema,
  catalogListingsQuerySchema,
  catalogSalesQuerySchema,
  catalogTracksQuerySchema,
} from '../../api.ts'
import type { Catalog } from '../../chain/catalog.ts'
import type { ServerComponents } from '../server.ts'
import { validate } from '../validate.ts'

/**
 * GET /catalog/...: the on-chain catalog as this node indexed it (src/chain/catalog.ts), typed by src/api/catalog.ts.
 * Registered only when the node runs with a chain. Public (no token), CORS as every route.
 */
export function registerCatalogRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  const cat = (): Catalog => node.catalog()
  const notFound = (reply: FastifyReply, what: string) => reply.status(404).send({ error: 'NotFound', message: `${what} is not in the catalog` })

  app.get('/catalog/tracks', async (req) => cat().tracks(validate(catalogTracksQuerySchema, req.query, 'catalog query')))

  app.get('/catalog/tracks/:hash', async (req, reply) => {
    const { hash } = validate(catalogHashParamsSchema, req.params, 'content hash')
    return cat().track(hash) ?? notFound(reply, `Track ${hash}`)
  })

  app.get('/catalog/editions', async (req) => cat().editions(validate(catalogEditionsQuerySchema, req.query, 'catalog query')))

  app.get('/catalog/editions/:id', async (req, reply) => {
    const { id } = validate(catalogEditionParamsSchema, req.params, 'edition id')
    const page = validate(catalogEditionQuerySchema, req.query, 'catalog query')
    return cat().edition(id, page) ?? notFound(reply, `Edition ${id}`)
  })

  app.get('/catalog/owners/:address', async (req) => {
    const { address } = validate(catalogAddressParamsSchema, req.params, 'address')
    return cat().owner(address)
  })

  app.get('/catalog/listings', async (req) => cat().listings(validate(catalogListingsQuerySchema, req.query, 'catalog query')))

  app.get('/catalog/artists/:address/sales', async (req) => {
    const { address } = validate(catalogAddressParamsSchema, req.params, 'address')
    const { limit } = validate(catalogSalesQuerySchema, req.query, 'catalog query')
    return cat().artistSales(address, limit)
  })

  app.get('/catalog/rewards/:address', async (req) => {
    const { address } = validate(catalogAddressParamsSchema, req.params, 'node address')
    return cat().rewards(address)
  })
}

/** This node when it stores the track, then the peers that announced it (best first). */
