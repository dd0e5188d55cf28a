import { monthIndex, monthLastIso, monthLabel, monthYear } from './calendar.util';
import { hash2, hashString } from './prng';
import { addCellCounts, emptyCounts, type FilingCounts } from './statistics.aggregator';
import type { SimUnit } from './simulator.types';
import type { SimulatedWorld } from './world.model';

/**
 * The national portal's published figures (issue 13, item 3): a monthly report per month from
 * July 2022 (Decision 766/QĐ-TTg of 23 June 2022 made the portal evaluate units monthly), with a
 * document number, date, title and address, and per province and ministry the rates it states.
 *
 * Deterministic from the world: each rate is the agency's own counts for the month (the same
 * counts the dossier-processing group serves), printed in percent with two decimals (a fraction
 * with four). One agency-month in ten states a rate 1 to 4 points off its counts (above, or below a rate too near 100%) (the
 * over-reporting a reconciliation exists to find), chosen by a hash of the seed, code and month.
 */

export const PUBLISHED_FROM = monthIndex(2022, 7);

export type PublishedIndicatorName = 'online_dossier_rate' | 'on_time_rate' | 'online_payment_rate';

export interface PublishedItem {
  readonly agency: SimUnit;
  readonly indicator: PublishedIndicatorName;
  readonly value: number;
  /** The counts behind it, as served (numerator, denominator). */
  readonly numerator: number;
  readonly denominator: number;
  /** Whether the stated rate departs from the counts (the simulator's own record of it, for tests). */
  readonly misreported: boolean;
}

export interface PublishedReport {
  readonly month: number;
  readonly document: { number: string; date: string; title: string; url: string };
  readonly items: readonly PublishedItem[];
}

/** Top-level agencies (provinces and ministries) existing in month `m`. */
export function agenciesIn(world: SimulatedWorld, m: number): SimUnit[] {
  return world.units.filter((u) => (u.kind === 'province' || u.kind === 'ministry') && u.firstMonth <= m && m <= u.lastMonth);
}

const countsCache = new WeakMap<SimulatedWorld, Map<string, ReadonlyMap<string, FilingCounts>>>();

/** Each agency's dossier counts for month `m` (its own services and those below it), cached per clock. */
export function agencyCounts(world: SimulatedWorld, m: number): ReadonlyMap<string, FilingCounts> {
  let cache = countsCache.get(world);
  if (!cache) countsCache.set(world, (cache = new Map()));
  const key = `${m}|${world.endMonth}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out = new Map<string, FilingCounts>();
  for (const agency of agenciesIn(world, m)) {
    const acc = emptyCounts();
    for (const s of world.servicesOfProvince(agency.code)) {
      if (s.firstMonth <= m && m <= s.lastMonth) addCellCounts(world, s, m, acc);
    }
    out.set(agency.key, acc);
  }
  cache.set(key, out);
  if (cache.size > 64) cache.delete(cache.keys().next().value as string);
  return out;
}

const RATES: readonly [PublishedIndicatorName, (c: FilingCounts) => [number, number]][] = [
  ['online_dossier_rate', (c) => [c.online, c.received]],
  ['on_time_rate', (c) => [c.onTime, c.onTime + c.overdue]],
  ['online_payment_rate', (c) => [c.paidOnline, c.withFee]],
];

/** The monthly report of month `m`, or null before July 2022 or after the clock. */
export function monthlyReport(world: SimulatedWorld, m: number): PublishedReport | null {
  if (m < PUBLISHED_FROM || m > world.endMonth) return null;
  const { year, month } = monthYear(m);
  const number = `${month + 100 * (year - 2000)}/BC-DVCQG`;
  const counts = agencyCounts(world, m);
  const items: PublishedItem[] = [];
  for (const agency of agenciesIn(world, m)) {
    const c = counts.get(agency.key)!;
    RATES.forEach(([indicator, parts], i) => {
      const [numerator, denominator] = parts(c);
      if (denominator === 0) return;
      const h = hash2(hash2(world.seed ^ hashString(agency.key), m), i);
      const misreported = h % 10 === 0;
      const rate = numerator / denominator;
      const off = misreported ? (1 + ((h >>> 4) % 4)) / 100 : 0;
      // Over-stated, or under-stated where more than 100% cannot be printed.
      const stated = rate + off > 1 ? rate - off : rate + off;
      items.push({ agency, indicator, value: Math.round(stated * 10_000) / 10_000, numerator, denominator, misreported });
    });
  }
  return {
    month: m,
    document: {
      number,
      date: monthLastIso(m),
      title: `Báo cáo kết quả cung cấp dịch vụ công trực tuyến tháng ${month}/${year}`,
      // A reserved top-level domain: the simulator invents the address, it names no real page.
      url: `https://dichvucong.simulator.invalid/bao-cao/${monthLabel(m)}`,
    },
    items,
  };
}
