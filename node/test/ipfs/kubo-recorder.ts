import { fastify } from 'fastify'
import type { FastifyInstance } from 'fastify'

const MiB = 1 << 20

export interface Recorded {
  method: string
  url: string
  contentType: string
  body: Buffer
}

/**
 * Records the HTTP requests kubo-rpc-client sends. This is not a Kubo: it stores nothing and
 * answers every request with an empty 200, so the test checks only what the node asks Kubo to do.
 */
export async function startRecorder(): Promise<{ app: FastifyInstance; url: string; requests: Recorded[] }> {
  const requests: Recorded[] = []
  const app = fastify({ bodyLimit: 64 * MiB })
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.all('/*', async (req, reply) => {
    requests.push({ method: req.method, url: req.url, contentType: String(req.headers['content-type']), body: req.body as Buffer })
    return reply.status(200).header('content-type', 'application/json').send('')
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const addr = app.server.address()
  return { app, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, requests }
}

