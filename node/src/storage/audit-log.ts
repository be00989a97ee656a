import { transaction } from './db.ts'
import type { Db } from './db.ts'

export type AuditAction = 'ADD_TRACK' | 'DOWNLOAD' | 'UPLOAD'
export type AuditResult = 'SUCCESS' | 'FAILED'

/** The seed's AuditRecord (section 18.2). */
export interface AuditRecord {
  timestamp: string
  node_id: string
  action: AuditAction
  content_hash: string
  result: AuditResult
  details: Record<string, unknown>
}

const FLUSH_MS = 250

const CSV_COLUMNS = ['timestamp', 'node_id', 'action', 'content_hash', 'result', 'details'] as const

function csvCell(v: string): string {
  // Quote every cell and neutralise spreadsheet formulas.
  const safe = /^[=+\-@]/.test(v) ? `'${v}` : v
  return `"${safe.replaceAll('"', '""')}"`
}

/**
 * Append-only audit trail of ADD_TRACK / DOWNLOAD / UPLOAD, exportable by date range. Records are
 * queued and written in one transaction every FLUSH_MS (and before every query and at stop), so
 * serving many small ranges pays neither a commit each nor the WAL checkpoints they would cause.
 */
export class AuditLog {
  #db: Db
  #nodeId: string
  #queue: Array<[string, string, string, string, string, string]> = []
  #scheduled = false

  constructor(components: { db: Db }, init: { nodeId: string }) {
    this.#db = components.db
    this.#nodeId = init.nodeId
  }

  record(action: AuditAction, contentHash: string, result: AuditResult, details: Record<string, unknown> = {}): void {
    this.#queue.push([new Date().toISOString(), this.#nodeId, action, contentHash, result, JSON.stringify(details)])
    if (!this.#scheduled) {
      this.#scheduled = true
      setTimeout(() => this.flush(), FLUSH_MS).unref()
    }
  }

  /** Writes queued records now (also called before queries and at stop). */
  flush(): void {
    this.#scheduled = false
    if (this.#queue.length === 0 || !this.#db.isOpen) return
    const rows = this.#queue.splice(0)
    const insert = this.#db.prepare('INSERT INTO audit (timestamp, node_id, action, content_hash, result, details) VALUES (?, ?, ?, ?, ?, ?)')
    transaction(this.#db, () => {
      for (const r of rows) insert.run(...r)
    })
  }

  /** Records with from <= timestamp < to (ISO strings; a bare date means its midnight UTC). */
  query(range: { from?: string; to?: string; limit?: number }): AuditRecord[] {
    this.flush()
    const rows = this.#db
      .prepare('SELECT * FROM audit WHERE timestamp >= ? AND timestamp < ? ORDER BY id LIMIT ?')
      .all(range.from ?? '', range.to ?? '\uffff', range.limit ?? 100_000) as unknown as Array<Omit<AuditRecord, 'details'> & { details: string }>
    return rows.map((r) => ({
      timestamp: r.timestamp,
      node_id: r.node_id,
      action: r.action,
      content_hash: r.content_hash,
      result: r.result,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }))
  }

  static toCsv(records: AuditRecord[]): string {
    const lines = [CSV_COLUMNS.join(',')]
    for (const r of records) {
      lines.push([r.timestamp, r.node_id, r.action, r.content_hash, r.result, JSON.stringify(r.details)].map(csvCell).join(','))
    }
    return `${lines.join('\n')}\n`
  }
}
