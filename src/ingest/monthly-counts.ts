import { BinaryCopyRows } from './binary-copy.rows';

// Bound once: under jest a global lookup (Math) in a hot loop goes through the vm context (see src/simulator/ascii.writer.ts).
const { imul } = Math;

/**
 * A stored dossier's flags (the dossier table's `flags` column): the channel in the two low bits,
 * then one bit per fact the monthly statistics count. A connector maps its format to these.
 */
export const DossierFlag = {
  IN_PERSON: 1,
  ONLINE: 2,
  POSTAL: 3,
  RESOLVED_ON_TIME: 1 << 2,
  RESOLVED_LATE: 1 << 3,
  FEE: 1 << 4,
  PAID_ONLINE: 1 << 5,
  SYNCED: 1 << 6,
} as const;

/**
 * What the monthly filing statistics count, as a table: the one owner of the rule, read by the
 * SQL recount (countSql) and by the count while streaming (MonthlyCounts). Each column counts the
 * dossiers whose `flags & mask` equals `value` (mask 0: every dossier), in FILING_TABLE's order.
 */
const RULES: readonly { column: string; mask: number; value: number }[] = [
  { column: 'received', mask: 0, value: 0 },
  { column: 'received_online', mask: 3, value: DossierFlag.ONLINE },
  { column: 'received_postal', mask: 3, value: DossierFlag.POSTAL },
  { column: 'resolved_on_time', mask: DossierFlag.RESOLVED_ON_TIME, value: DossierFlag.RESOLVED_ON_TIME },
  { column: 'resolved_late', mask: DossierFlag.RESOLVED_LATE, value: DossierFlag.RESOLVED_LATE },
  { column: 'with_fee', mask: DossierFlag.FEE, value: DossierFlag.FEE },
  { column: 'paid_online', mask: DossierFlag.PAID_ONLINE, value: DossierFlag.PAID_ONLINE },
  { column: 'synced_national', mask: DossierFlag.SYNCED, value: DossierFlag.SYNCED },
];

/** The counted columns, in order. */
export const COUNTED: readonly string[] = RULES.map((r) => r.column);
const WIDTH = RULES.length;
const MASKS = Int32Array.from(RULES, (r) => r.mask);
const VALUES = Int32Array.from(RULES, (r) => r.value);

/** The counts as SQL aggregates over dossier rows aliased `alias` (count of the code, so a LEFT JOIN's empty group counts 0). */
export function countSql(alias: string): string {
  return RULES.map((r) => (r.mask === 0 ? `count(${alias}.code)` : `count(${alias}.code) FILTER (WHERE ${alias}.flags & ${r.mask} = ${r.value})`)).join(', ');
}

/**
 * Most groups one count holds: past it the count gives up (its memory freed) and the groups are
 * aggregated in SQL, so a feed's memory stays bounded whatever its history. At 44 bytes a group
 * plus 8 of hash slots, the cap is about 7 MB per feed synced at once; the national world's
 * largest first load (province 01, 328,171 dossiers) has 95,598 groups.
 */
export const MAX_GROUPS = 1 << 17;

/** A group's hash, for the slots. */
function groupHash(unitId: number, procedureId: number, month: number): number {
  let h = imul(unitId, 0x9e3779b1) ^ imul(procedureId, 0x85ebca6b) ^ imul(month, 0xc2b2ae35);
  h ^= h >>> 15;
  h = imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

/**
 * A feed's monthly filing statistics counted while its dossiers stream in, one group per
 * (unit, month, procedure): on a first load the dossier stage COPYs these groups into the fact
 * stage instead of reading every dossier back with a GROUP BY of eight filtered counts, which was
 * the second largest cost of the sync's PostgreSQL backend (460 ms of CPU for province 01's
 * 328,171 dossiers, against about 50 ms to COPY its 95,598 groups in binary).
 *
 * Typed arrays only (one Map entry per group, keyed by a double, cost about three times more
 * memory on branch dstore, where the sync's peak RSS rose by 44 MB): an open-addressing table of
 * group numbers, and per group its unit, month, procedure and eight counts.
 */
export class MonthlyCounts {
  /** Group number + 1 per slot (0: empty); a power of two, at most half full. */
  private slots = new Int32Array(1 << 12);
  private units = new Int32Array(1 << 11);
  private procedures = new Int32Array(1 << 11);
  /** The month as yyyymm01. */
  private months = new Int32Array(1 << 11);
  private counts = new Int32Array(WIDTH << 11);
  private size = 0;

  get groups(): number {
    return this.size;
  }

  /**
   * Counts one dossier (its DossierFlag bits) in its group; the receipt day is yyyymmdd. False,
   * counting nothing, once the groups would pass MAX_GROUPS: the caller drops the count and
   * aggregates in SQL.
   */
  add(unitId: number, procedureId: number, receivedDay: number, flags: number): boolean {
    const month = receivedDay - (receivedDay % 100) + 1;
    const h = groupHash(unitId, procedureId, month);
    const slots = this.slots;
    const mask = slots.length - 1;
    let at = h & mask;
    let group: number;
    for (;;) {
      const s = slots[at];
      if (s === 0) {
        if (this.size >= MAX_GROUPS) return false;
        group = this.newGroup(unitId, procedureId, month);
        if (this.slots === slots) slots[at] = group + 1;
        else this.place(group);
        break;
      }
      if (this.units[s - 1] === unitId && this.procedures[s - 1] === procedureId && this.months[s - 1] === month) {
        group = s - 1;
        break;
      }
      at = (at + 1) & mask;
    }
    const c = this.counts;
    const base = group * WIDTH;
    for (let k = 0; k < WIDTH; k++) if ((flags & MASKS[k]) === VALUES[k]) c[base + k] += 1;
    return true;
  }

  private newGroup(unitId: number, procedureId: number, month: number): number {
    const g = this.size++;
    if (g === this.units.length) {
      const grow = <T extends Int32Array>(a: T, n: number) => {
        const next = new Int32Array(n);
        next.set(a);
        return next;
      };
      this.units = grow(this.units, g * 2);
      this.procedures = grow(this.procedures, g * 2);
      this.months = grow(this.months, g * 2);
      this.counts = grow(this.counts, g * 2 * WIDTH);
    }
    this.units[g] = unitId;
    this.procedures[g] = procedureId;
    this.months[g] = month;
    // At most half full: past it the slots double and every group is placed again.
    if (this.size * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2);
      for (let i = 0; i < g; i++) this.place(i);
    }
    return g;
  }

  /** Puts group `g` in the first free slot of its probe sequence. */
  private place(g: number): void {
    const unitId = this.units[g];
    const procedureId = this.procedures[g];
    const month = this.months[g];
    const h = groupHash(unitId, procedureId, month);
    const mask = this.slots.length - 1;
    let at = h & mask;
    while (this.slots[at] !== 0) at = (at + 1) & mask;
    this.slots[at] = g + 1;
  }

  /**
   * The groups in filing_stat's key order (unit, month, procedure), so the fact insert fills the
   * key's index leaf after leaf: group numbers, sorted. Three stable counting passes (procedure,
   * then month, then unit: least significant first) over the ids' ranges; a comparator sort
   * only when a range is too wide for a count array. Why: the comparator sort was 2.8% of the
   * gateway's samples in bench:sync (2.57M groups, a closure call per comparison).
   */
  sorted(): Int32Array {
    const n = this.size;
    let order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const keys = [this.procedures, this.months, this.units];
    const ranges = keys.map((k) => rangeOf(k, n));
    if (ranges.some((r) => r.max - r.min >= MAX_COUNT_RANGE)) {
      const { units, months, procedures } = this;
      return order.sort((a, b) => units[a] - units[b] || months[a] - months[b] || procedures[a] - procedures[b]);
    }
    let spare = new Int32Array(n);
    for (let k = 0; k < keys.length; k++) {
      countingPass(order, keys[k], ranges[k].min, ranges[k].max - ranges[k].min + 1, spare);
      [order, spare] = [spare, order];
    }
    return order;
  }

  /** The distinct units of the groups. */
  unitIds(): number[] {
    return [...new Set(this.units.subarray(0, this.size))];
  }

  /** The group of (unit, procedure, month yyyymm01), or -1. */
  find(unitId: number, procedureId: number, month: number): number {
    const mask = this.slots.length - 1;
    for (let at = groupHash(unitId, procedureId, month) & mask; ; at = (at + 1) & mask) {
      const s = this.slots[at];
      if (s === 0) return -1;
      if (this.units[s - 1] === unitId && this.procedures[s - 1] === procedureId && this.months[s - 1] === month) return s - 1;
    }
  }

  /**
   * The groups `order[from]` up to `order[to - 1]` as binary COPY rows of the fact stage's
   * columns `month, unit_id, procedure_id,` then COUNTED; with `tail`, then the top-level unit of
   * the group's unit (NULL if `tail.top` has none), the source and the run (a direct COPY into
   * the fact table: copyFreshFacts).
   */
  write(rows: BinaryCopyRows, order: Int32Array, from: number, to: number, tail?: { top: ReadonlyMap<number, number>; sourceId: number; runId: number }): void {
    const c = this.counts;
    // In key order a unit's groups follow each other: its top-level unit is looked up once.
    let unit = -1;
    let top: number | undefined;
    for (let i = from; i < to; i++) {
      const g = order[i];
      rows.row(3 + WIDTH + (tail ? 3 : 0)).date(this.months[g]).int4(this.units[g]).int4(this.procedures[g]);
      for (let k = 0; k < WIDTH; k++) rows.int4(c[g * WIDTH + k]);
      if (tail) {
        if (this.units[g] !== unit) {
          unit = this.units[g];
          top = tail.top.get(unit);
        }
        if (top === undefined) rows.nul();
        else rows.int4(top);
        rows.int4(tail.sourceId).int4(tail.runId);
      }
    }
  }
}

/** Widest id range a counting pass takes (its count array: 1 MB). */
const MAX_COUNT_RANGE = 1 << 18;

/** The smallest and largest of the first `n` values of `a` (0 and 0 when n is 0). */
function rangeOf(a: Int32Array, n: number): { min: number; max: number } {
  let min = n > 0 ? a[0] : 0;
  let max = min;
  for (let i = 1; i < n; i++) {
    const v = a[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  return { min, max };
}

/** One stable counting pass: `order` rearranged by `key[group] - min` (below `range`) into `out`. */
function countingPass(order: Int32Array, key: Int32Array, min: number, range: number, out: Int32Array): void {
  const starts = new Int32Array(range + 1);
  for (let i = 0; i < order.length; i++) starts[key[order[i]] - min + 1] += 1;
  for (let k = 1; k <= range; k++) starts[k] += starts[k - 1];
  for (let i = 0; i < order.length; i++) {
    const g = order[i];
    out[starts[key[g] - min]++] = g;
  }
}
