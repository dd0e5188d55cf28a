import { addMonths, monthEnd } from '../common/calendar';
import { Indicator } from '../plans/target.entity';
import { INDICATOR_MEASURE, MEASURES } from '../aggregates/measures';

/** How a published figure is dated: a month, a quarter or a year (flows), or a date (stocks). */
export type PublishedGrain = 'month' | 'quarter' | 'year' | 'date';

export interface PublishedPeriod {
  grain: PublishedGrain;
  /** First day, YYYY-MM-DD (the date itself for a stock). */
  start: string;
  /** Last day, YYYY-MM-DD. */
  end: string;
  /** As written in files: 2024-05, 2024-Q2, 2024, or the date. */
  label: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const QUARTER = /^(\d{4})-Q([1-4])$/;
const YEAR = /^(\d{4})$/;

/** A period as written in the interchange format (YYYY-MM, YYYY-Qn, YYYY), or undefined when it is none of those. */
export function parsePublishedPeriod(text: string): PublishedPeriod | undefined {
  let m = MONTH.exec(text);
  if (m) return { grain: 'month', start: `${text}-01`, end: monthEnd(text), label: text };
  m = QUARTER.exec(text);
  if (m) {
    const start = `${m[1]}-${String(Number(m[2]) * 3 - 2).padStart(2, '0')}-01`;
    return { grain: 'quarter', start, end: monthEnd(addMonths(start, 2)), label: text };
  }
  m = YEAR.exec(text);
  if (m) return { grain: 'year', start: `${text}-01-01`, end: `${text}-12-31`, label: text };
  return undefined;
}

/** The label of a stored period (grain and first day), as files write it. */
export function publishedLabel(grain: PublishedGrain, start: string): string {
  if (grain === 'date') return start;
  if (grain === 'year') return start.slice(0, 4);
  if (grain === 'quarter') return `${start.slice(0, 4)}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`;
  return start.slice(0, 7);
}

/**
 * The indicators a document can publish, and whether each is dated by a period or a date: the
 * kind of its aggregate measure (docs/domain.md, "Indicators"). Flows (and services with online
 * filings, counted over a period) are published for a period; stocks (level shares, DVCQG
 * integration) on a date. Plan issuance is a yes/no per unit, not a published rate.
 */
export function publishedDating(indicator: Indicator): 'period' | 'date' | undefined {
  const measure = INDICATOR_MEASURE[indicator];
  if (!measure) return undefined;
  return MEASURES[measure].kind === 'stock' ? 'date' : 'period';
}

export const PUBLISHABLE_INDICATORS: readonly Indicator[] = Object.values(Indicator).filter((i) => publishedDating(i) !== undefined);
