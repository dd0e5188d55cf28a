import type { FilterQuery } from '@mikro-orm/postgresql';
import type { Unit } from './unit.entity';

/**
 * The one owner of "a unit is valid on a date". A unit row carries validFrom / validTo (both
 * inclusive, null = open-ended); codes are reused across the 2025 merger (80 was Long An until
 * 2025-06-30 and is the new Tây Ninh from 2025-07-01), so a code names a unit only at a date.
 * SQL, MikroORM filters and in-memory lookups all spell the rule here and nowhere else.
 */

/**
 * SQL: the unit row `alias` (none: unqualified columns) exists on the date `at` (a placeholder or
 * expression); open-ended validity on either side counts.
 */
export function validOnSql(at: string, alias?: string): string {
  const c = alias ? `${alias}.` : '';
  return `(${c}valid_from IS NULL OR ${c}valid_from <= ${at}) AND (${c}valid_to IS NULL OR ${c}valid_to >= ${at})`;
}

/**
 * SQL: the unit row `alias` is valid at some day of the window [start, end] (placeholders or
 * expressions; a null bound leaves that side open).
 */
export function validDuringSql(start: string, end: string, alias?: string): string {
  const c = alias ? `${alias}.` : '';
  return `(${c}valid_from IS NULL OR ${end} IS NULL OR ${c}valid_from <= ${end}) AND (${c}valid_to IS NULL OR ${start} IS NULL OR ${c}valid_to >= ${start})`;
}

/** MikroORM: units that exist on `date` ("YYYY-MM-DD"). */
export function validOnFilter(date: string): FilterQuery<Unit> {
  return { $and: [{ $or: [{ validFrom: null }, { validFrom: { $lte: date } }] }, { $or: [{ validTo: null }, { validTo: { $gte: date } }] }] };
}

/** A validity span with ISO dates ("YYYY-MM-DD", which compare as strings), null = open. */
export interface ValiditySpan {
  validFrom: string | null;
  validTo: string | null;
}

/** In memory: the span covers `date` ("YYYY-MM-DD"). */
export function isValidOn(span: ValiditySpan, date: string): boolean {
  return (span.validFrom === null || span.validFrom <= date) && (span.validTo === null || span.validTo >= date);
}

/** "YYYY-MM-DD" → yyyymmdd as a number (the index's key: comparisons stay integer on hot paths). */
export const dayNumber = (isoDate: string): number => Number(isoDate.slice(0, 4) + isoDate.slice(5, 7) + isoDate.slice(8, 10));

interface IndexedVersion { id: number; from: number; to: number }

/**
 * Unit codes resolved at a date in memory, for paths that resolve many codes at once (a dossier
 * feed resolves millions: one SQL join per dossier is not an option). Built from unit rows with
 * ISO dates; `atDay` takes yyyymmdd numbers so the hot path makes no strings.
 */
export class UnitCodeIndex {
  private readonly byCode = new Map<string, IndexedVersion[]>();

  constructor(rows: Iterable<{ id: number; code: string } & ValiditySpan>) {
    for (const r of rows) {
      const list = this.byCode.get(r.code) ?? [];
      list.push({ id: r.id, from: r.validFrom ? dayNumber(r.validFrom) : 0, to: r.validTo ? dayNumber(r.validTo) : 99_999_999 });
      this.byCode.set(r.code, list);
    }
  }

  /** The id of the unit holding `code` on the day yyyymmdd, or undefined. */
  atDay(code: string, day: number): number | undefined {
    const list = this.byCode.get(code);
    if (list === undefined) return undefined;
    for (const v of list) if (v.from <= day && day <= v.to) return v.id;
    return undefined;
  }

  /** The id of the unit holding `code` on `date` ("YYYY-MM-DD"), or undefined. */
  at(code: string, date: string): number | undefined {
    return this.atDay(code, dayNumber(date));
  }

  /** Whether any unit ever held `code` (to tell "unknown code" from "not valid on that date"). */
  knows(code: string): boolean {
    return this.byCode.has(code);
  }
}

/** SQL columns that feed a UnitCodeIndex from `unit` (alias `u`). */
export const UNIT_INDEX_COLUMNS = `u.id, u.code, to_char(u.valid_from, 'YYYY-MM-DD') AS "validFrom", to_char(u.valid_to, 'YYYY-MM-DD') AS "validTo"`;
