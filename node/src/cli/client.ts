import { request } from 'undici'
import type { Dispatcher } from 'undici'

import type { ErrorResponse } from '../api.ts'
import { CliError } from './errors.ts'
import { findToken } from './token.ts'

export { CliError }

export { findToken }

/** Thin HTTP client of a running node, turning failures into one-line CLI errors. */
export class NodeClient {
  readonly base: string
  readonly token: string | undefined

  constructor(init: { base: string; token?: string }) {
    this.base = init.base.replace(/\/+$/, '')
    this.token = init.token
  }

  async raw(method: Dispatcher.HttpMethod, path: string, opts: { body?: Dispatcher.DispatchOptions['body']; headers?: Record<string, string>; auth?: boolean } = {}): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.auth) {
      if (!this.token) throw new CliError('No operator token', { details: 'set DCMX_API_TOKEN or point --data-dir at the node’s data dir (it holds api-token)' })
      headers.authorization = `Bearer ${this.token}`
    }
    try {
      return await request(`${this.base}${path}`, { method, headers, body: opts.body })
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      throw new CliError(`Cannot reach a DCMX node at ${this.base}`, { details: `${code || (err as Error).message}; is \`dcmx start\` running? (use --node URL)`, cause: err })
    }
  }

  async json<T>(method: Dispatcher.HttpMethod, path: string, opts: { body?: unknown; auth?: boolean } = {}): Promise<T> {
    const res = await this.raw(method, path, {
      auth: opts.auth,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body), headers: { 'content-type': 'application/json' } } : {}),
    })
    if (res.statusCode < 200 || res.statusCode >= 300) throw await NodeClient.failure(res, path)
    return (await res.body.json()) as T
  }

  /** A CliError carrying the node's own error message. */
  static async failure(res: Dispatcher.ResponseData, path: string): Promise<CliError> {
    const text = await res.body.text().catch(() => '')
    let msg = text.slice(0, 300)
    try {
      const e = JSON.parse(text) as ErrorResponse
      msg = `${e.message}${e.details ? ` (${e.details})` : ''}`
    } catch {}
    return new CliError(`${res.statusCode} from ${path}: ${msg}`)
  }
}
