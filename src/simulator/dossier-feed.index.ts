import { AsciiWriter } from './ascii.writer';
import { monthOfSeconds, monthYear } from './calendar.util';
import { dossierIdPrefix, newCellContext, newDossierCore, padIndex, type DossierRecord } from './dossier.generator';
import type { SimService } from './simulator.types';
import type { DossierCorrection, SimulatedWorld } from './world.model';

// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs ~100x more, which made the suite crawl.
const { floor, max, min } = Math;

/**
 * The provincial dossier feed, ordered by (NgayCapNhat, MaHoSo) ascending, served without ever
 * materialising a province's history.
 *
 * Index: every dossier's modification instant falls in a month "bucket". Bucket sizes come from
 * cell splits alone (a dossier of cell (s, m) in segment k is modified in month m+k if resolved by
 * the clock, else at receipt in month m), so a province's bucket counts and their prefix sums cost
 * one Poisson draw per (service, month). A page locates its start by prefix sums plus a binary
 * search inside one bucket, and generates only the buckets it touches (a bucket is one province-
 * month, a few thousand dossiers at national scale; recently used buckets are cached). Cost per
 * page is O(page + bucket), independent of how deep in the feed the page is.
 *
 * Buckets are columns of typed arrays, not objects: the national benchmark streams millions of
 * dossiers and per-dossier objects made garbage collection the bottleneck.
 */

/** A position in the feed: entries strictly after (t, id); id null means "from t inclusive". */
export interface FeedPosition {
  readonly t: number;
  readonly id: string | null;
}

export interface FeedPageRequest {
  readonly from: FeedPosition | null;
  /** Exclusive upper bound on NgayCapNhat. */
  readonly to: number | null;
  readonly offset: number;
  readonly size: number;
}

export interface FeedPage {
  /** Dossiers written (as JSON objects separated by commas) into the request's writer. */
  readonly count: number;
  /** Entries between `from` and `to` (the whole filtered result, all pages). */
  readonly totalElements: number;
  /** Rank of the first item within the filtered result. */
  readonly offset: number;
  readonly last: FeedPosition | null;
  /** Number and status of the k-th dossier served (a correction fault picks from these). */
  served(k: number): { MaHoSo: string; TrangThaiHoSo: number };
}

/**
 * MaHoSo is `<unit>-<yyMM>-<jjjj>-<iiiii>`: ordering by (unit code as a string, month, j, i) is
 * exactly the string order of MaHoSo ('-' sorts before digits, so a code that prefixes another
 * sorts first), so sorting uses this number instead of comparing strings.
 */
function tieKey(unitRank: number, month: number, localIndex: number, i: number): number {
  return ((unitRank * 200 + month) * 10_000 + localIndex) * 100_000 + i;
}

// Flag bits of a bucket slot.
const F_CHANNEL = 0b11;
const F_STATUS_SHIFT = 2;
const F_RESOLVED = 1 << 5;
const F_PAID = 1 << 6;
const F_SYNCED = 1 << 7;

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const B_NGAY_HEN_TRA = ascii('","NgayHenTra":"');
const B_NGAY_TRA = ascii('","NgayTra":"');
const B_NGAY_CAP_NHAT = ascii('","NgayCapNhat":"');
const B_NO_NGAY_TRA = ascii('","NgayTra":null,"NgayCapNhat":"');
/** `","HinhThuc":c,"TrangThaiHoSo":s,"PhiLePhi":` for every (channel, status): one copy instead of five. */
const B_CODES: Uint8Array[] = [];
for (let c = 0; c < 4; c++) for (let st = 0; st < 8; st++) B_CODES[c * 8 + st] = ascii(`","HinhThuc":${c},"TrangThaiHoSo":${st},"PhiLePhi":`);
/** The record's tail for every (paid, synced). */
const B_TAIL: Uint8Array[] = [0, 1, 2, 3].map((v) => ascii(`,"ThanhToanTrucTuyen":${v & 1},"DongBoDVCQG":${v >> 1}}`));

/** Constant JSON pieces of one service's dossiers, encoded once. */
interface ServiceBytes {
  /** `{"MaHoSo":"<unit>-` */
  readonly head: Uint8Array;
  /** `-<jjjj>-` */
  readonly local: Uint8Array;
  /** `","MaTTHC":"...","NgayTiepNhan":"` */
  readonly mid: Uint8Array;
}

function serviceBytes(svc: SimService): ServiceBytes {
  const unit = svc.unit;
  return {
    head: ascii(`{"MaHoSo":"${unit.code}-`),
    local: ascii(`-${String(svc.localIndex).padStart(4, '0')}-`),
    mid: ascii(
      `","MaTTHC":"${svc.procedure.code}","MaDonVi":"${unit.code}","MaTinh":"${unit.provinceCode}","MaHuyen":null,` +
        `"MaXa":${unit.kind === 'commune' ? `"${unit.code}"` : 'null'},"NgayTiepNhan":"`,
    ),
  };
}

/** One month of a province's feed, sorted. Slot data in columns; `order` maps rank → slot. */
class Bucket {
  readonly order: Uint32Array;
  readonly t: Int32Array;
  readonly k: Float64Array;
  readonly received: Int32Array;
  readonly resolvedAt: Int32Array;
  readonly due: Int32Array;
  readonly fee: Int32Array;
  readonly index: Int32Array;
  /** Province-local service index, or -1 - correction number for corrected versions. */
  readonly service: Int32Array;
  readonly month: Uint8Array;
  readonly flags: Uint8Array;
  readonly records: DossierRecord[] = [];
  size = 0;

  constructor(
    capacity: number,
    private readonly feed: ProvinceFeed,
  ) {
    this.order = new Uint32Array(capacity);
    this.t = new Int32Array(capacity);
    this.k = new Float64Array(capacity);
    this.received = new Int32Array(capacity);
    this.resolvedAt = new Int32Array(capacity);
    this.due = new Int32Array(capacity);
    this.fee = new Int32Array(capacity);
    this.index = new Int32Array(capacity);
    this.service = new Int32Array(capacity);
    this.month = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  sort(): void {
    const { order, t, k } = this;
    for (let i = 0; i < this.size; i++) order[i] = i;
    order.sort((a, b) => t[a] - t[b] || k[a] - k[b]);
  }

  /** MaHoSo of a slot. */
  id(slot: number): string {
    const s = this.service[slot];
    if (s < 0) return this.records[-1 - s].MaHoSo;
    return dossierIdPrefix(this.feed.services[s], this.month[slot]) + padIndex(this.index[slot]);
  }

  status(slot: number): number {
    return (this.flags[slot] >> F_STATUS_SHIFT) & 0b111;
  }

  /** Writes the slot as JSON, byte-identical to JSON.stringify of its DossierRecord. */
  write(slot: number, w: AsciiWriter): void {
    const s = this.service[slot];
    if (s < 0) {
      w.utf8(JSON.stringify(this.records[-1 - s]));
      return;
    }
    const bytes = this.feed.bytesOf(s);
    const f = this.flags[slot];
    const i = this.index[slot];
    const { year, month } = monthYear(this.month[slot]);
    const yy = year % 100;
    w.bytes(bytes.head);
    w.byte(48 + floor(yy / 10)).byte(48 + (yy % 10)).byte(48 + floor(month / 10)).byte(48 + (month % 10));
    w.bytes(bytes.local);
    w.byte(48 + floor(i / 10_000)).byte(48 + (floor(i / 1000) % 10)).byte(48 + (floor(i / 100) % 10));
    w.byte(48 + (floor(i / 10) % 10)).byte(48 + (i % 10));
    w.bytes(bytes.mid).timestamp(this.received[slot]).bytes(B_NGAY_HEN_TRA).timestamp(this.due[slot]);
    if (f & F_RESOLVED) w.bytes(B_NGAY_TRA).timestamp(this.resolvedAt[slot]).bytes(B_NGAY_CAP_NHAT);
    else w.bytes(B_NO_NGAY_TRA);
    w.timestamp(this.t[slot]).bytes(B_CODES[(f & F_CHANNEL) * 8 + ((f >> F_STATUS_SHIFT) & 0b111)]).uint(this.fee[slot]);
    w.bytes(B_TAIL[(f & F_PAID ? 1 : 0) | (f & F_SYNCED ? 2 : 0)]);
  }
}

/** Per-province clock-independent cell table, plus clock-dependent bucket counts. */
class ProvinceFeed {
  /** Packed [serviceIndex, n0, n1, n2] per non-empty cell, one array per month received. */
  private readonly monthCells: Int32Array[] = [];
  private countsVersion = '';
  private counts = new Float64Array(0);
  private prefix = new Float64Array(1);
  private readonly unitRanks: ReadonlyMap<string, number>;
  private readonly bytes: (ServiceBytes | undefined)[] = [];

  constructor(
    private readonly world: SimulatedWorld,
    readonly code: string,
    readonly services: readonly SimService[],
  ) {
    const codes = [...new Set(services.map((s) => s.unit.code))].sort();
    this.unitRanks = new Map(codes.map((c, rank) => [c, rank]));
  }

  bytesOf(s: number): ServiceBytes {
    let b = this.bytes[s];
    if (b === undefined) {
      b = serviceBytes(this.services[s]);
      this.bytes[s] = b;
    }
    return b;
  }

  cells(month: number): Int32Array {
    let cells = this.monthCells[month];
    if (cells) return cells;
    const model = this.world.dossiers;
    const packed: number[] = [];
    for (let s = 0; s < this.services.length; s++) {
      const svc = this.services[s];
      if (month < svc.firstMonth || month > svc.lastMonth) continue;
      const split = model.cellSplit(svc, month);
      if (split[0] + split[1] + split[2] > 0) packed.push(s, split[0], split[1], split[2]);
    }
    cells = Int32Array.from(packed);
    this.monthCells[month] = cells;
    return cells;
  }

  /** Buckets 0..endMonth+1 (the last one holds corrections stamped after the clock). */
  ensureCounts(): void {
    const version = this.world.feedVersion(this.code);
    if (version === this.countsVersion) return;
    const end = this.world.endMonth;
    const counts = new Float64Array(end + 2);
    for (let m = 0; m <= end; m++) {
      const cells = this.cells(m);
      for (let c = 0; c < cells.length; c += 4) {
        counts[m] += cells[c + 1];
        counts[m + 1 <= end ? m + 1 : m] += cells[c + 2];
        counts[m + 2 <= end ? m + 2 : m] += cells[c + 3];
      }
    }
    for (const corr of this.world.correctionsOf(this.code).values()) {
      counts[corr.originalMonth] -= 1;
      counts[monthOfSeconds(corr.modified)] += 1;
    }
    const prefix = new Float64Array(counts.length + 1);
    for (let m = 0; m < counts.length; m++) prefix[m + 1] = prefix[m] + counts[m];
    this.counts = counts;
    this.prefix = prefix;
    this.countsVersion = version;
  }

  get total(): number {
    return this.prefix[this.prefix.length - 1];
  }

  get bucketCount(): number {
    return this.counts.length;
  }

  bucketSize(month: number): number {
    return this.counts[month];
  }

  bucketStart(month: number): number {
    return this.prefix[month];
  }

  /** The bucket holding global rank r (prefix sums, binary search). */
  bucketOfRank(rank: number): number {
    let lo = 0;
    let hi = this.counts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.prefix[mid] <= rank) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Generates and sorts every dossier whose current modification instant falls in `month`. */
  materialize(month: number): Bucket {
    const world = this.world;
    const model = world.dossiers;
    const end = world.endMonth;
    const corrections = world.correctionsOf(this.code);
    const skip = corrections.size > 0 ? corrections : null;
    const b = new Bucket(this.counts[month], this);
    const core = newDossierCore();
    const ctx = newCellContext();
    const emit = (s: number, m: number, from: number, to: number, segment: number): void => {
      const svc = this.services[s];
      model.fillCellContext(svc, m, ctx);
      const keyBase = tieKey(this.unitRanks.get(svc.unit.code) as number, m, svc.localIndex, 0);
      const idPrefix = skip !== null ? dossierIdPrefix(svc, m) : '';
      for (let i = from; i < to; i++) {
        if (skip !== null && skip.has(idPrefix + padIndex(i))) continue;
        model.generate(ctx, i, segment, end, core);
        const slot = b.size++;
        b.t[slot] = core.modified;
        b.k[slot] = keyBase + i;
        b.received[slot] = core.received;
        b.resolvedAt[slot] = core.resolvedAt;
        b.due[slot] = core.due;
        b.fee[slot] = core.fee;
        b.index[slot] = i;
        b.service[slot] = s;
        b.month[slot] = m;
        b.flags[slot] =
          core.channel |
          (core.status << F_STATUS_SHIFT) |
          (core.resolved ? F_RESOLVED : 0) |
          (core.paidOnline ? F_PAID : 0) |
          (core.synced ? F_SYNCED : 0);
      }
    };
    if (month <= end) {
      // Resolved this month: segment k of the cells received k months earlier.
      for (let k = 0; k <= 2; k++) {
        const m = month - k;
        if (m < 0) continue;
        const cells = this.cells(m);
        for (let c = 0; c < cells.length; c += 4) {
          const n = cells[c + 1 + k];
          if (n === 0) continue;
          const start = k === 0 ? 0 : k === 1 ? cells[c + 1] : cells[c + 1] + cells[c + 2];
          emit(cells[c], m, start, start + n, k);
        }
      }
      // Received this month and still open at the clock: listed at their receipt.
      if (month >= end - 1) {
        const cells = this.cells(month);
        for (let c = 0; c < cells.length; c += 4) {
          const n0 = cells[c + 1];
          const n1 = cells[c + 2];
          const n2 = cells[c + 3];
          if (month + 1 > end && n1 > 0) emit(cells[c], month, n0, n0 + n1, 1);
          if (month + 2 > end && n2 > 0) emit(cells[c], month, n0 + n1, n0 + n1 + n2, 2);
        }
      }
    }
    for (const corr of corrections.values()) {
      if (monthOfSeconds(corr.modified) === month) this.addCorrection(b, corr);
    }
    if (b.size !== this.counts[month]) {
      throw new Error(`feed index mismatch for ${this.code} bucket ${month}: ${b.size} != ${this.counts[month]}`);
    }
    b.sort();
    return b;
  }

  private addCorrection(b: Bucket, corr: DossierCorrection): void {
    const idn = this.world.identify(corr.maHoSo);
    if (!idn) throw new Error(`correction of unknown dossier ${corr.maHoSo}`);
    const slot = b.size++;
    b.records.push(corr.record);
    b.t[slot] = corr.modified;
    b.k[slot] = tieKey(this.unitRanks.get(idn.service.unit.code) as number, idn.month, idn.service.localIndex, idn.index);
    b.service[slot] = -b.records.length;
    b.flags[slot] = corr.record.TrangThaiHoSo << F_STATUS_SHIFT;
  }
}

/** Bucket cache shared by all provinces (LRU). */
const BUCKET_CACHE_SIZE = 64;
/** Province cell tables kept (each is ~1 MB at national scale). */
const PROVINCE_CACHE_SIZE = 40;

export class DossierFeed {
  private readonly provinces = new Map<string, ProvinceFeed>();
  private readonly buckets = new Map<string, { version: string; bucket: Bucket }>();

  constructor(private readonly world: SimulatedWorld) {}

  /** Drops cached buckets (clock moved, or a province got a correction). */
  invalidate(provinceCode?: string): void {
    if (provinceCode === undefined) {
      this.buckets.clear();
      return;
    }
    for (const key of [...this.buckets.keys()]) if (key.startsWith(`${provinceCode}:`)) this.buckets.delete(key);
  }

  hasProvince(code: string): boolean {
    return this.world.hasFeed(code);
  }

  private province(code: string): ProvinceFeed {
    let p = this.provinces.get(code);
    if (p) {
      this.provinces.delete(code);
      this.provinces.set(code, p);
    } else {
      const services = this.world.servicesOfProvince(code);
      if (!this.world.hasFeed(code)) throw new Error(`no one-stop feed for province ${code}`);
      p = new ProvinceFeed(this.world, code, services);
      this.provinces.set(code, p);
      if (this.provinces.size > PROVINCE_CACHE_SIZE) this.provinces.delete(this.provinces.keys().next().value as string);
    }
    p.ensureCounts();
    return p;
  }

  private bucket(p: ProvinceFeed, month: number): Bucket {
    const key = `${p.code}:${month}`;
    const version = this.world.feedVersion(p.code);
    const hit = this.buckets.get(key);
    if (hit && hit.version === version) {
      this.buckets.delete(key);
      this.buckets.set(key, hit);
      return hit.bucket;
    }
    const bucket = p.materialize(month);
    this.buckets.set(key, { version, bucket });
    if (this.buckets.size > BUCKET_CACHE_SIZE) this.buckets.delete(this.buckets.keys().next().value as string);
    return bucket;
  }

  /** Number of entries strictly before the position. */
  private rankOf(p: ProvinceFeed, pos: FeedPosition): number {
    const month = monthOfSeconds(pos.t);
    if (month < 0) return 0;
    if (month >= p.bucketCount) return p.total;
    const base = p.bucketStart(month);
    if (p.bucketSize(month) === 0) return base;
    const b = this.bucket(p, month);
    let lo = 0;
    let hi = b.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const slot = b.order[mid];
      const t = b.t[slot];
      // Ties on NgayCapNhat compare MaHoSo as plain strings (ASCII order), as documented.
      const before = t < pos.t || (t === pos.t && pos.id !== null && b.id(slot) <= pos.id);
      if (before) lo = mid + 1;
      else hi = mid;
    }
    return base + lo;
  }

  /** Total dossiers in a province's feed right now (a corrected dossier counts once, at its new place). */
  total(code: string): number {
    return this.province(code).total;
  }

  /** Writes the page's dossiers into `out` (comma-separated JSON objects) and describes it. */
  page(code: string, req: FeedPageRequest, out: AsciiWriter): FeedPage {
    const p = this.province(code);
    const start = req.from ? this.rankOf(p, req.from) : 0;
    const end = req.to !== null ? max(start, this.rankOf(p, { t: req.to, id: null })) : p.total;
    const first = min(end, start + req.offset);
    const stop = min(end, first + req.size);
    const used: Bucket[] = [];
    const bucketOf = new Uint16Array(stop - first);
    const slotOf = new Uint32Array(stop - first);
    let count = 0;
    let rank = first;
    while (rank < stop) {
      const month = p.bucketOfRank(rank);
      const b = this.bucket(p, month);
      used.push(b);
      let idx = rank - p.bucketStart(month);
      while (idx < b.size && rank < stop) {
        const slot = b.order[idx++];
        if (count > 0) out.byte(0x2c);
        b.write(slot, out);
        bucketOf[count] = used.length - 1;
        slotOf[count] = slot;
        count++;
        rank++;
      }
    }
    const lastBucket = count > 0 ? used[bucketOf[count - 1]] : null;
    const lastSlot = count > 0 ? slotOf[count - 1] : 0;
    return {
      count,
      totalElements: end - start,
      offset: first - start,
      last: lastBucket ? { t: lastBucket.t[lastSlot], id: lastBucket.id(lastSlot) } : null,
      served: (k: number) => {
        const b = used[bucketOf[k]];
        return { MaHoSo: b.id(slotOf[k]), TrangThaiHoSo: b.status(slotOf[k]) };
      },
    };
  }

  /** Convenience for tests and tools: a page as parsed records. */
  records(code: string, req: FeedPageRequest): { page: FeedPage; records: DossierRecord[] } {
    const w = new AsciiWriter();
    w.byte(0x5b);
    const page = this.page(code, req, w);
    w.byte(0x5d);
    return { page, records: JSON.parse(w.toBuffer().toString('utf8')) as DossierRecord[] };
  }
}
