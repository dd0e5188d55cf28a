import fs from 'node:fs';
import path from 'node:path';
import { monthIndex } from './calendar.util';
import { hash3, hash4, hashString } from './prng';
import { agencyCounts } from './published-report';
import { findProjectRoot } from './reference-data.loader';
import { serviceCounts, type FilingCounts, type Period } from './statistics.aggregator';
import { isFullLevel, isOnlineLevel, type SimService, type SimUnit } from './simulator.types';
import { isIntegratedAt, serviceLevelAt } from './world.generator';
import type { SimulatedWorld } from './world.model';

// Math functions bound once at module level (see statistics.aggregator.ts: jest's vm context).
const { max, min, round } = Math;

/**
 * The national portal's own Decision 766 scores (docs/simulator.md, "POST .../reporting/index766"):
 * per province and ministry and per month, quarter or year, the five groups' points, the total and
 * the rank among the agency's tier. The portal publishes every group, including the criteria the
 * gateway cannot compute (it sees feedback, satisfaction ratings and digitisation the gateway does
 * not federate).
 *
 * Deterministic from the world, by the decision's criteria as data/reference/index-766.json weighs
 * them (rule "linear": rate × maximum, each criterion rounded to 2 decimals, the group the sum of
 * its criteria, the total the sum of the groups):
 * - criteria the portal's figures give are scored from the world's own figures over the agency's
 *   months of the period: the dossier counts the dossier-processing group serves (flows, summed)
 *   and the service levels of service-provision at the period's last month (stocks);
 * - the others (and a figure criterion with nothing to measure, a zero denominator) from seeded
 *   rates: a base per agency and criterion, a gentle improvement over time and a monthly wobble;
 *   a quarter's or a year's rate is the mean of its months';
 * - **one agency-period in eight is misstated** (the difference a comparison exists to show): one
 *   group whose criteria all come from figures is stated 0.5 to 2.5 points off (up, or down where up
 *   would pass the group's maximum), chosen by a hash of the seed, the agency and the period, and
 *   recorded in `misstated` for tests.
 * Ranks are standard competition ranks of the totals within the tier (ties share a rank: 1, 1, 3).
 */

/** The first month the portal evaluates (the system went into operation after the decision of 23 June 2022). */
export const INDEX766_FROM = monthIndex(2022, 7);

export type IndexTier = 'province' | 'ministry';

interface CriterionWeight { readonly code: string; readonly maxPoints: number }
interface GroupWeight { readonly code: string; readonly name: string; readonly maxPoints: number; readonly criteria: readonly CriterionWeight[] }

let cachedWeights: readonly GroupWeight[] | undefined;

/** The decision's groups and criteria with their maxima, as the gateway reads them (data/reference/index-766.json). */
export function index766Groups(): readonly GroupWeight[] {
  if (cachedWeights) return cachedWeights;
  const file = JSON.parse(fs.readFileSync(path.join(findProjectRoot(), 'data', 'reference', 'index-766.json'), 'utf8')) as { groups: GroupWeight[] };
  cachedWeights = file.groups.map((g) => ({ code: g.code, name: g.name, maxPoints: g.maxPoints, criteria: g.criteria.map((c) => ({ code: c.code, maxPoints: c.maxPoints })) }));
  return cachedWeights;
}

/** What a criterion's rate is measured from: the period's dossier counts, or the services at its last month. */
interface Figures {
  readonly counts: FilingCounts;
  readonly services: number;
  readonly online: number;
  readonly full: number;
  readonly integrated: number;
  readonly onlineWithFilings: number;
}

/** The criteria the portal scores from the figures it also serves, as [numerator, denominator]. */
const FROM_FIGURES: Readonly<Record<string, (f: Figures) => [number, number]>> = {
  dossiers_synced_national: (f) => [f.counts.synced, f.counts.received],
  services_integrated_national: (f) => [f.integrated, f.online],
  resolved_on_time: (f) => [f.counts.onTime, f.counts.onTime + f.counts.overdue],
  full_online_services: (f) => [f.full, f.services],
  online_services_with_filings: (f) => [f.onlineWithFilings, f.online],
  online_dossiers: (f) => [f.counts.online, f.counts.received],
  online_payments: (f) => [f.counts.paidOnline, f.counts.withFee],
};

export interface IndexGroupScore {
  readonly code: string;
  readonly name: string;
  readonly maxPoints: number;
  readonly points: number;
}

export interface IndexScore {
  readonly agency: SimUnit;
  /** The agency's months of the period (it may have opened during it). */
  readonly fromMonth: number;
  readonly toMonth: number;
  readonly groups: readonly IndexGroupScore[];
  readonly total: number;
  readonly rank: number;
  /** The simulator's own record of a deliberate misstatement (for tests): the group and the points added (negative: taken). */
  readonly misstated: { readonly group: string; readonly by: number } | null;
}

const round2 = (x: number) => round(x * 100) / 100;

/** Standard competition ranks of `totals` (highest first; equal totals share a rank, the next rank skips: 1, 1, 3). */
export function competitionRanks(totals: readonly number[]): number[] {
  return totals.map((t) => 1 + totals.filter((o) => o > t).length);
}

/** A seeded criterion rate for one month: a base per agency and criterion (0.55..0.95), improving over time, wobbling monthly. */
function seededRate(seed: number, agency: SimUnit, criterion: string, m: number): number {
  const key = hashString(`${agency.key}|${criterion}`);
  const base = 0.55 + 0.4 * ((hash3(seed, key, 0) >>> 8) / 0x1000000);
  const trend = min(0.12, 0.004 * max(0, m - INDEX766_FROM));
  const wobble = 0.06 * ((hash3(seed, key, m + 1) >>> 8) / 0x1000000 - 0.5);
  return max(0, min(1, base + trend + wobble));
}

function figuresOf(world: SimulatedWorld, agency: SimUnit, from: number, to: number): Figures {
  const counts: FilingCounts = { received: 0, online: 0, direct: 0, postal: 0, onTime: 0, overdue: 0, inProgress: 0, withFee: 0, paidOnline: 0, synced: 0 };
  for (let m = from; m <= to; m++) {
    const c = agencyCounts(world, m).get(agency.key);
    if (!c) continue;
    for (const k of Object.keys(counts) as (keyof FilingCounts)[]) counts[k] += c[k];
  }
  let services = 0, online = 0, full = 0, integrated = 0, onlineWithFilings = 0;
  for (const s of world.servicesOfProvince(agency.code) as readonly SimService[]) {
    const level = serviceLevelAt(s, to);
    if (level === 0) continue;
    services++;
    if (isFullLevel(level)) full++;
    if (!isOnlineLevel(level)) continue;
    online++;
    if (isIntegratedAt(s, to)) integrated++;
    if (serviceCounts(world, s, max(from, s.firstMonth), to).online > 0) onlineWithFilings++;
  }
  return { counts, services, online, full, integrated, onlineWithFilings };
}

/** One agency's groups for its months [from, to] of a period (misstatement not applied). */
function scoreAgency(world: SimulatedWorld, agency: SimUnit, from: number, to: number): IndexGroupScore[] {
  const figures = figuresOf(world, agency, from, to);
  return index766Groups().map((g) => {
    let points = 0;
    for (const c of g.criteria) {
      const fromFigures = FROM_FIGURES[c.code];
      const [num, den] = fromFigures ? fromFigures(figures) : [0, 0];
      let rate: number;
      if (den > 0) rate = num / den;
      else {
        // Not among the figures served (or nothing to measure): the portal's own data, seeded.
        let sum = 0;
        for (let m = from; m <= to; m++) sum += seededRate(world.seed, agency, c.code, m);
        rate = sum / (to - from + 1);
      }
      points += round2(rate * c.maxPoints);
    }
    return { code: g.code, name: g.name, maxPoints: g.maxPoints, points: round2(points) };
  });
}

/** The groups a misstatement may touch: those whose every criterion the portal scores from the figures it serves. */
function figureGroups(): string[] {
  return index766Groups().filter((g) => g.criteria.every((c) => FROM_FIGURES[c.code])).map((g) => g.code);
}

function misstatement(world: SimulatedWorld, agency: SimUnit, period: Period, groups: readonly IndexGroupScore[]): { group: string; by: number } | null {
  const h = hash4(world.seed, hashString(agency.key), hashString(period.timeType), period.fromMonth);
  const candidates = figureGroups();
  if (h % 8 !== 0 || candidates.length === 0) return null;
  const group = groups.find((g) => g.code === candidates[(h >>> 3) % candidates.length])!;
  const off = (1 + ((h >>> 8) % 5)) / 2;
  return { group: group.code, by: group.points + off > group.maxPoints ? -off : off };
}

const scoreCache = new WeakMap<SimulatedWorld, Map<string, readonly IndexScore[]>>();

/**
 * Every agency of the tier existing at the end of the period, scored and ranked, by rank then
 * code; null when the portal has not evaluated the period (before July 2022, or not ended by the
 * clock). Cached per clock.
 */
export function indexScores(world: SimulatedWorld, period: Period, tier: IndexTier): readonly IndexScore[] | null {
  if (period.fromMonth < INDEX766_FROM || period.toMonth > world.endMonth) return null;
  let cache = scoreCache.get(world);
  if (!cache) scoreCache.set(world, (cache = new Map()));
  const key = `${tier}|${period.fromMonth}|${period.toMonth}|${world.endMonth}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const at = period.toMonth;
  const agencies = world.units.filter((u) => u.kind === tier && u.firstMonth <= at && at <= u.lastMonth);
  const scored = agencies.map((agency) => {
    const from = max(period.fromMonth, agency.firstMonth);
    const base = scoreAgency(world, agency, from, at);
    const off = misstatement(world, agency, period, base);
    const groups = off ? base.map((g) => (g.code === off.group ? { ...g, points: round2(g.points + off.by) } : g)) : base;
    return { agency, fromMonth: from, toMonth: at, groups, total: round2(groups.reduce((s, g) => s + g.points, 0)), misstated: off };
  });
  const ranks = competitionRanks(scored.map((s) => s.total));
  const out = scored
    .map((s, i): IndexScore => ({ ...s, rank: ranks[i] }))
    .sort((a, b) => a.rank - b.rank || (a.agency.code < b.agency.code ? -1 : a.agency.code > b.agency.code ? 1 : 0));
  cache.set(key, out);
  if (cache.size > 64) cache.delete(cache.keys().next().value as string);
  return out;
}
