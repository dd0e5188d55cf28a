/**
 * The SQL of distribution statistics (percentile_cont, avg, min and max with the units holding
 * them, and the ratio of sums), apart from the service so that the aggregate builder can embed it
 * in its statement without importing the engine.
 */
import { UnitKind } from '../units/unit.entity';

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

export interface UnitJson { id: number; code: string; name: string; kind: UnitKind; validFrom: string | null; validTo: string | null }

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
