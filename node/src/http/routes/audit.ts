import type { FastifyInstance } from 'fastify'

import { auditQuerySchema } from '../../api.ts'
import { AuditLog } from '../../storage/audit-log.ts'
import { requireOperator } from '../auth.ts'
import type { ServerComponents } from '../server.ts'
import { validate } from '../validate.ts'

/** GET /audit?from=&to=&format=json|csv (operator token): the seed's audit trail export (18.2). */
export function registerAuditRoutes(app: FastifyInstance, { node }: ServerComponents): void {
  app.get('/audit', { onRequest: requireOperator(node.apiToken) }, async (req, reply) => {
    const q = validate(auditQuerySchema, req.query, 'audit query')
    const records = node.audit.query({ from: q.from, to: q.to })
    if (q.format === 'csv') {
      reply.header('content-type', 'text/csv; charset=utf-8')
      return AuditLog.toCsv(records)
    }
    return records
  })
}
