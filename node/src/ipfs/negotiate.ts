import { NotAcceptableError, ValidationError } from '../core/errors.ts'
import type { DagScope } from './walk.ts'

export const RAW = 'application/vnd.ipld.raw'
export const CAR = 'application/vnd.ipld.car'

export type GatewayRequest =
  | { format: 'raw' }
  | { format: 'car'; scope: DagScope; dups: boolean; entityBytes?: { from: number | '*'; to: number | '*' } }

interface MediaRange {
  type: string
  params: Map<string, string>
  q: number
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part, i) => {
      const [type, ...rest] = part.split(';').map((s) => s.trim())
      const params = new Map<string, string>()
      for (const p of rest) {
        const eq = p.indexOf('=')
        if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, ''))
      }
      const q = params.has('q') ? Number(params.get('q')) : 1
      return { type: (type ?? '').toLowerCase(), params, q: Number.isFinite(q) ? q : 0, i }
    })
    .filter((m) => m.type !== '' && m.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
}

/** A CAR media range this node can produce: version 1, order dfs or unk, any dups. */
function carAcceptable(params: Map<string, string>): boolean {
  const v = params.get('version')
  const order = params.get('order')
  const dups = params.get('dups')
  return (v === undefined || v === '1') && (order === undefined || order === 'dfs' || order === 'unk') && (dups === undefined || dups === 'y' || dups === 'n')
}

const one = (v: unknown): string | undefined => (Array.isArray(v) ? (v[0] as string) : (v as string | undefined))

function parseEntityBytes(s: string): { from: number | '*'; to: number | '*' } {
  const m = /^(-?\d{1,16}):(-?\d{1,16}|\*)$/.exec(s)
  if (!m) throw new ValidationError('Invalid entity-bytes: expected from:to (integers, negative from the end, or * for the end)')
  return { from: Number(m[1]), to: m[2] === '*' ? '*' : Number(m[2]) }
}

/**
 * Chooses the response per the trustless gateway spec: `?format=` wins over `Accept`; a missing
 * Accept (strict trustless mode, no deserialized responses) is 400; an Accept naming nothing we
 * serve is 406. CAR options come from the query (`dag-scope`, `entity-bytes`, `car-*`) or the
 * media type parameters, the query taking precedence.
 */
export function negotiate(query: Record<string, unknown>, accept: string | undefined): GatewayRequest {
  const format = one(query.format)
  let carParams = new Map<string, string>()
  let kind: 'raw' | 'car'
  if (format !== undefined) {
    if (format !== 'raw' && format !== 'car') throw new ValidationError(`Unsupported format ${JSON.stringify(format.slice(0, 40))}: this trustless gateway serves format=raw and format=car`)
    kind = format
    for (const m of accept ? parseAccept(accept) : []) if (m.type === CAR) carParams = m.params
  } else {
    if (!accept) throw new ValidationError(`Send Accept: ${RAW} or ${CAR} (or ?format=raw|car): this is a trustless gateway`)
    const chosen = parseAccept(accept).find((m) => m.type === RAW || (m.type === CAR && carAcceptable(m.params)))
    if (!chosen) throw new NotAcceptableError(`Not acceptable: this trustless gateway serves ${RAW} and ${CAR}; version=1`)
    kind = chosen.type === RAW ? 'raw' : 'car'
    carParams = chosen.params
  }
  if (kind === 'raw') return { format: 'raw' }
  const version = one(query['car-version']) ?? carParams.get('version')
  if (version !== undefined && version !== '1') throw new NotAcceptableError('Only CAR version 1 is served')
  const order = one(query['car-order']) ?? carParams.get('order')
  if (order !== undefined && order !== 'dfs' && order !== 'unk') throw new NotAcceptableError('CAR order must be dfs or unk')
  const dupsParam = one(query['car-dups']) ?? carParams.get('dups')
  if (dupsParam !== undefined && dupsParam !== 'y' && dupsParam !== 'n') throw new ValidationError('car-dups must be y or n')
  const scopeParam = one(query['dag-scope'])
  if (scopeParam !== undefined && scopeParam !== 'all' && scopeParam !== 'entity' && scopeParam !== 'block') {
    throw new ValidationError('dag-scope must be all, entity or block')
  }
  const eb = one(query['entity-bytes'])
  const entityBytes = eb === undefined ? undefined : parseEntityBytes(eb)
  // entity-bytes implies dag-scope=entity.
  const scope: DagScope = entityBytes ? 'entity' : (scopeParam ?? 'all')
  return { format: 'car', scope, dups: dupsParam === 'y', ...(entityBytes ? { entityBytes } : {}) }
}

/**
 * Resolves `entity-bytes` against the entity's size: an inclusive range, 'block' when it is
 * zero-length (the spec's answer: the root block only), or throws 400 when it lies entirely outside.
 */
export function resolveEntityBytes(eb: { from: number | '*'; to: number | '*' }, size: number): { from: number; to: number } | 'block' {
  const abs = (v: number | '*', end: number): number => (v === '*' ? end : v < 0 ? size + v : v)
  const from = Math.max(0, abs(eb.from, size - 1))
  const to = Math.min(size - 1, abs(eb.to, size - 1))
  if (size === 0 || (typeof eb.from === 'number' && eb.from >= size)) throw new ValidationError(`entity-bytes ${eb.from}:${eb.to} lies outside the ${size}-byte entity`)
  if (to < from) return 'block'
  return { from, to }
}
