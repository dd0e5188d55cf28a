import { DECREE42_MONTH, MONTHS_SUPPORTED, REFORM_MONTH, dayIso, isoDayToIndex, monthIndex } from './calendar.util';
import { addCentralProcedures, generateCatalogue } from './catalogue.generator';
import { Rng, hash2, hash3, hash4, hashString } from './prng';
import { loadReferenceMinistries, loadReferenceUnits, type ReferenceMinistries, type ReferenceProvince } from './reference-data.loader';
import {
  LEVEL_FULL,
  LEVEL_INFO,
  LEVEL_PARTIAL,
  isOnlineLevel,
  type Plan,
  type Procedure,
  type ProvinceParams,
  type ScaleSpec,
  type Sector,
  type SimService,
  type SimUnit,
  type UnitEra,
} from './simulator.types';

// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs ~100x more, which made the suite crawl.
const { exp, max, min, round } = Math;

/**
 * Builds the static part of the world from (seed, scale): units from the real reference data (the
 * provinces and communes of the 2025 reform, the ministries of the 1 March 2025 restructuring),
 * the procedure catalogue, every service with its dated level history, and the yearly plans.
 * Dossiers are not built here: they are derived on demand (dossier.generator.ts).
 */

export interface WorldData {
  readonly seed: number;
  readonly scale: ScaleSpec;
  readonly sectors: readonly Sector[];
  readonly procedures: readonly Procedure[];
  /** Sorted by code, then era (old first). */
  readonly units: readonly SimUnit[];
  /** Sorted by unit (as `units`), then procedure code. */
  readonly services: readonly SimService[];
  readonly servicesByUnit: ReadonlyMap<string, readonly SimService[]>;
  /** Every service whose unit lies in the province code (both eras, communes included); a ministry's under its code. */
  readonly servicesByProvinceCode: ReadonlyMap<string, readonly SimService[]>;
  /** Province codes with a one-stop feed and a statistics export (`ScaleSpec.feedProvinces`). */
  readonly feedProvinceCodes: ReadonlySet<string>;
  readonly plans: readonly Plan[];
}

const AVERAGE_COMMUNES_PER_PROVINCE = 10_047 / 63;
const OLD_LAST_MONTH = REFORM_MONTH - 1;
const NEW_LAST_MONTH = MONTHS_SUPPORTED - 1;

const PLAN_DUE_DATES: Readonly<Record<number, string>> = {
  2019: '2019-04-30',
  2020: '2020-03-31',
  2021: '2021-09-10', // MIC letter: plans for 2021 due by 10 September 2021 (docs/domain.md, "Targets and plans")
  2022: '2022-03-31',
  2023: '2023-03-31',
  2024: '2024-03-31',
  2025: '2025-03-31',
  2026: '2025-12-31',
};

/** Simulated deadlines for yearly plans (only 2021 is a documented date). */
export function planDueDate(year: number): string | undefined {
  return PLAN_DUE_DATES[year];
}

const PLAN_TITLES: readonly string[] = [
  'Kế hoạch phát triển dịch vụ công trực tuyến năm',
  'Kế hoạch cung cấp dịch vụ công trực tuyến năm',
  'Kế hoạch chuyển đổi số và phát triển dịch vụ công trực tuyến năm',
];

function provinceParams(seed: number, code: string): ProvinceParams {
  const rng = new Rng(hash3(seed, hashString('province-params'), hashString(code)));
  const laggard = rng.chance(0.12);
  return {
    level4Midpoint: 26 + rng.next() * 24 + (laggard ? 12 : 0),
    onlineAffinity: 0.6 + rng.next() * 0.7,
    lateRate: 0.03 + rng.next() * 0.12,
  };
}

/** The dates a service of (unit code, procedure) reaches level 2, 3 and 4 / full (month indexes). */
interface Timeline {
  readonly t2: number;
  readonly t3: number;
  readonly t4: number;
  /** Under Decree 42: month the service becomes full (some level-4 services were reclassified partial). */
  readonly tFull: number;
  readonly integratedLag: number;
}

function serviceTimeline(seed: number, unitCode: string, proc: Procedure, params: ProvinceParams): Timeline {
  const rng = new Rng(hash4(seed, hashString('timeline'), hashString(unitCode), proc.index));
  const mid = params.level4Midpoint;
  // A few pioneers were already at level 4 in 2018; the rest follow an S-curve around `mid`.
  const pioneer = rng.chance(0.03);
  const t4 = !proc.eligibleFullOnline ? Infinity : pioneer ? -1 : round(mid + 6 * rng.logistic());
  // Level 3 came years earlier: in 2018 about 45% of provincial services were at level 3 or 4.
  const t3 = min(t4, round(mid - 36 + 8 * rng.logistic()));
  const t2 = min(t3, round(-8 + 6 * rng.logistic()));
  const reclassified = rng.chance(0.1);
  const tFull = !proc.eligibleFullOnline
    ? Infinity
    : reclassified && t4 < DECREE42_MONTH
      ? DECREE42_MONTH + 3 + rng.int(18)
      : t4;
  return { t2, t3, t4, tFull, integratedLag: rng.int(18) };
}

function decree43At(t: Timeline, mi: number): number {
  return mi >= t.t4 ? 4 : mi >= t.t3 ? 3 : mi >= t.t2 ? 2 : 1;
}

function decree42At(t: Timeline, mi: number): number {
  return mi >= t.tFull ? LEVEL_FULL : mi >= t.t3 ? LEVEL_PARTIAL : LEVEL_INFO;
}

function levelAtMonth(t: Timeline, mi: number): number {
  return mi < DECREE42_MONTH ? decree43At(t, mi) : decree42At(t, mi);
}

/** Flat [month, level, ...] pairs: a row whenever the level (or its taxonomy) changes. */
function levelHistory(t: Timeline, firstMonth: number, lastMonth: number): number[] {
  const candidates = new Set<number>([firstMonth]);
  for (const c of [t.t2, t.t3, t.t4, t.tFull, DECREE42_MONTH]) {
    if (Number.isFinite(c) && c > firstMonth && c <= lastMonth) candidates.add(c);
  }
  const months = [...candidates].sort((a, b) => a - b);
  const out: number[] = [];
  let previous = -1;
  for (const mi of months) {
    const level = levelAtMonth(t, mi);
    if (level !== previous) out.push(mi, level);
    previous = level;
  }
  return out;
}

function firstOnlineMonth(t: Timeline, firstMonth: number): number {
  return max(firstMonth, t.t3);
}

/**
 * Picks the procedures a province offers: every essential one plus a seeded sample of the rest;
 * a province only the national portal reports (`sample`), half of its few services essential.
 */
function provinceProcedureSet(seed: number, code: string, procedures: readonly Procedure[], range: readonly [number, number], sample = false): Procedure[] {
  const rng = new Rng(hash3(seed, hashString('province-services'), hashString(code)));
  const target = min(procedures.length, rng.between(range[0], range[1]));
  const essential = procedures.filter((p) => p.essential);
  const chosen = sample ? rng.shuffle(essential).slice(0, round(target / 2)) : essential;
  const others = rng.shuffle(procedures.filter((p) => !p.essential));
  for (const p of others) {
    if (chosen.length >= target) break;
    chosen.push(p);
  }
  return chosen.sort((a, b) => a.index - b.index);
}

function communeProcedureSet(seed: number, code: string, procedures: readonly Procedure[], range: readonly [number, number]): Procedure[] {
  const rng = new Rng(hash3(seed, hashString('commune-services'), hashString(code)));
  const commune = procedures.filter((p) => p.tier === 'commune');
  const target = min(commune.length, rng.between(range[0], range[1]));
  const essential = commune.filter((p) => p.essential);
  const others = rng.shuffle(commune.filter((p) => !p.essential));
  return [...essential, ...others].slice(0, target).sort((a, b) => a.index - b.index);
}

/** A procedure a unit offers, and whose timeline its levels follow. */
interface Offer {
  readonly procedure: Procedure;
  /** The unit whose timeline the service continues (new provinces: their seat; ministries: the predecessor it came from). */
  readonly timelineCode: string;
  /** First month, when fixed (a ministry's service taken over on the restructuring); else drawn. */
  readonly since: number | null;
}

interface UnitDraft {
  unit: SimUnit;
  offers: Offer[];
  monthlyVolume: number;
}

function includedOldProvinces(codes: 'all' | readonly string[], all: readonly ReferenceProvince[], what: string): ReferenceProvince[] {
  if (codes === 'all') return [...all];
  const wanted = new Set(codes);
  const found = all.filter((p) => wanted.has(p.code));
  if (found.length !== wanted.size) throw new Error(`unknown old province code in ${what}`);
  return found;
}

const offersOf = (procedures: readonly Procedure[], timelineCode: string): Offer[] => procedures.map((procedure) => ({ procedure, timelineCode, since: null }));

/** The old and new province units (and the communes of a few feed provinces) the scale includes. */
function provinceDrafts(seed: number, scale: ScaleSpec, local: readonly Procedure[]): { drafts: UnitDraft[]; feedCodes: Set<string> } {
  const ref = loadReferenceUnits();
  const oldIncluded = includedOldProvinces(scale.oldProvinces, ref.oldProvinces, `scale ${scale.name}`);
  const oldCodes = new Set(oldIncluded.map((p) => p.code));
  const feedCodes = new Set(includedOldProvinces(scale.feedProvinces, oldIncluded, `the feed provinces of scale ${scale.name}`).map((p) => p.code));
  // A new province is simulated when its seat (the old province whose code it keeps) is.
  const newIncluded = ref.newProvinces.filter((p) => oldCodes.has(p.code));
  const communesByOld = new Map(ref.oldProvinces.map((p) => [p.code, p.communes.length]));
  const communeProvinces = new Set(scale.communeServices.provinces.filter((c) => feedCodes.has(c)));

  const continuing = continuingProvinceCodes(ref.newProvinces);
  const drafts: UnitDraft[] = [];
  const addProvince = (p: ReferenceProvince, era: UnitEra): void => {
    const old = era === 'old';
    // A province the reform left untouched is one unit throughout, as in the gateway's reference data.
    const lasting = old && continuing.has(p.code);
    const feed = feedCodes.has(p.code);
    const communes = old ? p.communes.length : p.related.reduce((sum, r) => sum + (communesByOld.get(r.code) ?? 0), 0);
    const params = provinceParams(seed, p.code);
    const weight = communes / AVERAGE_COMMUNES_PER_PROVINCE;
    const unit: SimUnit = {
      key: `${p.code}@${era}`,
      code: p.code,
      name: p.name,
      kind: 'province',
      provinceCode: p.code,
      era,
      validFrom: old ? null : '2025-07-01',
      validTo: old && !lasting ? '2025-06-30' : null,
      firstMonth: old ? 0 : REFORM_MONTH,
      lastMonth: old && !lasting ? OLD_LAST_MONTH : NEW_LAST_MONTH,
      weight,
      params,
    };
    const range = feed ? scale.servicesPerProvince : scale.servicesPerOtherProvince;
    drafts.push({
      unit,
      offers: offersOf(provinceProcedureSet(seed, p.code, local, range, !feed), p.code),
      monthlyVolume: (feed ? scale.dossiersPerProvinceMonth : scale.dossiersPerOtherProvinceMonth) * weight,
    });
    if (!communeProvinces.has(p.code)) return;
    if (lasting) throw new Error(`commune services of province ${p.code}, which the reform left untouched, are not simulated`);
    for (const c of p.communes.slice(0, scale.communeServices.communesPerProvince)) {
      const cu: SimUnit = {
        ...unit,
        key: `${c.code}@${era}`,
        code: c.code,
        name: c.name,
        kind: 'commune',
        weight: scale.dossiersPerCommuneMonth / scale.dossiersPerProvinceMonth,
      };
      drafts.push({
        unit: cu,
        // A commune's timelines are its own; new communes continue the old commune holding the code.
        offers: offersOf(communeProcedureSet(seed, c.code, local, scale.communeServices.servicesPerCommune), c.code),
        monthlyVolume: scale.dossiersPerCommuneMonth,
      });
    }
  };
  for (const p of oldIncluded) addProvince(p, 'old');
  for (const p of newIncluded) if (!continuing.has(p.code)) addProvince(p, 'new');
  return { drafts, feedCodes };
}

/** The 11 provinces the reform left untouched: a new province whose only predecessor, in full, is the old one holding its code. */
function continuingProvinceCodes(newProvinces: readonly ReferenceProvince[]): Set<string> {
  return new Set(newProvinces.filter((p) => p.related.length === 1 && p.related[0].code === p.code && p.related[0].type === 'full').map((p) => p.code));
}

/**
 * Every ministry of the reference list. A ministry offers its own central procedures; from the
 * restructuring (1 March 2025) a successor also offers those of the ministries it absorbed
 * (a partial successor, its share of them), continuing their level history. Closed ministries
 * end the day before; opened ones offer only what they took over.
 */
function ministryDrafts(seed: number, scale: ScaleSpec, ref: ReferenceMinistries, procedures: readonly Procedure[]): UnitDraft[] {
  const [year, month] = ref.effectiveOn.split('-').map(Number);
  const effectiveMonth = monthIndex(year, month);
  const eve = dayIso(isoDayToIndex(ref.effectiveOn) - 1);
  const own = new Map<string, Procedure[]>();
  for (const p of procedures) if (p.ministry !== null) own.set(p.ministry, [...(own.get(p.ministry) ?? []), p]);
  const takenOver = new Map<string, Offer[]>();
  for (const m of ref.ministries) {
    for (const p of own.get(m.code) ?? []) {
      // A partial successor takes a seeded share: each procedure goes to exactly one of them.
      const to = m.successors.length === 0 ? undefined : m.successors[hash3(seed, hashString('ministry-transfer'), p.index) % m.successors.length];
      if (to) takenOver.set(to.code, [...(takenOver.get(to.code) ?? []), { procedure: p, timelineCode: m.code, since: effectiveMonth }]);
    }
  }
  return ref.ministries.map((m) => {
    const unit: SimUnit = {
      key: `${m.code}@${m.opened ? 'new' : 'old'}`,
      code: m.code,
      name: m.name,
      kind: 'ministry',
      provinceCode: m.code,
      era: m.opened ? 'new' : 'old',
      validFrom: m.opened ? ref.effectiveOn : null,
      validTo: m.closed ? eve : null,
      firstMonth: m.opened ? effectiveMonth : 0,
      lastMonth: m.closed ? effectiveMonth - 1 : NEW_LAST_MONTH,
      weight: 1,
      params: provinceParams(seed, m.code),
    };
    const offers = [...offersOf(own.get(m.code) ?? [], m.code), ...(takenOver.get(m.code) ?? [])].sort((a, b) => a.procedure.index - b.procedure.index);
    return { unit, offers, monthlyVolume: scale.ministries.dossiersPerMonth };
  });
}

export function buildWorldData(seed: number, scale: ScaleSpec): WorldData {
  const local = generateCatalogue(seed, scale.procedureCount);
  const ministries = loadReferenceMinistries();
  const { sectors, procedures } = addCentralProcedures(seed, local, ministries.ministries, scale.ministries.proceduresPerMinistry);
  const { drafts, feedCodes } = provinceDrafts(seed, scale, local.procedures);
  drafts.push(...ministryDrafts(seed, scale, ministries, procedures));
  drafts.sort((a, b) => (a.unit.code < b.unit.code ? -1 : a.unit.code > b.unit.code ? 1 : a.unit.era === 'old' ? -1 : 1));

  const services: SimService[] = [];
  const servicesByUnit = new Map<string, SimService[]>();
  const servicesByProvinceCode = new Map<string, SimService[]>();
  for (const d of drafts) {
    const u = d.unit;
    const old = u.era === 'old';
    const volumeRng = new Rng(hash3(seed, hashString('volume'), hashString(u.key)));
    const factors = d.offers.map((o) => o.procedure.popularity * exp(0.5 * volumeRng.normal()));
    const totalFactor = factors.reduce((a, b) => a + b, 0) || 1;
    const list: SimService[] = [];
    d.offers.forEach(({ procedure: proc, timelineCode, since }, localIndex) => {
      const svcRng = new Rng(hash4(seed, hashString('service'), hashString(u.key), proc.index));
      // A few services appear during the period (new procedures); the rest exist from the start.
      const firstMonth = since ?? (old ? (svcRng.chance(0.08) ? 1 + svcRng.int(OLD_LAST_MONTH - 6) : 0) : u.firstMonth);
      const timeline = serviceTimeline(seed, timelineCode, proc, u.params);
      const levels = levelHistory(timeline, firstMonth, u.lastMonth);
      const online = firstOnlineMonth(timeline, firstMonth);
      // DVCQG opened in December 2019 (month 23); services join it some months after going online.
      const integratedFrom = Number.isFinite(online) ? max(23, online + timeline.integratedLag, firstMonth) : Infinity;
      const svc: SimService = {
        index: services.length,
        unit: u,
        procedure: proc,
        localIndex,
        firstMonth,
        lastMonth: u.lastMonth,
        levels,
        integratedFrom,
        key: hash2(hashString(u.key), proc.index),
        baseVolume: (d.monthlyVolume * factors[localIndex]) / totalFactor,
      };
      services.push(svc);
      list.push(svc);
    });
    servicesByUnit.set(u.key, list);
    const byProvince = servicesByProvinceCode.get(u.provinceCode) ?? [];
    byProvince.push(...list);
    servicesByProvinceCode.set(u.provinceCode, byProvince);
  }

  const units = drafts.map((d) => d.unit);
  const plans = buildPlans(seed, units.filter((u) => u.kind !== 'commune'));
  return { seed, scale, sectors, procedures, units, services, servicesByUnit, servicesByProvinceCode, feedProvinceCodes: feedCodes, plans };
}

/** Level in force at a month, or 0 when the service does not exist then. */
export function serviceLevelAt(svc: SimService, mi: number): number {
  if (mi < svc.firstMonth || mi > svc.lastMonth) return 0;
  const lv = svc.levels;
  let level = 0;
  for (let k = 0; k < lv.length && lv[k] <= mi; k += 2) level = lv[k + 1];
  return level;
}

/** Month the level in force at `mi` took effect. */
export function serviceLevelSince(svc: SimService, mi: number): number {
  const lv = svc.levels;
  let since = svc.firstMonth;
  for (let k = 0; k < lv.length && lv[k] <= mi; k += 2) since = lv[k];
  return since;
}

export function isIntegratedAt(svc: SimService, mi: number): boolean {
  return mi >= svc.integratedFrom && isOnlineLevel(serviceLevelAt(svc, mi));
}

/** The plan years whose deadline falls in the unit's life: old provinces 2019-2025, new ones 2026, ministries by their dates. */
function planYears(u: SimUnit): number[] {
  const from = u.validFrom ?? '0000-01-01';
  const to = u.validTo ?? '9999-12-31';
  return Object.entries(PLAN_DUE_DATES)
    .filter(([, due]) => due >= from && due <= to)
    .map(([year]) => Number(year));
}

/** Yearly plans of provinces and ministries. Some are late, a few never issued. */
function buildPlans(seed: number, units: readonly SimUnit[]): Plan[] {
  const plans: Plan[] = [];
  for (const u of units) {
    const laggard = u.params.level4Midpoint > 50;
    // Provinces' plans are the People's Committee's (UBND); a ministry numbers its own.
    const issuer = u.kind === 'ministry' ? u.code : 'UBND';
    for (const year of planYears(u)) {
      const rng = new Rng(hash4(seed, hashString('plan'), hashString(u.key), year));
      const due = isoDayToIndex(PLAN_DUE_DATES[year]);
      const r = rng.next();
      if (r < (laggard ? 0.12 : 0.04)) continue; // never issued
      const late = r > (laggard ? 0.6 : 0.8);
      const earliest = isoDayToIndex(`${year - 1}-11-15`);
      const issued = late ? due + 1 + rng.int(100) : max(earliest, due - 3 - rng.int(150));
      plans.push({
        agencyCode: u.code,
        agencyName: u.name,
        agencyKey: u.key,
        year,
        documentNumber: `${rng.between(5, 420)}/KH-${issuer}`,
        title: `${rng.pick(PLAN_TITLES)} ${year}`,
        issuedDate: dayIso(issued),
        dueDate: PLAN_DUE_DATES[year],
      });
    }
  }
  return plans;
}
