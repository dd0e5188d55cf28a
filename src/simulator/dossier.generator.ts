import {
  MONTHS_SUPPORTED,
  SECONDS_PER_DAY,
  formatTimestamp,
  monthCompactShort,
  monthDayCount,
  monthFirstDayIndex,
  monthWorkingDayIndexes,
} from './calendar.util';
import { Rng, hash3, hash4, poisson } from './prng';
import { isFullLevel, isOnlineLevel, type SimService } from './simulator.types';
import { isIntegratedAt, serviceLevelAt } from './world.generator';

// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs ~100x more, which made the suite crawl.
const { floor, max, min } = Math;

/**
 * Dossiers, derived on demand. A dossier is identified by (service, month received, index i) and
 * every attribute is a pure function of (seed, service key, month, i), so the national portal's
 * counts and the provincial feed come from the same function and always agree.
 *
 * A cell is (service, month received). Its dossier count N is a seeded Poisson draw, split into
 * three segments by the month the dossier is resolved in: same month (n0), next month (n1), the
 * month after (n2). Fixing the segment per index (i < n0, then n1, then n2) is what lets the feed
 * count dossiers per modification month from cell counts alone, without generating them.
 */

export const CHANNEL_IN_PERSON = 1;
export const CHANNEL_ONLINE = 2;
export const CHANNEL_POSTAL = 3;

export const STATUS_RECEIVED = 1;
export const STATUS_PROCESSING = 2;
export const STATUS_SUPPLEMENT = 3;
export const STATUS_RETURNED = 4;

const DAY = SECONDS_PER_DAY;
const H0600 = 6 * 3600;
const H0730 = 7 * 3600 + 1800;
const H1700 = 17 * 3600;
const H1730 = 17 * 3600 + 1800;
const H2300 = 23 * 3600;

/** Volume factor per month: slow growth, Tết dip in February, COVID dips in 2020 and 2021. */
const MONTH_FACTOR = new Float64Array(MONTHS_SUPPORTED);
const SEASON = [1.05, 0.75, 1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 0.95, 1.0, 1.05, 1.1];
for (let m = 0; m < MONTHS_SUPPORTED; m++) {
  let f = (0.75 + 0.5 * min(m, 95) / 95) * SEASON[m % 12];
  if (m === 27) f *= 0.6; // 2020-04 lockdown
  if (m === 43) f *= 0.55; // 2021-08
  if (m === 44) f *= 0.6; // 2021-09
  MONTH_FACTOR[m] = f;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Per-cell probabilities, computed once and shared by the cell's dossiers. Reusable. */
export interface CellContext {
  svc: SimService;
  month: number;
  level: number;
  pOnline: number;
  pPostal: number;
  pLate: number;
  pPay: number;
  pSync: number;
  full: boolean;
  firstDay: number;
  dayCount: number;
  workDays: Int32Array;
  procDays: number;
  fee: number;
}

export function newCellContext(): CellContext {
  return {
    svc: null as unknown as SimService,
    month: 0,
    level: 0,
    pOnline: 0,
    pPostal: 0,
    pLate: 0,
    pPay: 0,
    pSync: 0,
    full: false,
    firstDay: 0,
    dayCount: 0,
    workDays: new Int32Array(0),
    procDays: 0,
    fee: 0,
  };
}

/** One dossier's facts in simulated seconds (see calendar.util.ts). Reused to avoid allocation. */
export interface DossierCore {
  channel: number;
  received: number;
  resolvedAt: number;
  due: number;
  resolved: boolean;
  late: boolean;
  fee: number;
  paidOnline: number;
  synced: number;
  status: number;
  modified: number;
}

export function newDossierCore(): DossierCore {
  return { channel: 0, received: 0, resolvedAt: 0, due: 0, resolved: false, late: false, fee: 0, paidOnline: 0, synced: 0, status: 0, modified: 0 };
}

/** The feed's record, with the upstream's Vietnamese field names. */
export interface DossierRecord {
  MaHoSo: string;
  MaTTHC: string;
  MaDonVi: string;
  MaTinh: string;
  MaHuyen: string | null;
  MaXa: string | null;
  NgayTiepNhan: string;
  NgayHenTra: string;
  NgayTra: string | null;
  NgayCapNhat: string;
  HinhThuc: number;
  TrangThaiHoSo: number;
  PhiLePhi: number;
  ThanhToanTrucTuyen: number;
  DongBoDVCQG: number;
}

const PAD4: readonly string[] = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));

/** `<unit>-<yyMM>-<jjjj>-`: the dossier number of a cell, without the index. */
export function dossierIdPrefix(svc: SimService, month: number): string {
  return `${svc.unit.code}-${monthCompactShort(month)}-${PAD4[svc.localIndex]}-`;
}

/** Five-digit dossier index within its cell. */
export function padIndex(i: number): string {
  return i < 10 ? `0000${i}` : i < 100 ? `000${i}` : i < 1000 ? `00${i}` : i < 10_000 ? `0${i}` : String(i);
}

export class DossierModel {
  private readonly rng = new Rng(0);
  private readonly split = new Int32Array(3);

  constructor(private readonly seed: number) {}

  /** Dossiers received by the service in the month (0 outside its life). */
  cellCount(svc: SimService, month: number): number {
    return this.cellSplit(svc, month)[0] + this.split[1] + this.split[2];
  }

  /**
   * Fills and returns [n0, n1, n2]: dossiers of the cell resolved in the month received, the next
   * one, the one after. The returned array is reused by the next call.
   */
  cellSplit(svc: SimService, month: number): Int32Array {
    const out = this.split;
    if (month < svc.firstMonth || month > svc.lastMonth) {
      out[0] = out[1] = out[2] = 0;
      return out;
    }
    const rng = this.rng.reset(hash3(this.seed, svc.key, month));
    const n = poisson(svc.baseVolume * MONTH_FACTOR[month], rng);
    const n2 = min(n, floor(n * 0.03 + rng.next()));
    const n1 = min(n - n2, floor(n * 0.2 + rng.next()));
    out[0] = n - n1 - n2;
    out[1] = n1;
    out[2] = n2;
    return out;
  }

  cellContext(svc: SimService, month: number): CellContext {
    return this.fillCellContext(svc, month, newCellContext());
  }

  /** Fills `out` for the cell (hot loops reuse one context instead of allocating per cell). */
  fillCellContext(svc: SimService, month: number, out: CellContext): CellContext {
    const level = serviceLevelAt(svc, month);
    const progress = clamp01((month - 6) / 84);
    const full = isFullLevel(level);
    const params = svc.unit.params;
    out.svc = svc;
    out.month = month;
    out.level = level;
    out.pOnline = isOnlineLevel(level) ? min(0.95, (full ? 0.08 + 0.62 * progress : 0.04 + 0.36 * progress) * params.onlineAffinity) : 0;
    out.pPostal = 0.03 + 0.02 * progress;
    out.pLate = params.lateRate * (1 - 0.7 * progress);
    out.pPay = 0.05 + 0.75 * progress;
    out.pSync = isIntegratedAt(svc, month) ? 0.35 + 0.6 * clamp01((month - 23) / 30) : 0;
    out.full = full;
    out.firstDay = monthFirstDayIndex(month);
    out.dayCount = monthDayCount(month);
    out.workDays = monthWorkingDayIndexes(month);
    out.procDays = svc.procedure.processingDays;
    out.fee = svc.procedure.fee;
    return out;
  }

  /**
   * Generates dossier i of the cell. `segment` (0, 1, 2) is the resolution month offset given by
   * the cell split; `endMonth` is the simulator clock: a dossier resolved after it is still open.
   * Every draw happens whatever the clock, so advancing it only resolves dossiers, never alters them.
   */
  generate(ctx: CellContext, i: number, segment: number, endMonth: number, out: DossierCore): DossierCore {
    const rng = this.rng.reset(hash4(this.seed, ctx.svc.key, ctx.month, i));
    const c = rng.next();
    const channel = c < ctx.pOnline ? CHANNEL_ONLINE : c < ctx.pOnline + ctx.pPostal ? CHANNEL_POSTAL : CHANNEL_IN_PERSON;
    const d1 = rng.next();
    const d2 = rng.next();
    let received: number;
    if (channel === CHANNEL_ONLINE) {
      // Online filings arrive any day, 06:00-23:30.
      received = (ctx.firstDay + floor(d1 * ctx.dayCount)) * DAY + H0600 + floor(d2 * 63_000);
    } else {
      // Desks and post offices: working days, 07:30-17:00.
      const wd = ctx.workDays;
      received = wd[floor(d1 * wd.length)] * DAY + H0730 + floor(d2 * 34_200);
    }
    const rDay = floor(received / DAY);

    const a = rng.next();
    const b = rng.next();
    let resolvedAt: number;
    if (segment === 0) {
      const remaining = ctx.firstDay + ctx.dayCount - 1 - rDay;
      const dd = min(remaining, floor(a * (ctx.procDays + 4)));
      if (dd <= 0) {
        const room = min(10_800, DAY - 1 - (received - rDay * DAY) - 60);
        resolvedAt = received + 60 + floor(b * room);
      } else {
        resolvedAt = (rDay + dd) * DAY + H0730 + floor(b * 36_000);
      }
    } else {
      const mm = ctx.month + segment;
      const day = monthFirstDayIndex(mm) + floor(a * min(monthDayCount(mm), 20));
      resolvedAt = day * DAY + H0730 + floor(b * 36_000);
    }
    // A third of the systems post results in batches (17:30, 23:00): many dossiers share a timestamp.
    if (rng.next() < 0.3) {
      const day = floor(resolvedAt / DAY);
      const tod = resolvedAt - day * DAY;
      if (tod < H1730) resolvedAt = day * DAY + H1730;
      else if (tod < H2300) resolvedAt = day * DAY + H2300;
    }

    const late = rng.next() < ctx.pLate;
    const lateCut = rng.next();
    const nominal = max((rDay + ctx.procDays) * DAY + H1700, received + 3600);
    let due: number;
    if (late) {
      due = nominal < resolvedAt ? nominal : received + floor((resolvedAt - received) * (0.3 + 0.5 * lateCut));
    } else if (nominal >= resolvedAt) {
      due = nominal;
    } else {
      const day = floor(resolvedAt / DAY);
      due = resolvedAt - day * DAY <= H1700 ? day * DAY + H1700 : (day + 1) * DAY + H1700;
    }

    const f = rng.next();
    const p = rng.next();
    const s = rng.next();
    const st = rng.next();
    const fee = ctx.fee > 0 && f >= 0.1 ? ctx.fee : 0;
    const resolved = ctx.month + segment <= endMonth;
    out.channel = channel;
    out.received = received;
    out.resolvedAt = resolvedAt;
    out.due = due;
    out.resolved = resolved;
    out.late = late;
    out.fee = fee;
    out.paidOnline = fee > 0 && channel === CHANNEL_ONLINE && ctx.full && p < ctx.pPay ? 1 : 0;
    out.synced = s < ctx.pSync ? 1 : 0;
    out.status = resolved ? STATUS_RETURNED : st < 0.25 ? STATUS_RECEIVED : st < 0.9 ? STATUS_PROCESSING : STATUS_SUPPLEMENT;
    out.modified = resolved ? resolvedAt : received;
    return out;
  }

  /** Segment (0, 1, 2) of index i given the cell split. */
  static segmentOf(split: Int32Array, i: number): number {
    return i < split[0] ? 0 : i < split[0] + split[1] ? 1 : 2;
  }
}

export function toRecord(ctx: CellContext, i: number, core: DossierCore): DossierRecord {
  const unit = ctx.svc.unit;
  const commune = unit.kind === 'commune';
  return {
    MaHoSo: dossierIdPrefix(ctx.svc, ctx.month) + padIndex(i),
    MaTTHC: ctx.svc.procedure.code,
    MaDonVi: unit.code,
    MaTinh: unit.provinceCode,
    MaHuyen: null,
    MaXa: commune ? unit.code : null,
    NgayTiepNhan: formatTimestamp(core.received),
    NgayHenTra: formatTimestamp(core.due),
    NgayTra: core.resolved ? formatTimestamp(core.resolvedAt) : null,
    NgayCapNhat: formatTimestamp(core.modified),
    HinhThuc: core.channel,
    TrangThaiHoSo: core.status,
    PhiLePhi: core.fee,
    ThanhToanTrucTuyen: core.paidOnline,
    DongBoDVCQG: core.synced,
  };
}
