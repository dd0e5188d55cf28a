import { badUserInput } from '../common/errors';
import { Sql } from '../db/sql';
import { UnitRef } from './aggregate.types';
import { AggregateSpec } from './aggregate-spec';
import { Distribution, DistributionGroup, RatioValue } from './distribution.types';
import { dimensionsOf } from './aggregate.service';
import { AggregateDimension as D } from './dimensions';
import { AggregateMeasure, isRatio } from './measures';
import { distributionSql, DistributionRow, UnitJson } from './distribution.sql';
import { runReadQuery } from './read-query';

/**
 * Distribution statistics of a ratio across units, computed in SQL (percentile_cont, avg, min and
 * max with the units holding them) beside the ratio of sums. Two callers: the aggregate statement
 * (AggregateResult.distribution: over its `ordered` rows, every row before the limit) and
 * targetCompliance's summary for plan issuance, whose 1/0 values come from plan compliance.
 */

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

/**
 * AggregateResult.distribution: the aggregate's statement again, with the statistics added and no
 * row returned (limit 0 cuts the rows, not the statistics, which read every row before the limit).
 */
export async function aggregateDistribution(
  spec: AggregateSpec, measure: AggregateMeasure, run: (spec: AggregateSpec) => Promise<{ distributionRows: DistributionRow[] | null }>,
): Promise<DistributionGroup[]> {
  const distribution = distributionSpec(spec, measure);
  const outcome = await run({ ...spec, distribution, limit: 0, rankBy: undefined, focusUnitIds: undefined });
  const others = spec.groupBy.filter((d) => d !== distribution.unitDimension);
  return (outcome.distributionRows ?? []).map((row) => ({
    dimensions: dimensionsOf(row.key, others, spec.grain), ratioOfSums: ratioOfSums(row), unitRates: unitRates(row),
  }));
}
