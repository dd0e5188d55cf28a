import { sourcedColumnsSql, sourcedFromRow, SourcedNode } from '../procedures/procedure-row.mapper';

/**
 * Filing statistics read by plain SQL for the GraphQL layer (why: units/unit-row.mapper.ts).
 * No receivedInPerson: type-graphql answers that getter field by copying the node onto a new
 * FilingStat (convertToType), whose getter computes it; a property of that name would make the copy throw.
 */
export interface FilingStatNode extends SourcedNode {
  /** The month's first day, "YYYY-MM-DD" (the YearMonth scalar shows "YYYY-MM"). */
  month: string;
  unit: { id: number };
  procedure: { id: number };
  received: number;
  receivedOnline: number;
  receivedPostal: number;
  resolvedOnTime: number;
  resolvedLate: number;
  withFee: number;
  paidOnline: number;
  syncedNational: number;
}

export const FILING_STAT_COLUMNS = `to_char(f.month, 'YYYY-MM-DD') AS month, f.unit_id, f.procedure_id, f.received, f.received_online, f.received_postal,
  f.resolved_on_time, f.resolved_late, f.with_fee, f.paid_online, f.synced_national, ${sourcedColumnsSql('f')}`;

export function filingStatFromRow(row: Record<string, unknown>): FilingStatNode {
  return {
    month: row.month as string, unit: { id: row.unit_id as number }, procedure: { id: row.procedure_id as number },
    received: row.received as number, receivedOnline: row.received_online as number, receivedPostal: row.received_postal as number,
    resolvedOnTime: row.resolved_on_time as number, resolvedLate: row.resolved_late as number, withFee: row.with_fee as number,
    paidOnline: row.paid_online as number, syncedNational: row.synced_national as number, ...sourcedFromRow(row),
  };
}
