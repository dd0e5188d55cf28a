import { badUserInput } from '../common/errors';
import { Sql } from '../db/sql';
import { UnitKind } from '../units/unit.entity';
import { UnitRef } from './aggregate.types';
import { AggregateSpec } from './aggregate-spec';
import { Distribution, RatioValue } from './distribution.types';
import { AggregateDimension as D } from './dimensions';
import { AggregateMeasure, isRatio } from './measures';
import { runReadQuery } from './read-query';

/**
 * Distribution statistics of a ratio across units, computed in SQL (percentile_cont, avg, min and
 * max with the units holding them) beside the ratio of sums. Two callers: the aggregate statement
 * (AggregateResult.distribution: over its `ordered` rows, every row before the limit) and
 * targetCompliance's summary for plan issuance, whose 1/0 values come from plan compliance.
 */

/** Where the statistics read their rows, and how they group them. */
export interface DistributionSource {
  /** A relation (a CTE name or a subquery with its alias). */
  from: string;
  /** Columns (or expressions) of the unit, its value, numerator and denominator; rows with a null unit are left out. */
  unit: string;
  value: string;
  numerator: string;
  denominator: string;
  /** Columns grouped on (one group per combination); `expr` replaces a column's value in the group's key (a unit's name on a date). */
  partition: { column: string; expr?: string }[];
  /** Date the extremes' units are named on (a placeholder; NULL: today's names). */
  labelDate: string;
}

/** A group as the SQL returns it. */
export interface DistributionRow {
  key: Record<string, unknown>;
  withValue: number;
  withoutValue: number;
  mean: number | null;
  median: number | null;
  q1: number | null;
  q3: number | null;
  min: number | null;
  max: number | null;
  minUnits: UnitJson[] | null;
  maxUnits: UnitJson[] | null;
  numerator: number | null;
  denominator: number | null;
}

interface UnitJson { id: number; code: string; name: string; kind: UnitKind; validFrom: string | null; validTo: string | null }

/** The units of `ids` (an int[] expression) as JSON, by code, named on the label date. */
function unitsJson(ids: string, labelDate: string): string {
  return `(SELECT coalesce(json_agg(json_build_object('id', x.id, 'code', x.code, 'name', unit_name_at(x.id, ${labelDate}), 'kind', x.kind,
      'validFrom', x.valid_from, 'validTo', x.valid_to) ORDER BY x.code, x.valid_from NULLS FIRST), '[]'::json) FROM unit x WHERE x.id = ANY(${ids}))`;
}

/** SQL: a JSON array with one DistributionRow per group of `src` (with no partition: exactly one, even over no row). */
export function distributionSql(src: DistributionSource): string {
  const p = src.partition.map((c) => c.column);
  const window = p.length ? `PARTITION BY ${p.join(', ')}` : '';
  const key = p.length ? `json_build_object(${src.partition.map((c) => `'${c.column}', ${c.expr ?? `g.${c.column}`}`).join(', ')})` : `'{}'::json`;
  // Each unit's row once, with its group's extremes beside it (a window), so that the units holding them are picked in the same pass.
  const rows = `SELECT ${[...p, `${src.unit} AS du`, `${src.value} AS dv`, `${src.numerator} AS dn`, `${src.denominator} AS dd`,
    `min(${src.value}) OVER w AS dmin`, `max(${src.value}) OVER w AS dmax`].join(', ')}
      FROM ${src.from} WHERE ${src.unit} IS NOT NULL WINDOW w AS (${window})`;
  const stats = [
    'count(dv) AS with_value', 'count(*) - count(dv) AS without_value', 'avg(dv) AS mean',
    'percentile_cont(0.5) WITHIN GROUP (ORDER BY dv) AS median',
    'percentile_cont(0.25) WITHIN GROUP (ORDER BY dv) AS q1', 'percentile_cont(0.75) WITHIN GROUP (ORDER BY dv) AS q3',
    'min(dv) AS vmin', 'max(dv) AS vmax',
    'array_agg(du) FILTER (WHERE dv = dmin) AS min_ids', 'array_agg(du) FILTER (WHERE dv = dmax) AS max_ids',
    'coalesce(sum(dn), 0) AS num', 'coalesce(sum(dd), 0) AS den',
  ];
  return `(SELECT coalesce(json_agg(json_build_object('key', ${key}, 'withValue', g.with_value, 'withoutValue', g.without_value,
      'mean', g.mean, 'median', g.median, 'q1', g.q1, 'q3', g.q3, 'min', g.vmin, 'max', g.vmax,
      'minUnits', ${unitsJson('g.min_ids', src.labelDate)}, 'maxUnits', ${unitsJson('g.max_ids', src.labelDate)},
      'numerator', g.num, 'denominator', g.den) ORDER BY ${p.length ? p.map((c) => `g.${c}`).join(', ') : '1'}), '[]'::json)
    FROM (SELECT ${[...p, ...stats].join(', ')} FROM (${rows}) s ${p.length ? `GROUP BY ${p.join(', ')}` : ''}) g)`;
}

const unitRef = (u: UnitJson): UnitRef => ({ id: String(u.id), code: u.code, name: u.name, kind: u.kind, validFrom: u.validFrom, validTo: u.validTo });

/** The ratio of sums of a group. */
export function ratioOfSums(row: Pick<DistributionRow, 'numerator' | 'denominator'>): RatioValue {
  const numerator = Number(row.numerator ?? 0);
  const denominator = Number(row.denominator ?? 0);
  return { value: denominator === 0 ? null : numerator / denominator, numerator, denominator };
}

/** The unit rates of a group. */
export function unitRates(row: DistributionRow): Distribution {
  const extreme = (value: number | null, units: UnitJson[] | null) => (value === null ? null : { value, units: (units ?? []).map(unitRef) });
  return {
    unitsWithValue: Number(row.withValue), unitsWithoutValue: Number(row.withoutValue),
    meanOfUnitRates: row.mean, median: row.median, lowerQuartile: row.q1, upperQuartile: row.q3,
    min: extreme(row.min, row.minUnits), max: extreme(row.max, row.maxUnits),
  };
}

/** The dimension the units of a distribution are read on: UNIT when grouped by it, else PROVINCE; BAD_USER_INPUT otherwise. */
export function distributionSpec(spec: AggregateSpec, measure: AggregateMeasure): NonNullable<AggregateSpec['distribution']> {
  const unitDimension = spec.groupBy.includes(D.UNIT) ? D.UNIT : spec.groupBy.includes(D.PROVINCE) ? D.PROVINCE : undefined;
  const problems = [];
  if (!unitDimension) problems.push({ field: 'query.groupBy', reason: 'a distribution is across units: group by UNIT or PROVINCE' });
  if (!isRatio(measure) || !spec.measures.includes(measure)) {
    problems.push({ field: 'measure', reason: `${measure.toUpperCase()} must be a ratio measure among the query's measures (${spec.measures.map((m) => m.toUpperCase()).join(', ')})` });
  }
  if (problems.length > 0) throw badUserInput(`Invalid distribution: ${problems.map((x) => x.reason).join('; ')}`, problems);
  return { measure, unitDimension: unitDimension! };
}

/** A value of a unit, for distributions computed outside the aggregate statement (plan issuance). */
export interface UnitValue { unitId: number; value: number | null; numerator: number; denominator: number }

/** Distribution statistics of values given by the caller (plan issuance's 1/0), computed by the same SQL. */
export class DistributionService {
  constructor(private readonly sql: Sql, private readonly timeoutMs: number) {}

  async ofValues(values: UnitValue[], labelDate: string): Promise<DistributionRow> {
    const text = `SELECT ${distributionSql({
      from: 'unnest($1::int[], $2::float8[], $3::float8[], $4::float8[]) AS t(u, v, n, d)',
      unit: 't.u', value: 't.v', numerator: 't.n', denominator: 't.d', partition: [], labelDate: '$5::date',
    })} AS groups`;
    const params = [values.map((x) => x.unitId), values.map((x) => x.value), values.map((x) => x.numerator), values.map((x) => x.denominator), labelDate];
    const [row] = await runReadQuery<{ groups: DistributionRow[] }>(this.sql, text, params, this.timeoutMs);
    return row.groups[0];
  }
}
