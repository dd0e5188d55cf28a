import { monthOf, today } from '../common/calendar';
import { Sql } from '../db/sql';
import { UnitKind } from '../units/unit.entity';
import { AggregateSpec } from './aggregate-spec';
import { AggregateWarning, AggregateWarningCode as W } from './aggregate-warnings.types';
import { AggregateRow, Coverage, UnitRef, UnitRow, unitRefOf } from './aggregate.types';
import { AggregateDimension as D } from './dimensions';
import { POOLED_DAYS_FROM } from './measures';
import { runReadQuery } from './read-query';
import { validDuringSql, validOnSql } from '../units/unit-validity';
import { scopeWindow, ScopeWindow as Window, unitScopeConditions } from './unit-scope';

/** How many codes of units without data a warning lists (the count says how many there are). */
export const UNITS_WITHOUT_DATA_SHOWN = 10;
/** Row limit of the internal re-run listing every unit with data (beyond any client's limit). */
const ALL_UNITS_LIMIT = 100_000;

/** What the warnings are computed from: the validated query and the answer it got. */
export interface WarningInput {
  spec: AggregateSpec;
  rows: AggregateRow[];
  truncated: boolean;
  coverage: Coverage;
}

const validity = (u: UnitRef) => (u.validFrom && u.validTo ? `from ${u.validFrom} to ${u.validTo}`
  : u.validFrom ? `from ${u.validFrom}` : u.validTo ? `until ${u.validTo}` : 'with no end');

/**
 * Warnings of an aggregate. They are computed only when a client selects `warnings` (the field
 * resolves lazily), so the usual table pays nothing; each check runs only when its inputs say it
 * can fire (a code filter, a UNIT or PROVINCE grouping, a period end).
 */
export class AggregateWarningsService {
  constructor(
    private readonly sql: Sql,
    private readonly timeoutMs: number,
    /** Re-runs a spec (for the units with data when the answer was cut by limit or having). */
    private readonly rerun: (spec: AggregateSpec) => Promise<{ rows: AggregateRow[]; truncated: boolean }>,
  ) {}

  async warnings(input: WarningInput): Promise<AggregateWarning[]> {
    const win = scopeWindow(input.spec, input.coverage.asOf ?? null);
    const [codes, empty] = await Promise.all([this.codesMeaningOtherUnits(input.spec, win), this.unitsWithoutData(input, win)]);
    return [...codes, ...empty, ...coverageWarning(input.spec, input.coverage), ...percentileWarnings(input.spec, input.rows)];
  }

  /** For each filter code: units that bore it during the window other than the one it resolved to on unitsAt. */
  private async codesMeaningOtherUnits(spec: AggregateSpec, win: Window): Promise<AggregateWarning[]> {
    const f = spec.filter;
    const asked = [
      ...(f.unitCodes ?? []).map((code) => ({ field: 'query.filter.unitCodes', kind: spec.unitTier, code })),
      ...(f.provinceCodes ?? []).map((code) => ({ field: 'query.filter.provinceCodes', kind: UnitKind.PROVINCE, code })),
    ];
    if (asked.length === 0) return [];
    const unitCols = (a: string, p: string) => `${a}.id AS ${p}id, ${a}.code AS ${p}code, ${a}.kind AS ${p}kind,
      to_char(${a}.valid_from, 'YYYY-MM-DD') AS ${p}valid_from, to_char(${a}.valid_to, 'YYYY-MM-DD') AS ${p}valid_to`;
    // The other unit is named as on its last day in the window (open on both sides: today, in
    // Vietnam's calendar like every "today", not the database server's current_date); the
    // resolved one as on unitsAt.
    const rows = await runReadQuery<Record<string, unknown>>(this.sql, `
      SELECT f.i, ${unitCols('o', '')}, unit_name_at(o.id, coalesce(least(o.valid_to, $5::date), $7::date)) AS name,
        ${unitCols('r', 'r_')}, unit_name_at(r.id, $6::date) AS r_name
      FROM unnest($1::int[], $2::unit_kind[], $3::text[]) AS f(i, kind, code)
      JOIN unit o ON o.kind = f.kind AND o.code = f.code
        AND ${validDuringSql('$4::date', '$5::date', 'o')}
        AND NOT (${validOnSql('$6::date', 'o')})
      LEFT JOIN unit r ON r.kind = f.kind AND r.code = f.code AND ${validOnSql('$6::date', 'r')}
      ORDER BY f.i, o.valid_from NULLS FIRST`,
    [asked.map((_, i) => i), asked.map((a) => a.kind), asked.map((a) => a.code), win.start, win.end, f.unitsAt, today()], this.timeoutMs);
    return asked.flatMap((a, i) => {
      const mine = rows.filter((r) => Number(r.i) === i);
      if (mine.length === 0) return [];
      const others = mine.map((r) => unitRefOf(r as unknown as UnitRow));
      const r0 = mine[0];
      const resolved = r0.r_id === null ? null : unitRefOf({
        id: Number(r0.r_id), code: String(r0.r_code), name: String(r0.r_name), kind: r0.r_kind as UnitKind,
        valid_from: r0.r_valid_from as string | null, valid_to: r0.r_valid_to as string | null,
      });
      return [codeMeantOtherUnit(a.field, a.code, f.unitsAt, others, resolved)];
    });
  }

  /** Units of the grouped tier in scope with no row: only when grouped by UNIT or PROVINCE. */
  private async unitsWithoutData(input: WarningInput, win: Window): Promise<AggregateWarning[]> {
    const { spec } = input;
    const dim = spec.groupBy.includes(D.UNIT) ? D.UNIT : spec.groupBy.includes(D.PROVINCE) ? D.PROVINCE : undefined;
    if (!dim) return [];
    const tier = dim === D.UNIT ? spec.unitTier : UnitKind.PROVINCE;
    const withData = await this.unitIdsWithData(input, dim);
    const params: unknown[] = [[...withData]];
    const add = (v: unknown, cast: string) => { params.push(v); return `$${params.length}::${cast}`; };
    const where = ['NOT (u.id = ANY($1::int[]))', ...unitScopeConditions(spec, tier, win, add)];
    const [row] = await runReadQuery<{ count: number; codes: string[] | null }>(this.sql, `
      SELECT count(*)::int AS count, (array_agg(u.code ORDER BY u.code, u.valid_from NULLS FIRST))[1:${UNITS_WITHOUT_DATA_SHOWN}] AS codes
      FROM unit u WHERE ${where.join(' AND ')}`, params, this.timeoutMs);
    return row.count > 0 ? [unitsWithoutDataWarning(tier, row.count, row.codes ?? [])] : [];
  }

  /** Ids of units with a row: the answer's when complete, else the same query unlimited and without having. */
  private async unitIdsWithData(input: WarningInput, dim: D): Promise<Set<number>> {
    // Rows added by includeEmptyUnits are not data: re-run without them too.
    const complete = !input.truncated && input.spec.having.length === 0 && !input.spec.focusUnitIds && !input.spec.includeEmptyUnits;
    const rows = complete ? input.rows : (await this.rerun({
      ...input.spec, measures: input.spec.measures.slice(0, 1), groupBy: [dim], having: [], orderBy: [],
      limit: ALL_UNITS_LIMIT, rankBy: undefined, focusUnitIds: undefined, includeEmptyUnits: false,
    })).rows;
    const ids = rows.map((r) => (dim === D.UNIT ? r.dimensions.unit : r.dimensions.province)?.id).filter((id): id is string => id !== undefined);
    return new Set(ids.map(Number));
  }
}

function codeMeantOtherUnit(field: string, code: string, at: string, others: UnitRef[], resolved: UnitRef | null): AggregateWarning {
  const then = others.map((u) => `${u.name} (${validity(u)})`).join(', ');
  const now = resolved ? `${resolved.name} (${validity(resolved)})` : 'no unit';
  return {
    code: W.CODE_MEANT_OTHER_UNIT,
    message: `Code ${code} is read on ${at}, when it names ${now}; during the period the code named ${then}, whose figures are not included. `
      + 'To count them, filter on their ids (filter.unitIds) or set filter.unitsAt to a date when they bore the code.',
    field,
    unitCodes: [code],
    units: others,
    resolvedUnit: resolved,
  };
}

function unitsWithoutDataWarning(tier: UnitKind, count: number, codes: string[]): AggregateWarning {
  const more = count > codes.length ? `, among them ${codes.join(', ')}` : `: ${codes.join(', ')}`;
  return {
    code: W.UNITS_WITHOUT_DATA,
    message: `${count} unit${count === 1 ? '' : 's'} of tier ${tier.toUpperCase()} in scope ${count === 1 ? 'has' : 'have'} no row in this answer${more}. `
      + 'No data was reported for them in the period (or none matching the filters): they are missing, not zero.',
    unitCodes: codes,
    count,
  };
}

/** Percentiles read in the processing-days rollup's pooled top bucket: one warning per measure, with its rows and bound. */
export function percentileWarnings(spec: AggregateSpec, rows: AggregateRow[]): AggregateWarning[] {
  return spec.measures.flatMap((measure) => {
    const bounds = rows.flatMap((r) => (r.upperBounds.has(measure) ? [r.upperBounds.get(measure)!] : []));
    if (bounds.length === 0) return [];
    const atMost = Math.max(...bounds);
    return [{
      code: W.PERCENTILE_IN_TOP_BUCKET,
      message: `${measure.toUpperCase()} fell in the rollup's top bucket (processing times of ${POOLED_DAYS_FROM} days or more, pooled) in `
        + `${bounds.length} row${bounds.length === 1 ? '' : 's'}: there the value is a lower bound, and the true percentile is at most ${atMost} days `
        + '(the largest processing time among those rows\' dossiers). Ask with preferRollups: false for the exact value.',
      measure,
      count: bounds.length,
      atMost,
    }];
  });
}

/** The flows' last month with data, when before the last month of the period asked. */
export function coverageWarning(spec: AggregateSpec, coverage: Coverage): AggregateWarning[] {
  const last = coverage.lastMonthWithData ? monthOf(coverage.lastMonthWithData) : undefined;
  const end = spec.to ? monthOf(spec.to) : undefined;
  if (!last || !end || last >= end) return [];
  return [{
    code: W.COVERAGE_ENDS_BEFORE_PERIOD,
    message: `The figures end in ${last}, before the period does (${end}): months after ${last} have no data reported yet, so totals and rates cover only part of the period.`,
    field: 'query.period',
    until: last,
  }];
}
