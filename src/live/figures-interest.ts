import { validate, ValidationError } from 'class-validator';
import { AggregateFilter, PeriodRange } from '../aggregates/aggregate.inputs';
import { INDICATOR_MEASURE, MEASURES } from '../aggregates/measures';
import { today } from '../common/calendar';
import { badUserInput, FieldProblem } from '../common/errors';
import { Sql } from '../db/sql';
import { Indicator } from '../plans/target.entity';
import { FactType } from '../provenance/fact-revision.entity';
import { UnitKind } from '../units/unit.entity';
import { validOnSql } from '../units/unit-validity';
import { FiguresInterest } from './live-change';
import { FiguresChangedArgs, SourceStatusChangedArgs } from './live.types';

/**
 * The fact kinds an aggregate measure reads: flows the filings, stocks the service levels, the
 * hybrid both. Dossier measures (days, open) read the dossier store: a sync that changes a
 * dossier's days alone (a corrected resolution day) changes them and no filing.
 */
const MEASURE_KINDS = {
  flow: [FactType.FILING_STAT], stock: [FactType.SERVICE_LEVEL], hybrid: [FactType.FILING_STAT, FactType.SERVICE_LEVEL],
  days: [FactType.DOSSIER], open: [FactType.DOSSIER],
} as const;

/** AggregateFilter's fields finer than an event (top-level unit, month, fact kind): refused rather than silently ignored. */
const FINER_FILTERS = ['unitKinds', 'sectorCodes', 'procedureCodes', 'essential', 'eligible', 'levels'] as const;

function kindsOf(args: FiguresChangedArgs): Set<FactType> {
  const kinds = new Set<FactType>(args.kinds ?? []);
  for (const m of args.measures ?? []) for (const k of MEASURE_KINDS[MEASURES[m].kind]) kinds.add(k);
  for (const i of args.indicators ?? []) {
    if (i === Indicator.PLAN_ISSUED) kinds.add(FactType.PLAN);
    const m = INDICATOR_MEASURE[i];
    if (m) for (const k of MEASURE_KINDS[MEASURES[m].kind]) kinds.add(k);
  }
  const none = !args.kinds?.length && !args.measures?.length && !args.indicators?.length;
  return none ? new Set(Object.values(FactType)) : kinds;
}

/** class-validator's errors as BAD_USER_INPUT problems, each naming its field's path ("filter.unitCodes"). */
function problemsOf(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = `${prefix}${e.property}`;
    const own = Object.values(e.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...problemsOf(e.children ?? [], `${field}.`)];
  });
}

/**
 * Arguments as graphql-js hands them to a subscribe function: coerced, but neither turned into
 * the input classes nor validated (type-graphql validates only when a resolver runs, i.e. at the
 * first event); done here so that a bad argument is refused when subscribing.
 */
async function checked<T extends object>(target: T, raw: object, nested: Record<string, new () => object> = {}): Promise<T> {
  const args = Object.assign(target, raw);
  for (const [name, Type] of Object.entries(nested)) {
    const value = (args as Record<string, unknown>)[name];
    if (value && typeof value === 'object') (args as Record<string, unknown>)[name] = Object.assign(new Type(), value);
  }
  const problems = problemsOf(await validate(args, { forbidUnknownValues: false }));
  if (problems.length) throw badUserInput(`${problems.length} bad argument(s): see extensions.problems`, problems);
  return args;
}

export function checkSourceArgs(raw: object): Promise<SourceStatusChangedArgs> {
  return checked(new SourceStatusChangedArgs(), raw);
}

/**
 * Turns figuresChanged's arguments into what events are matched against: fact kinds, the
 * top-level units of the scope (units and provinces are read by code on `unitsAt`, as the
 * aggregate reads them), the months. Every problem is named (BAD_USER_INPUT), all at once.
 */
export async function resolveFiguresInterest(sql: Sql, raw: object): Promise<FiguresInterest> {
  const args = await checked(new FiguresChangedArgs(), raw, { filter: AggregateFilter, period: PeriodRange });
  const problems: FieldProblem[] = [];
  const f: Partial<AggregateFilter> = args.filter ?? {};
  for (const name of FINER_FILTERS) {
    if (f[name] !== undefined && f[name] !== null) {
      problems.push({ field: `filter.${name}`, reason: 'events are per top-level unit (province or ministry), month and fact kind: filter the refetch instead' });
    }
  }
  const { from, to } = args.period ?? {};
  if (from && to && from > to) problems.push({ field: 'period', reason: `from (${from}) is after to (${to})` });

  const at = f.unitsAt ?? today();
  const lookup = async (field: string, kind: UnitKind, by: 'id' | 'code', values: string[]): Promise<number[]> => {
    const rows = await sql.query<{ key: string; l1s: number[] }>(
      `SELECT ${by === 'id' ? 'u.id::text' : 'u.code'} AS key, array[m.l1_id, m.cur_l1_id] AS l1s
       FROM unit u JOIN unit_map m ON m.unit_id = u.id
       WHERE u.kind = $1::unit_kind AND ${by === 'id' ? 'u.id = ANY($2::int[])' : `u.code = ANY($2::text[]) AND ${validOnSql('$3::date', 'u')}`}`,
      by === 'id' ? [kind, values.map(Number)] : [kind, values, at],
    );
    const found = new Set(rows.map((r) => r.key));
    for (const v of values) if (!found.has(v)) problems.push({ field, reason: by === 'id' ? `no ${kind} with id ${v}` : `no ${kind} with code ${v} on ${at}` });
    return rows.flatMap((r) => r.l1s);
  };
  // As the aggregate reads its filter: units by id or by code, and (both holding) within the provinces.
  const scopes: Set<number>[] = [];
  if (f.unitIds?.length || f.unitCodes?.length) {
    scopes.push(new Set([
      ...(f.unitIds?.length ? await lookup('filter.unitIds', args.unitTier, 'id', f.unitIds) : []),
      ...(f.unitCodes?.length ? await lookup('filter.unitCodes', args.unitTier, 'code', f.unitCodes) : []),
    ]));
  }
  if (f.provinceCodes?.length) scopes.push(new Set(await lookup('filter.provinceCodes', UnitKind.PROVINCE, 'code', f.provinceCodes)));
  if (problems.length) throw badUserInput(`${problems.length} bad argument(s): see extensions.problems`, problems);

  // The nation's own top-level unit is itself: a scope holding it is everything.
  const [root] = await sql.query<{ id: number }>(`SELECT unit_id AS id FROM unit_map WHERE kind = 'nation' LIMIT 1`);
  const narrowing = scopes.filter((s) => !(root && s.has(root.id)));
  const l1s = narrowing.length ? new Set([...narrowing[0]].filter((id) => narrowing.every((s) => s.has(id)))) : null;
  return { kinds: kindsOf(args), l1s, from, to };
}
