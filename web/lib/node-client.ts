import type { z } from 'zod'

/** A node's answer that is not what its API promises (a node is untrusted input). */
export class NodeResponseError extends Error {
  constructor(
    readonly node: string,
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'NodeResponseError'
  }
}

/** GET or POST a node's JSON API and parse the answer with the API's zod schema. */
export async function nodeRequest<S extends z.ZodType>(
  node: string,
  path: string,
  schema: S,
  init: { method?: 'GET' | 'POST'; body?: unknown; token?: string; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<z.output<S>> {
  const headers: Record<string, string> = { ...init.headers }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  if (init.token) headers.authorization = `Bearer ${init.token}`
  let res: Response
  try {
    res = await fetch(`${node}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    })
  } catch (error) {
    throw new NodeResponseError(node, 0, `The node at ${node} did not answer (${(error as Error).message})`)
  }
  const text = await res.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    throw new NodeResponseError(node, res.status, `The node at ${node} answered ${res.status} with something that is not JSON`)
  }
  if (!res.ok) {
    const msg = (json as { message?: string } | null)?.message ?? res.statusText
    throw new NodeResponseError(node, res.status, `${msg} (HTTP ${res.status} from ${node})`)
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw new NodeResponseError(node, res.status, `The node at ${node} answered an unexpected shape: ${parsed.error.issues[0]?.message}`)
  return parsed.data
}

/** Words for a failed node request (pages that talk only to nodes need no contract error decoding). */
export function nodeErrorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
