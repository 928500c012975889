import type { DataSource } from 'typeorm';
import { recordFromRow, type HashedRecord } from '../engine/store/history';
import { query } from '../engine/store/sql';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportFilter {
  /** Inclusive lower bound of recorded_at (ISO timestamp). */
  from?: string;
  /** Exclusive upper bound of recorded_at (ISO timestamp). */
  to?: string;
  /** The instance's workflow type. */
  type?: string;
  /** Only this tenant's records. */
  tenant?: string;
  batchSize?: number;
}

export type ExportRecord = Omit<HashedRecord, 'workflowId'> & { workflowId: string; type: string };

export const CSV_COLUMNS = ['workflowId', 'type', 'seq', 'recordedAt', 'kind', 'actor', 'origin', 'event', 'stateBefore', 'stateAfter', 'outcome', 'reason', 'idempotencyKey', 'data', 'prevHash', 'hash'] as const;
const JSON_COLUMNS = new Set<string>(['origin', 'event', 'stateBefore', 'stateAfter', 'data']);

/** History records with recorded_at in [from, to), in (recorded_at, workflow_id, seq) order, one keyset batch at a time. */
export async function* exportBatches(db: DataSource, filter: ExportFilter): AsyncGenerator<ExportRecord[]> {
  const batchSize = Math.max(1, Math.floor(filter.batchSize ?? 1000));
  // The cursor's timestamp is kept as PostgreSQL's own text, so microseconds survive the round trip.
  let after: [string, string, number] | null = null;
  for (;;) {
    const rows: any[] = await query(
      db,
      `SELECT h.*, i.type AS instance_type, h.recorded_at::text AS cursor_at
         FROM workflow_history h JOIN workflow_instance i ON i.id = h.workflow_id
        WHERE ($1::timestamptz IS NULL OR h.recorded_at >= $1::timestamptz)
          AND ($2::timestamptz IS NULL OR h.recorded_at < $2::timestamptz)
          AND ($3::text IS NULL OR i.type = $3)
          AND ($4::timestamptz IS NULL OR (h.recorded_at, h.workflow_id, h.seq) > ($4::timestamptz, $5::text, $6::int))
          AND ($8::text IS NULL OR i.tenant = $8)
        ORDER BY h.recorded_at, h.workflow_id, h.seq
        LIMIT $7`,
      [filter.from ?? null, filter.to ?? null, filter.type ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, batchSize, filter.tenant ?? null],
    );
    if (rows.length > 0) yield rows.map((row) => ({ ...recordFromRow(row), type: row.instance_type }));
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1];
    after = [last.cursor_at, last.workflow_id, last.seq];
  }
}

function ordered(record: ExportRecord): Record<string, unknown> {
  return Object.fromEntries(CSV_COLUMNS.map((c) => [c, record[c as keyof ExportRecord]]));
}

export function toJsonLine(record: ExportRecord): string {
  return `${JSON.stringify(ordered(record))}\n`;
}

/** RFC 4180: every field quoted, quotes doubled, CRLF line ends; null is an empty field. */
export function csvField(value: unknown, json = false): string {
  if (value === null || value === undefined) return '';
  const text = json ? JSON.stringify(value) : String(value);
  return `"${text.replace(/"/g, '""')}"`;
}

export const CSV_HEADER = `${CSV_COLUMNS.map((c) => csvField(c)).join(',')}\r\n`;

export function toCsvLine(record: ExportRecord): string {
  return `${CSV_COLUMNS.map((c) => csvField(record[c as keyof ExportRecord], JSON_COLUMNS.has(c))).join(',')}\r\n`;
}
