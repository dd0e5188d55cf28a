/**
 * What the aggregate statement returns, named once: the builder (aggregate-query.builder.ts) writes
 * these columns and keys, the result shaping (aggregate.service.ts) reads them. Neither spells a
 * column name of the other's: a rename here renames both sides, and a column one side no longer
 * writes fails to compile on the other instead of reading as null.
 *
 * The statement returns one JSON document (AggregateStatementResult) whose `rows` are objects keyed
 * by the column names below.
 */
import { AggregateDimension as D } from './dimensions';
import type { DistributionRow } from './distribution.sql';

/** Row columns that are not a dimension, a label or a measure. */
export const AGGREGATE_COLUMNS = {
  /** The row's position in the answer's order (the limit cuts on it). */
  rowNumber: 'rn',
  /** Whether the row relies on a partial merge's attribution (CURRENT_UNITS): includesPartialMerges. */
  partial: 'partial',
  /** The row's rank by spec.rankBy (KPIs), null when unranked. */
  rank: 'rank_value',
  /** How many rows were ranked (the same on every row; the document's `ranked` is its maximum). */
  rankedCount: 'ranked',
  /** Per stream row (a group and a source): the source behind its figures, and its first and last months with data. */
  sourceId: 'src',
  firstMonth: 'first_month',
  lastMonth: 'last_month',
  /** The one column of the statement: the JSON document. */
  result: 'result',
} as const;

/** The column holding each dimension's value (an id for UNIT, PROVINCE, SECTOR and PROCEDURE). */
export const DIMENSION_COLUMNS: Readonly<Record<D, string>> = {
  [D.UNIT]: 'd_unit', [D.PROVINCE]: 'd_province', [D.UNIT_KIND]: 'd_kind', [D.SECTOR]: 'd_sector', [D.PROCEDURE]: 'd_procedure',
  [D.ESSENTIAL]: 'd_essential', [D.ELIGIBLE]: 'd_eligible', [D.LEVEL]: 'd_level', [D.PERIOD]: 'd_period',
};

/** A computed measure's columns: its value, and for ratios its numerator and denominator. */
export interface MeasureColumns {
  value: string;
  numerator: string;
  denominator: string;
  /**
   * Percentiles: null when the value is exact; when it was read in the processing-days rollup's
   * pooled top bucket (the value is then a lower bound), the largest processing time of the row's
   * dossiers, which bounds it above.
   */
  upperBound: string;
}

/** The columns of the measure computed at position `i` of the statement (BuiltQuery.measureColumns). */
export function measureColumns(i: number): MeasureColumns {
  return { value: `m${i}_v`, numerator: `m${i}_n`, denominator: `m${i}_d`, upperBound: `m${i}_x` };
}

/** Label columns of a catalogue entry (sector, procedure): id, code, name. */
export interface CatalogueLabelColumns {
  id: string;
  code: string;
  name: string;
}

/** Label columns of a unit: a catalogue entry's, with its kind and validity (codes are reused after mergers). */
export interface UnitLabelColumns extends CatalogueLabelColumns {
  kind: string;
  validFrom: string;
  validTo: string;
}

/** The dimensions whose values are ids, returned with labels read from the table the id points into. */
export type LabelledDimension = D.UNIT | D.PROVINCE | D.SECTOR | D.PROCEDURE;

const catalogueLabel = (prefix: string): CatalogueLabelColumns => ({ id: `${prefix}_id`, code: `${prefix}_code`, name: `${prefix}_name` });
const unitLabel = (prefix: string): UnitLabelColumns => ({ ...catalogueLabel(prefix), kind: `${prefix}_kind`, validFrom: `${prefix}_from`, validTo: `${prefix}_to` });

/** Label columns of each labelled dimension (the key order is the column order). */
export const LABEL_COLUMNS: {
  readonly [D.UNIT]: UnitLabelColumns;
  readonly [D.PROVINCE]: UnitLabelColumns;
  readonly [D.SECTOR]: CatalogueLabelColumns;
  readonly [D.PROCEDURE]: CatalogueLabelColumns;
} = {
  [D.UNIT]: unitLabel('u'),
  [D.PROVINCE]: unitLabel('p'),
  [D.SECTOR]: catalogueLabel('s'),
  [D.PROCEDURE]: catalogueLabel('pr'),
};

export const isLabelled = (d: D): d is LabelledDimension => d in LABEL_COLUMNS;

/** Filter values that name nothing (or, in today's units, a closed unit), listed by the statement for the error. */
export interface MissingReferences {
  unitCodes?: string[];
  unitIds?: number[];
  closedUnits?: { id: number; code: string; validTo: string }[];
  provinceCodes?: string[];
  closedProvinces?: { id: number; code: string; validTo: string }[];
  sectorCodes?: string[];
  procedureCodes?: string[];
}

/** The statement's JSON document (its keys are written by the builder from this type). */
export interface AggregateStatementResult {
  /** The rows returned, keyed by the columns above. */
  rows: Record<string, unknown>[];
  total: number;
  ranked: number;
  /** Raw source rows (column names), mapped to entities by the ORM. */
  sources: Record<string, unknown>[];
  lastIngestAt: string | null;
  firstMonth: string | null;
  lastMonth: string | null;
  /** Whether facts changed since the last rollup refresh (the base tables answered). */
  stale: boolean | null;
  missing: MissingReferences;
  /** spec.distribution's groups (null when not asked). */
  distribution: DistributionRow[] | null;
}

/** Column of the i-th aggregate in a combined statement (combineQueries). */
export const combinedResultColumn = (i: number): string => `r${i}`;
