import {
  DEFAULT_END_MONTH,
  MONTHS_SUPPORTED,
  REFORM_MONTH,
  SECONDS_PER_DAY,
  formatTimestamp,
  isoDateOfSeconds,
  monthIndex,
  monthLabel,
  monthOfSeconds,
  monthStartSeconds,
  parseTimestamp,
} from './calendar.util';
import { DossierFeed } from './dossier-feed.index';
import { DossierModel, newDossierCore, toRecord, type DossierRecord } from './dossier.generator';
import { hash2, hashString } from './prng';
import { SCALES, type Plan, type Procedure, type ScaleSpec, type Sector, type SimService, type SimUnit } from './simulator.types';
import { buildWorldData, type WorldData } from './world.generator';

export type CorrectionKind = 'channel' | 'overdue' | 'reopened';
export const CORRECTION_KINDS: readonly CorrectionKind[] = ['channel', 'overdue', 'reopened'];

/** A dossier re-issued with changed figures and a later NgayCapNhat (a late correction upstream). */
export interface DossierCorrection {
  readonly provinceCode: string;
  readonly maHoSo: string;
  readonly kind: CorrectionKind;
  /** Modification instant of the corrected version (simulated seconds). */
  readonly modified: number;
  /** Month bucket where the uncorrected version sat in the feed. */
  readonly originalMonth: number;
  readonly record: DossierRecord;
}

/** Corrections are stamped in the first 6 hours of the month after the clock: no dossier is ever modified then. */
const MAX_CORRECTIONS_PER_MONTH = 6 * 3600 - 1;

export interface DossierIdentity {
  readonly service: SimService;
  readonly month: number;
  readonly index: number;
}

/**
 * The simulated world: static structure (units, catalogue, services, plans) plus a clock and the
 * corrections injected so far. Everything else is derived on demand.
 */
export class SimulatedWorld {
  readonly seed: number;
  readonly scale: ScaleSpec;
  readonly sectors: readonly Sector[];
  readonly procedures: readonly Procedure[];
  readonly units: readonly SimUnit[];
  readonly services: readonly SimService[];
  readonly dossiers: DossierModel;
  readonly feed: DossierFeed;
  private readonly data: WorldData;
  private endMonthIndex = DEFAULT_END_MONTH;
  private correctionSeq = 0;
  private readonly corrections = new Map<string, Map<string, DossierCorrection>>();
  private readonly provinceVersions = new Map<string, number>();
  private readonly unitsByKey: ReadonlyMap<string, SimUnit>;

  constructor(seed = 42, scale: 'small' | 'national' | ScaleSpec = 'small') {
    this.seed = seed >>> 0;
    this.scale = typeof scale === 'string' ? SCALES[scale] : scale;
    if (!this.scale) throw new Error(`unknown scale ${String(scale)}`);
    this.data = buildWorldData(this.seed, this.scale);
    this.sectors = this.data.sectors;
    this.procedures = this.data.procedures;
    this.units = this.data.units;
    this.services = this.data.services;
    this.unitsByKey = new Map(this.units.map((u) => [u.key, u]));
    this.dossiers = new DossierModel(this.seed);
    this.feed = new DossierFeed(this);
  }

  /** Last month that has fully happened (index; 95 = 2025-12 by default). */
  get endMonth(): number {
    return this.endMonthIndex;
  }

  /** The simulated "now": the first instant of the month after `endMonth`, local time. */
  get now(): number {
    return monthStartSeconds(this.endMonthIndex + 1);
  }

  clock(): { endMonth: string; now: string } {
    return { endMonth: monthLabel(this.endMonthIndex), now: formatTimestamp(this.now) };
  }

  /**
   * Moves the clock forward by whole months: dossiers received in the new months appear, and
   * dossiers that were open get resolved (their NgayCapNhat moves later). Nothing already
   * served changes otherwise, so a feed resumed from its cursor sees exactly what is new.
   */
  advance(months = 1): void {
    if (!Number.isInteger(months) || months < 1) throw new Error('advance expects a positive whole number of months');
    if (this.endMonthIndex + months > MONTHS_SUPPORTED - 4) throw new Error('the simulator clock cannot go past 2030-08');
    this.endMonthIndex += months;
    this.correctionSeq = 0;
    this.feed.invalidate();
  }

  unit(key: string): SimUnit | undefined {
    return this.unitsByKey.get(key);
  }

  servicesOfUnit(key: string): readonly SimService[] {
    return this.data.servicesByUnit.get(key) ?? [];
  }

  /** Every service in a province code: old and new unit holding the code, and their communes. */
  servicesOfProvince(code: string): readonly SimService[] {
    return this.data.servicesByProvinceCode.get(code) ?? [];
  }

  /** Province codes served by /igate/<code> and /export/<code> (the national portal reports every unit). */
  feedProvinceCodes(): string[] {
    return [...this.data.feedProvinceCodes].sort();
  }

  /** Whether the province code has a one-stop feed and a statistics export. */
  hasFeed(code: string): boolean {
    return this.data.feedProvinceCodes.has(code);
  }

  /** Plans issued on or before the clock. */
  plans(year?: number): Plan[] {
    const today = isoDateOfSeconds(this.now);
    return this.data.plans.filter((p) => (year === undefined || p.year === year) && p.issuedDate < today);
  }

  /** Dossiers received up to the clock, counted from cell counts (nothing is generated). */
  countDossiers(provinceCode?: string): number {
    const list = provinceCode === undefined ? this.services : this.servicesOfProvince(provinceCode);
    let total = 0;
    for (const svc of list) {
      const last = Math.min(svc.lastMonth, this.endMonthIndex);
      for (let m = svc.firstMonth; m <= last; m++) total += this.dossiers.cellCount(svc, m);
    }
    return total;
  }

  /** Parses a dossier number back to its identity; null when it names no dossier. */
  identify(maHoSo: string): DossierIdentity | null {
    const m = /^(\d{2}|\d{5})-(\d{2})(\d{2})-(\d{4})-(\d{5})$/.exec(maHoSo);
    if (!m) return null;
    const month = monthIndex(2000 + Number(m[2]), Number(m[3]));
    if (month < 0 || month > this.endMonthIndex) return null;
    // The unit holding the code that month: the new one from the reform, unless the province (or the old one) lasted.
    const key = [`${m[1]}@${month >= REFORM_MONTH ? 'new' : 'old'}`, `${m[1]}@old`].find((k) => {
      const u = this.unitsByKey.get(k);
      return u !== undefined && month <= u.lastMonth;
    });
    const list = key === undefined ? [] : this.servicesOfUnit(key);
    const service = list[Number(m[4])];
    const index = Number(m[5]);
    if (!service || index >= this.dossiers.cellCount(service, month)) return null;
    return { service, month, index };
  }

  /** The dossier as the feed serves it now (corrections applied); null when unknown. */
  dossier(maHoSo: string): DossierRecord | null {
    const id = this.identify(maHoSo);
    if (!id) return null;
    const corrected = this.corrections.get(id.service.unit.provinceCode)?.get(maHoSo);
    if (corrected) return corrected.record;
    return this.baseDossier(id);
  }

  private baseDossier(id: DossierIdentity): DossierRecord {
    const split = this.dossiers.cellSplit(id.service, id.month);
    const segment = DossierModel.segmentOf(split, id.index);
    const ctx = this.dossiers.cellContext(id.service, id.month);
    const core = this.dossiers.generate(ctx, id.index, segment, this.endMonthIndex, newDossierCore());
    return toRecord(ctx, id.index, core);
  }

  /**
   * Re-issues a resolved dossier with changed figures and NgayCapNhat after everything served so
   * far. The national portal keeps the original figures: that disagreement is the point.
   */
  correctDossier(maHoSo: string, kind?: CorrectionKind): DossierCorrection {
    const id = this.identify(maHoSo);
    if (!id) throw new Error(`unknown dossier ${maHoSo}`);
    const province = id.service.unit.provinceCode;
    const byId = this.corrections.get(province) ?? new Map<string, DossierCorrection>();
    const previous = byId.get(maHoSo);
    const current = previous?.record ?? this.baseDossier(id);
    if (current.TrangThaiHoSo !== 4 && !previous) throw new Error(`dossier ${maHoSo} is still open: only resolved dossiers are corrected`);
    if (this.correctionSeq >= MAX_CORRECTIONS_PER_MONTH) throw new Error('too many corrections this month: advance the clock');
    const modified = this.now + ++this.correctionSeq;
    const chosen = kind ?? CORRECTION_KINDS[hash2(this.seed, hashString(maHoSo)) % CORRECTION_KINDS.length];
    const [record, applied] = applyCorrection(current, chosen, modified);
    const correction: DossierCorrection = {
      provinceCode: province,
      maHoSo,
      kind: applied,
      modified,
      originalMonth: previous ? previous.originalMonth : monthOfSeconds(parseTimestamp(current.NgayCapNhat) as number),
      record,
    };
    byId.set(maHoSo, correction);
    this.corrections.set(province, byId);
    this.provinceVersions.set(province, (this.provinceVersions.get(province) ?? 0) + 1);
    this.feed.invalidate(province);
    return correction;
  }

  correctionsOf(provinceCode: string): ReadonlyMap<string, DossierCorrection> {
    return this.corrections.get(provinceCode) ?? new Map<string, DossierCorrection>();
  }

  allCorrections(): DossierCorrection[] {
    return [...this.corrections.values()].flatMap((m) => [...m.values()]);
  }

  /** Changes whenever the province's feed content changes (clock or corrections). */
  feedVersion(provinceCode: string): string {
    return `${this.endMonthIndex}:${this.provinceVersions.get(provinceCode) ?? 0}`;
  }
}

/** Returns the corrected record and the kind actually applied (falls back to 'channel'). */
function applyCorrection(base: DossierRecord, kind: CorrectionKind, modified: number): [DossierRecord, CorrectionKind] {
  const record: DossierRecord = { ...base, NgayCapNhat: formatTimestamp(modified) };
  if (kind === 'reopened') {
    // Sent back for supplementary documents: open again, no result date.
    record.TrangThaiHoSo = 3;
    record.NgayTra = null;
    return [record, kind];
  }
  if (kind === 'overdue' && base.NgayTra !== null) {
    const returned = parseTimestamp(base.NgayTra) as number;
    const due = parseTimestamp(base.NgayHenTra) as number;
    if (returned <= due) {
      // The result was actually returned a day after the due date.
      const later = due + SECONDS_PER_DAY;
      if (later < modified) {
        record.NgayTra = formatTimestamp(later);
        return [record, kind];
      }
    } else {
      // The due date had been extended: the dossier was on time after all.
      record.NgayHenTra = formatTimestamp(returned + SECONDS_PER_DAY);
      return [record, kind];
    }
  }
  // Channel recorded wrongly: online ↔ in person.
  if (base.HinhThuc === 2) {
    record.HinhThuc = 1;
    record.ThanhToanTrucTuyen = 0;
  } else {
    record.HinhThuc = 2;
  }
  return [record, 'channel'];
}
