import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import { fastify, LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'

import type { NodeConfig } from '../core/config.ts'
import { DcmxError, RangeNotSatisfiableError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { RECEIPT_STREAM_TYPE } from '../api.ts'
import type { DcmxNode } from '../node.ts'
import { statusOf } from './error-status.ts'
import { registerAuditRoutes } from './routes/audit.ts'
import { registerCatalogRoutes } from './routes/catalog.ts'
import { registerContentRoutes } from './routes/content.ts'
import { registerIpfsRoutes } from './routes/ipfs.ts'
import { registerLocalRoutes } from './routes/local.ts'
import { registerMetricsRoutes } from './routes/metrics.ts'
import { registerProtocolRoutes } from './routes/protocol.ts'
import { registerReceiptRoutes } from './routes/receipts.ts'
import { registerRegistrationRoutes } from './routes/registration.ts'
import { registerTrackRoutes } from './routes/tracks.ts'

export interface ServerComponents {
  node: DcmxNode
  logger: Logger
}

/** Builds the node's HTTP server: peer protocol, content, uploads, local API, metrics. */
export function buildServer(components: ServerComponents, init: NodeConfig): FastifyInstance {
  const log = components.logger.child({ component: 'http' })
  const app = fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: init.bodyLimitBytes,
    requestTimeout: init.requestTimeoutMs,
    connectionTimeout: 0,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    forceCloseConnections: true,
  })

  // Raw audio bodies reach the handler as a stream; POST /tracks enforces its own size limit.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
  app.addContentTypeParser(/^audio\//, (_req, payload, done) => done(null, payload))
  // Cover art for POST /ipfs.
  app.addContentTypeParser(/^image\//, (_req, payload, done) => done(null, payload))
  // POST /receipts/stream reads its lines as they arrive.
  app.addContentTypeParser(RECEIPT_STREAM_TYPE, (_req, payload, done) => done(null, payload))

  app.setErrorHandler((err, req, reply) => {
    const status = statusOf(err)
    if (status >= 500) log.error({ err, url: req.url }, 'request failed')
    else log.debug({ err: (err as Error).message, url: req.url, status }, 'request rejected')
    if (err instanceof RangeNotSatisfiableError) reply.header('content-range', `bytes */${err.size}`)
    const e = err as Error & { code?: string }
    const body =
      err instanceof DcmxError
        ? { error: err.name, message: err.shortMessage, ...(err.details ? { details: err.details } : {}) }
        : status >= 500
          ? { error: 'InternalError', message: 'Internal server error' }
          : { error: e.code ?? e.name, message: e.message }
    reply.status(status).send(body)
  })
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: 'NotFound', message: `No route ${req.method} ${req.url.split('?')[0].slice(0, 200)}` })
  })

  app.addHook('onResponse', async (req, reply) => {
    components.node.metrics.httpRequests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) })
  })

  void app.register(cors, { origin: true, exposedHeaders: ['etag', 'content-range', 'accept-ranges', 'content-length', 'x-ipfs-path', 'x-ipfs-roots'] })
  if (init.rateLimitMax > 0) {
    void app.register(rateLimit, { max: init.rateLimitMax, timeWindow: init.rateLimitWindowMs })
  }
  void app.register(async (scope) => {
    registerProtocolRoutes(scope, components)
    registerContentRoutes(scope, components)
    registerTrackRoutes(scope, components, init)
    registerRegistrationRoutes(scope, components)
    registerMetricsRoutes(scope, components)
    registerAuditRoutes(scope, components)
    registerLocalRoutes(scope, components)
    registerReceiptRoutes(scope, components)
    if (init.ipfs) registerIpfsRoutes(scope, components)
    if (init.chain) registerCatalogRoutes(scope, components)
  })
  return app
}
