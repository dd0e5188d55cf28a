import { monthEnd } from '../common/calendar';
import { UnitKind } from '../units/unit.entity';
import { validDuringSql, validOnSql } from '../units/unit-validity';
import { AggregateSpec, filtersUnits } from './aggregate-spec';
import { tierColumn } from './dimensions';

/** Adds a parameter and returns its placeholder, cast (so that a null still has a type). */
export type AddParam = (value: unknown, cast: string) => string;

/** The period a scope is read over, as dates (null: open). */
export interface ScopeWindow { start: string | null; end: string | null }

/** The period asked; without one, the date stocks are taken on (null: all time). */
export function scopeWindow(spec: AggregateSpec, stockDate: string | null): ScopeWindow {
  if (spec.from || spec.to) return { start: spec.from ?? null, end: spec.to ? monthEnd(spec.to) : null };
  return stockDate ? { start: stockDate, end: stockDate } : { start: null, end: null };
}

/**
 * Conditions on `u` (a unit row) for "the units of `tier` the query speaks of": as reported, those
 * valid at some time in the window; in today's units, those open today; and within the unit and
 * province filters, read the way the aggregate reads them (codes on unitsAt, through unit_map).
 * Shared by the UNITS_WITHOUT_DATA warning and includeEmptyUnits, so both mean the same units.
 */
export function unitScopeConditions(spec: AggregateSpec, tier: UnitKind, win: ScopeWindow, add: AddParam): string[] {
  const f = spec.filter;
  const cur = spec.current;
  const where = [`u.kind = ${add(tier, 'unit_kind')}`];
  if (cur) {
    where.push('u.valid_to IS NULL');
  } else {
    const [start, end] = [add(win.start, 'date'), add(win.end, 'date')];
    where.push(validDuringSql(start, end, 'u'));
  }
  const within = (kind: UnitKind, ids: number[] | undefined, codes: string[] | undefined) => {
    const at = add(f.unitsAt, 'date');
    return `EXISTS (SELECT 1 FROM unit_map um JOIN unit fu ON fu.id = um.${tierColumn(kind, cur)}
      WHERE um.unit_id = u.id AND fu.kind = ${add(kind, 'unit_kind')} AND (fu.id = ANY(${add(ids ?? [], 'int[]')})
        OR (fu.code = ANY(${add(codes ?? [], 'text[]')}) AND ${validOnSql(at, 'fu')})))`;
  };
  if (filtersUnits(spec)) where.push(within(spec.unitTier, f.unitIds, f.unitCodes));
  if (f.provinceCodes) where.push(within(UnitKind.PROVINCE, undefined, f.provinceCodes));
  return where;
}
