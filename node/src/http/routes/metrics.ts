import type { FastifyInstance } from 'fastify'

import type { ServerComponents } from '../server.ts'

export function registerMetricsRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', node.metrics.registry.contentType)
    return node.metrics.registry.metrics()
  })
  app.get('/stats', async () => node.stats())
}
