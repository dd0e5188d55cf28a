import { UnitKind } from '../units/unit.entity';
import { ComparisonOperator, SortDirection } from './aggregate.inputs';
import { AggregateDimension, Grain, LevelView } from './dimensions';
import { AggregateMeasure } from './measures';

/**
 * An aggregate query after validation (toSpec): everything the SQL needs, nothing left to
 * default. The builder, the result shaping, the unit scope, the warnings and the KPIs read it.
 */
export interface AggregateSpec {
  measures: AggregateMeasure[];
  groupBy: AggregateDimension[];
  unitTier: UnitKind;
  grain: Grain;
  /** First and last month (first day, YYYY-MM-01) of the period; undefined: open. */
  from?: string;
  to?: string;
  /** Date stock measures are taken on when not grouped by PERIOD. */
  stockDate: string;
  levels?: LevelView;
  current: boolean;
  filter: {
    unitIds?: number[];
    unitCodes?: string[];
    unitsAt: string;
    provinceCodes?: string[];
    unitKinds?: UnitKind[];
    sectorCodes?: string[];
    procedureCodes?: string[];
    essential?: boolean;
    eligible?: boolean;
    levels?: string[];
  };
  having: { measure: AggregateMeasure; op: ComparisonOperator; value: number }[];
  orderBy: { measure?: AggregateMeasure; dimension?: AggregateDimension; direction: SortDirection }[];
  limit: number;
  preferRollups: boolean;
  /** Grouped by UNIT or PROVINCE alone: add a row with null measures for each unit in scope without data. */
  includeEmptyUnits?: boolean;
  /** Internal (KPIs): rank every row by this measure, best first, nulls unranked. */
  rankBy?: { measure: AggregateMeasure; higherIsBetter: boolean };
  /** Internal (KPIs): return only the rows of these units (UNIT dimension), ranks still over all rows. */
  focusUnitIds?: number[];
  /** Distribution statistics of a ratio across the units of `unitDimension`, per combination of the other dimensions (distribution.service.ts). */
  distribution?: { measure: AggregateMeasure; unitDimension: AggregateDimension };
}

/** Whether the spec filters on units of its tier, by id or by code (a null list, as a client may send, is no filter). */
export function filtersUnits(spec: AggregateSpec): boolean {
  return Boolean(spec.filter.unitIds || spec.filter.unitCodes);
}
