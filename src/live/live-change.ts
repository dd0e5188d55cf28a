import { FactType } from '../provenance/fact-revision.entity';

/**
 * What one or more commits changed, as the database's NOTIFY says it
 * (migrations/Migration20261215000000_live_updates.ts owns the payload; this reads it).
 * `null` means "every" (every unit, every month) or "not known at that grain": a listener then
 * treats the change as touching whatever it asked about.
 */
export interface KindChange {
  /** Top-level units (province or ministry ids), as reported and today; null: every unit. */
  l1s: Set<number> | null;
  /** Months changed ("YYYY-MM"): filings only; null with range null: not by month (stocks, or every month). */
  months: Set<string> | null;
  /** First and last month, when the list was too long for NOTIFY (coarsened). */
  range: [string, string] | null;
}

export interface LiveChange {
  /** The data version after the last commit covered (src/cache/data-version.ts). */
  version: string;
  /** Commits covered: more than one when they came in a burst and were coalesced. */
  commits: number;
  /** The listening connection was lost and re-established: commits may have gone unheard, so everything counts as changed. */
  missed: boolean;
  figures: Map<FactType, KindChange>;
  /** Codes of sources whose status or freshness changed; null: some (too many to list), or unknown after a loss. */
  sources: Set<string> | null;
}

const KINDS = new Set<string>(Object.values(FactType));
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Reads a dvc_live payload; undefined for one this version does not understand (logged by the caller). */
export function parseLiveChange(payload: string): LiveChange | undefined {
  let raw: { v?: unknown; f?: Record<string, { u?: unknown; m?: unknown; r?: unknown }>; s?: unknown };
  try {
    raw = JSON.parse(payload) as typeof raw;
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || typeof raw.v !== 'string' || !/^\d+$/.test(raw.v)) return undefined;
  const figures = new Map<FactType, KindChange>();
  for (const [kind, c] of Object.entries(raw.f ?? {})) {
    // A kind added by a later migration, unknown to this process: every figure of it may have changed, which nobody here asks about.
    if (!KINDS.has(kind) || typeof c !== 'object' || c === null) continue;
    const l1s = Array.isArray(c.u) ? new Set(c.u.filter((x): x is number => Number.isInteger(x))) : null;
    const months = Array.isArray(c.m) ? new Set(c.m.filter((x): x is string => typeof x === 'string' && MONTH.test(x))) : null;
    const r = Array.isArray(c.r) && c.r.length === 2 && c.r.every((x) => typeof x === 'string' && MONTH.test(x)) ? (c.r as [string, string]) : null;
    figures.set(kind as FactType, { l1s, months, range: months ? null : r });
  }
  const sources = Array.isArray(raw.s) ? new Set(raw.s.filter((x): x is string => typeof x === 'string')) : null;
  return { version: raw.v, commits: 1, missed: false, figures, sources };
}

/** Everything may have changed (after a lost connection): every kind, unit and month, every source. */
export function everythingChanged(version: string): LiveChange {
  const figures = new Map<FactType, KindChange>();
  for (const k of Object.values(FactType)) figures.set(k, { l1s: null, months: null, range: null });
  return { version, commits: 1, missed: true, figures, sources: null };
}

const union = <T>(a: Set<T> | null, b: Set<T> | null): Set<T> | null => (a && b ? new Set([...a, ...b]) : null);

function rangeOf(c: KindChange): [string, string] | null {
  if (c.range) return c.range;
  if (!c.months || c.months.size === 0) return null;
  const sorted = [...c.months].sort();
  return [sorted[0], sorted[sorted.length - 1]];
}

function mergeKind(a: KindChange, b: KindChange): KindChange {
  const l1s = union(a.l1s, b.l1s);
  // "Not by month" absorbs; two lists merge; a list and a range widen to one range.
  if ((!a.months && !a.range) || (!b.months && !b.range)) return { l1s, months: null, range: null };
  if (a.months && b.months) return { l1s, months: union(a.months, b.months), range: null };
  const [ra, rb] = [rangeOf(a), rangeOf(b)];
  if (!ra || !rb) return { l1s, months: null, range: ra ?? rb };
  return { l1s, months: null, range: [ra[0] < rb[0] ? ra[0] : rb[0], ra[1] > rb[1] ? ra[1] : rb[1]] };
}

/** The change of `a` then `b` (coalescing a burst): unions, the later version, commits added. */
export function mergeChanges(a: LiveChange, b: LiveChange): LiveChange {
  const figures = new Map(a.figures);
  for (const [k, c] of b.figures) {
    const prev = figures.get(k);
    figures.set(k, prev ? mergeKind(prev, c) : c);
  }
  return {
    version: BigInt(b.version) >= BigInt(a.version) ? b.version : a.version,
    commits: a.commits + b.commits,
    missed: a.missed || b.missed,
    figures,
    sources: union(a.sources, b.sources),
  };
}

/** What a figuresChanged subscriber asked about, resolved: kinds, top-level units (null: all) and months (either end open). */
export interface FiguresInterest {
  kinds: Set<FactType>;
  l1s: Set<number> | null;
  from?: string;
  to?: string;
}

/** One kind's change as a subscriber sees it: units and months narrowed to what it asked about. */
export interface SeenKindChange {
  kind: FactType;
  /** null: every unit. */
  l1s: number[] | null;
  /** null: not listed (stocks, every month, or coarsened: see range). */
  months: string[] | null;
  range: [string, string] | null;
}

const inPeriod = (m: string, i: FiguresInterest) => (!i.from || m >= i.from) && (!i.to || m <= i.to);

/** The part of `change` that concerns `interest` (empty: nothing it asked about changed). */
export function figuresSeen(change: LiveChange, interest: FiguresInterest): SeenKindChange[] {
  const seen: SeenKindChange[] = [];
  for (const [kind, c] of change.figures) {
    if (!interest.kinds.has(kind)) continue;
    let l1s: number[] | null = null;
    if (c.l1s && interest.l1s) {
      l1s = [...c.l1s].filter((id) => interest.l1s!.has(id)).sort((x, y) => x - y);
      if (l1s.length === 0) continue;
    } else if (c.l1s) {
      l1s = [...c.l1s].sort((x, y) => x - y);
    }
    let months: string[] | null = null;
    let range: [string, string] | null = null;
    if (c.months) {
      months = [...c.months].filter((m) => inPeriod(m, interest)).sort();
      if (months.length === 0) continue;
      range = [months[0], months[months.length - 1]];
    } else if (c.range) {
      const from = interest.from && interest.from > c.range[0] ? interest.from : c.range[0];
      const to = interest.to && interest.to < c.range[1] ? interest.to : c.range[1];
      if (from > to) continue;
      range = [from, to];
    }
    seen.push({ kind, l1s, months, range });
  }
  return seen;
}

/** Codes of the changed sources that concern a subscriber (one code, or every one); null: some, not listed (load them all). */
export function sourcesSeen(change: LiveChange, code: string | undefined): string[] | null {
  if (!change.sources) return code ? [code] : null;
  const codes = [...change.sources].sort();
  return code ? codes.filter((c) => c === code) : codes;
}
