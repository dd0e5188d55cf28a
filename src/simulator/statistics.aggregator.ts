import { MONTHS_SUPPORTED, monthFirstIso, monthIndex, monthLastIso } from './calendar.util';
import { CHANNEL_ONLINE, CHANNEL_POSTAL, DossierModel, newDossierCore } from './dossier.generator';
import type { SimService } from './simulator.types';
import type { SimulatedWorld } from './world.model';

// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs ~100x more, which made the suite crawl.
const { max, min } = Math;

/**
 * Aggregates shared by the national portal and the provincial export. Counts are always for the
 * cohort of dossiers *received* in the period, with outcomes as of the simulator clock, and come
 * from the same generator as the feed: the base figures, without injected corrections.
 */

export interface FilingCounts {
  received: number;
  online: number;
  direct: number;
  postal: number;
  onTime: number;
  overdue: number;
  inProgress: number;
  withFee: number;
  paidOnline: number;
  synced: number;
}

export function emptyCounts(): FilingCounts {
  return { received: 0, online: 0, direct: 0, postal: 0, onTime: 0, overdue: 0, inProgress: 0, withFee: 0, paidOnline: 0, synced: 0 };
}

const scratch = newDossierCore();

/** Adds the dossiers of one cell (service, month received) to `acc`. */
export function addCellCounts(world: SimulatedWorld, svc: SimService, month: number, acc: FilingCounts): void {
  const model = world.dossiers;
  const split = model.cellSplit(svc, month);
  const n0 = split[0];
  const n1 = split[1];
  const n = n0 + n1 + split[2];
  if (n === 0) return;
  const ctx = model.cellContext(svc, month);
  const end = world.endMonth;
  for (let i = 0; i < n; i++) {
    const core = model.generate(ctx, i, i < n0 ? 0 : i < n0 + n1 ? 1 : 2, end, scratch);
    acc.received++;
    if (core.channel === CHANNEL_ONLINE) acc.online++;
    else if (core.channel === CHANNEL_POSTAL) acc.postal++;
    else acc.direct++;
    if (!core.resolved) acc.inProgress++;
    else if (core.late) acc.overdue++;
    else acc.onTime++;
    if (core.fee > 0) acc.withFee++;
    acc.paidOnline += core.paidOnline;
    acc.synced += core.synced;
  }
}

export type TimeType = 'year' | 'quarter' | 'month';

export interface Period {
  readonly timeType: TimeType;
  readonly year: number;
  readonly quarter: number | null;
  readonly month: number | null;
  readonly fromMonth: number;
  readonly toMonth: number;
}

/** Builds a period or returns an error message. */
export function resolvePeriod(timeType: unknown, year: unknown, quarter: unknown, month: unknown): Period | string {
  if (timeType !== 'year' && timeType !== 'quarter' && timeType !== 'month') return 'timeType must be "year", "quarter" or "month"';
  const y = Number(year);
  if (!Number.isInteger(y) || y < 2018 || monthIndex(y, 12) >= MONTHS_SUPPORTED) return 'year must be an integer from 2018';
  if (timeType === 'year') return { timeType, year: y, quarter: null, month: null, fromMonth: monthIndex(y, 1), toMonth: monthIndex(y, 12) };
  if (timeType === 'quarter') {
    const q = Number(quarter);
    if (!Number.isInteger(q) || q < 1 || q > 4) return 'quarter must be 1..4';
    return { timeType, year: y, quarter: q, month: null, fromMonth: monthIndex(y, q * 3 - 2), toMonth: monthIndex(y, q * 3) };
  }
  const m = Number(month);
  if (!Number.isInteger(m) || m < 1 || m > 12) return 'month must be 1..12';
  return { timeType, year: y, quarter: null, month: m, fromMonth: monthIndex(y, m), toMonth: monthIndex(y, m) };
}

/** The months of the period during which the service existed, up to the clock; null if none. */
export function activeMonths(svc: SimService, period: Period, endMonth: number): [number, number] | null {
  const from = max(period.fromMonth, svc.firstMonth);
  const to = min(period.toMonth, svc.lastMonth, endMonth);
  return from <= to ? [from, to] : null;
}

export function serviceCounts(world: SimulatedWorld, svc: SimService, from: number, to: number): FilingCounts {
  const acc = emptyCounts();
  for (let m = from; m <= to; m++) addCellCounts(world, svc, m, acc);
  return acc;
}

/** Whether any dossier was received by the service in the months (cell counts only). */
export function hasDossiers(model: DossierModel, svc: SimService, from: number, to: number): boolean {
  for (let m = from; m <= to; m++) if (model.cellCount(svc, m) > 0) return true;
  return false;
}

/** The month whose end a stock (service levels) is read at: period end, or the clock if earlier. */
export function stockMonth(period: Period, endMonth: number): number | null {
  if (period.fromMonth > endMonth) return null;
  return min(period.toMonth, endMonth);
}

export function periodDates(from: number, to: number): { fromDate: string; toDate: string } {
  return { fromDate: monthFirstIso(from), toDate: monthLastIso(to) };
}
