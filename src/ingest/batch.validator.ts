import { currentMonth, defaultYearRange, isFutureMonth, yearOf, yearProblem, YearRange } from '../common/calendar';
import { controlCharacterProblem } from '../common/control-characters';
import { FieldProblem } from '../common/errors';
import { LEVELS, LevelTaxonomy } from '../services/service-level.entity';
import { ProcedureTier } from '../procedures/procedure.entity';
import { Indicator } from '../plans/target.entity';
import { parsePublishedPeriod, PUBLISHABLE_INDICATORS, publishedDating, PublishedPeriod } from '../published/published-period';
import { Index766Weights, loadIndex766Weights, scoreComponents } from '../index766/index766-weights';
import { Batch, batchSize, FILING_COUNTS, PublishedIndexScoreRow, PublishedIndicatorRow, SECTIONS } from './batch';
import { ProblemList } from './ingest-problems';

export { MAX_PROBLEMS } from './ingest-problems';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const ROW = /^(\w+)\[(\d+)\]/;

export function isDate(v: unknown): v is string {
  if (typeof v !== 'string' || !DATE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** The problem list, plus the rows that have one (the ingest core stages only the others, and still resolves them). */
class Problems extends ProblemList {
  readonly rows = new Map<string, Set<number>>();
  override add(field: string, reason: string): void {
    super.add(field, reason);
    const m = ROW.exec(field);
    if (!m) return;
    const set = this.rows.get(m[1]) ?? new Set<number>();
    set.add(Number(m[2]));
    this.rows.set(m[1], set);
  }
}

/** What the batch rules found: the problems (first MAX_PROBLEMS), their total, and per section the rows that have one. */
export interface ValidationResult {
  problems: FieldProblem[];
  total: number;
  badRows: Map<string, Set<number>>;
}

function text(p: Problems, at: string, v: unknown, max: number, required = true): boolean {
  if (v === undefined || v === null || v === '') {
    if (required) p.add(at, 'is required');
    return !required;
  }
  if (typeof v !== 'string') return p.add(at, 'must be a string'), false;
  if (v.length > max) return p.add(at, `is longer than ${max} characters`), false;
  const control = controlCharacterProblem(v);
  if (control) return p.add(at, control), false;
  return true;
}

function count(p: Problems, at: string, v: unknown, required: boolean): boolean {
  if (v === undefined || v === null) {
    if (required) p.add(at, 'is required');
    return !required;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) return p.add(at, `must be a whole number, got ${JSON.stringify(v)}`), false;
  if (v < 0) return p.add(at, `must not be negative, got ${v}`), false;
  if (v > 2_000_000_000) return p.add(at, 'is too large'), false;
  return true;
}

function optionalBool(p: Problems, at: string, v: unknown): void {
  if (v !== undefined && v !== null && typeof v !== 'boolean') p.add(at, 'must be true or false');
}

function date(p: Problems, at: string, v: unknown, required: boolean, years: YearRange): void {
  if (v === undefined || v === null || v === '') {
    if (required) p.add(at, 'is required');
    return;
  }
  if (!isDate(v)) return p.add(at, `must be a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  const bad = yearProblem(yearOf(v), years);
  if (bad) p.add(at, bad);
}

/** A filing month: real, in the sane year range, and not after the current month (Asia/Ho_Chi_Minh): figures of a month to come are a typo. */
function month(p: Problems, at: string, v: unknown, years: YearRange, thisMonth: string): void {
  if (typeof v !== 'string' || !MONTH.test(v)) return p.add(at, `must be a month YYYY-MM, got ${JSON.stringify(v)}`);
  const bad = yearProblem(yearOf(v), years);
  if (bad) return p.add(at, bad);
  if (isFutureMonth(v, thisMonth)) p.add(at, `month ${v} has not ended yet (it is after the current month in Asia/Ho_Chi_Minh)`);
}

/** Flags rows whose natural key repeats within the batch (naming each repeat and its first place). */
function duplicates<T>(p: Problems, section: string, rows: T[], keyOf: (r: T) => string | undefined): void {
  const seen = new Map<string, number>();
  rows.forEach((r, i) => {
    const k = keyOf(r);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined) p.add(`${section}[${i}]`, `duplicates ${section}[${first}] (same key ${k})`);
    else seen.set(k, i);
  });
}

export interface ValidationLimits {
  maxRows: number;
  /** Years accepted in dates, months and plan years (config MIN_YEAR / MAX_YEAR); the default configuration's when absent. */
  years?: YearRange;
  /** The instant "the current month" is taken at; now unless a test fixes it. */
  now?: Date;
}

/**
 * Checks a batch's shape and the rules each row must obey on its own (no database needed):
 * required fields, types, counts, dates, levels in their taxonomy, duplicates. References
 * (unit and procedure codes) and scope are checked by the ingest core (IngestSession) against the database.
 */
export function validateBatch(batch: unknown, limits: ValidationLimits): ValidationResult {
  const p = new Problems();
  const thisMonth = currentMonth(limits.now);
  const years = limits.years ?? defaultYearRange();
  if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) {
    p.add('batch', 'must be an object with sections ' + SECTIONS.join(', '));
    return { problems: p.list, total: p.total, badRows: p.rows };
  }
  const b = batch as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!(SECTIONS as readonly string[]).includes(k)) p.add(k, `is not a section (expected ${SECTIONS.join(', ')})`);
  }
  for (const s of SECTIONS) {
    if (b[s] !== undefined && b[s] !== null && !Array.isArray(b[s])) p.add(s, 'must be a list');
  }
  if (p.total > 0) return { problems: p.list, total: p.total, badRows: p.rows };
  const typed = b as Batch;
  const size = batchSize(typed);
  if (size === 0) p.add('batch', 'is empty: no rows in any section');
  if (size > limits.maxRows) p.add('batch', `has ${size} rows, more than the limit of ${limits.maxRows}: split it`);
  if (p.total > 0) return { problems: p.list, total: p.total, badRows: p.rows };

  const tiers = Object.values(ProcedureTier) as string[];
  const taxonomies = Object.values(LevelTaxonomy) as string[];

  (typed.sectors ?? []).forEach((r, i) => {
    const at = `sectors[${i}]`;
    if (!isObject(p, at, r)) return;
    text(p, `${at}.code`, r.code, 64);
    text(p, `${at}.name`, r.name, 500);
  });
  duplicates(p, 'sectors', typed.sectors ?? [], (r) => (isRecord(r) ? String(r.code) : undefined));

  (typed.procedures ?? []).forEach((r, i) => {
    const at = `procedures[${i}]`;
    if (!isObject(p, at, r)) return;
    text(p, `${at}.code`, r.code, 32);
    text(p, `${at}.name`, r.name, 2000);
    text(p, `${at}.sector`, r.sector, 64);
    if (!tiers.includes(r.tier)) p.add(`${at}.tier`, `must be one of ${tiers.join(', ')}, got ${JSON.stringify(r.tier)}`);
    optionalBool(p, `${at}.eligibleFullOnline`, r.eligibleFullOnline);
    optionalBool(p, `${at}.essential`, r.essential);
  });
  duplicates(p, 'procedures', typed.procedures ?? [], (r) => (isRecord(r) ? String(r.code) : undefined));

  (typed.services ?? []).forEach((r, i) => {
    const at = `services[${i}]`;
    if (!isObject(p, at, r)) return;
    text(p, `${at}.unit`, r.unit, 32);
    text(p, `${at}.procedure`, r.procedure, 32);
    date(p, `${at}.from`, r.from, true, years);
    optionalBool(p, `${at}.integratedNational`, r.integratedNational);
    if (!taxonomies.includes(r.taxonomy)) {
      p.add(`${at}.taxonomy`, `must be one of ${taxonomies.join(', ')}, got ${JSON.stringify(r.taxonomy)}`);
    } else if (!LEVELS[r.taxonomy as LevelTaxonomy].includes(String(r.level))) {
      p.add(`${at}.level`, `level ${JSON.stringify(r.level)} does not exist in ${r.taxonomy} (allowed: ${LEVELS[r.taxonomy as LevelTaxonomy].join(', ')})`);
    }
  });
  duplicates(p, 'services', typed.services ?? [], (r) => (isRecord(r) ? `${r.unit}/${r.procedure}/${r.from}` : undefined));

  (typed.filings ?? []).forEach((r, i) => {
    const at = `filings[${i}]`;
    if (!isObject(p, at, r)) return;
    text(p, `${at}.unit`, r.unit, 32);
    text(p, `${at}.procedure`, r.procedure, 32);
    month(p, `${at}.month`, r.month, years, thisMonth);
    let ok = true;
    for (const c of FILING_COUNTS) ok = count(p, `${at}.${c}`, r[c], c === 'received' || c === 'receivedOnline') && ok;
    if (!ok) return;
    const received = r.received;
    const online = r.receivedOnline;
    const postal = r.receivedPostal ?? 0;
    if (online > received) p.add(`${at}.receivedOnline`, `${online} online is more than ${received} received`);
    else if (online + postal > received) p.add(`${at}.receivedPostal`, `online ${online} + postal ${postal} is more than ${received} received`);
    const resolved = (r.resolvedOnTime ?? 0) + (r.resolvedLate ?? 0);
    if (resolved > received) p.add(`${at}.resolvedOnTime`, `resolved (on time + late = ${resolved}) is more than ${received} received`);
    if ((r.withFee ?? 0) > received) p.add(`${at}.withFee`, `${r.withFee} with a fee is more than ${received} received`);
    if ((r.paidOnline ?? 0) > (r.withFee ?? 0)) p.add(`${at}.paidOnline`, `${r.paidOnline} paid online is more than ${r.withFee ?? 0} with a fee`);
    if ((r.syncedNational ?? 0) > received) p.add(`${at}.syncedNational`, `${r.syncedNational} synced is more than ${received} received`);
  });
  duplicates(p, 'filings', typed.filings ?? [], (r) => (isRecord(r) ? `${r.unit}/${r.procedure}/${r.month}` : undefined));

  (typed.plans ?? []).forEach((r, i) => {
    const at = `plans[${i}]`;
    if (!isObject(p, at, r)) return;
    text(p, `${at}.unit`, r.unit, 32);
    if (typeof r.year !== 'number' || !Number.isInteger(r.year)) p.add(`${at}.year`, `must be a whole number, got ${JSON.stringify(r.year)}`);
    else {
      const bad = yearProblem(r.year, years);
      if (bad) p.add(`${at}.year`, bad);
    }
    text(p, `${at}.documentNumber`, r.documentNumber, 64, false);
    text(p, `${at}.title`, r.title, 2000, false);
    date(p, `${at}.issuedOn`, r.issuedOn, false, years);
    date(p, `${at}.dueOn`, r.dueOn, false, years);
    if (r.issuedOn && !r.documentNumber) p.add(`${at}.documentNumber`, 'is required when issuedOn is given');
  });
  duplicates(p, 'plans', typed.plans ?? [], (r) => (isRecord(r) ? `${r.unit}/${r.year}` : undefined));

  (typed.publishedIndicators ?? []).forEach((r, i) => publishedIndicator(p, `publishedIndicators[${i}]`, r, years, thisMonth));
  duplicates(p, 'publishedIndicators', typed.publishedIndicators ?? [], (r) =>
    (isRecord(r) ? `${r.unit}/${r.indicator}/${r.period ?? r.date}/${r.documentNumber}` : undefined));

  if (typed.publishedIndexScores?.length) {
    const weights = loadIndex766Weights();
    typed.publishedIndexScores.forEach((r, i) => publishedIndexScore(p, `publishedIndexScores[${i}]`, r, years, thisMonth, weights));
    duplicates(p, 'publishedIndexScores', typed.publishedIndexScores, (r) => (isRecord(r) ? `${r.unit}/${r.period}/${r.component}` : undefined));
  }

  return { problems: p.list, total: p.total, badRows: p.rows };
}

const URL_TEXT = /^https?:\/\/[^\s]+$/i;

/**
 * A published figure: a publishable indicator, dated as its kind requires (a period for flows, a
 * date for stocks; docs/index-766.md), a fraction, and the document (number and date required;
 * a document dated before the period began cannot have published it).
 */
function publishedIndicator(p: Problems, at: string, r: PublishedIndicatorRow, years: YearRange, thisMonth: string): void {
  if (!isObject(p, at, r)) return;
  text(p, `${at}.unit`, r.unit, 32);
  const dating = PUBLISHABLE_INDICATORS.includes(r.indicator as Indicator) ? publishedDating(r.indicator as Indicator) : undefined;
  if (!dating) p.add(`${at}.indicator`, `must be one of ${PUBLISHABLE_INDICATORS.join(', ')}, got ${JSON.stringify(r.indicator)}`);
  let start: string | undefined;
  if (dating === 'period') {
    if (r.date !== undefined && r.date !== null) p.add(`${at}.date`, `${r.indicator} is published for a period (a flow): give period, not date`);
    start = publishedPeriod(p, `${at}.period`, r.period, years, thisMonth)?.start;
  } else if (dating === 'date') {
    if (r.period !== undefined && r.period !== null) p.add(`${at}.period`, `${r.indicator} is published on a date (a stock): give date, not period`);
    if (r.date === undefined || r.date === null || r.date === '') p.add(`${at}.date`, 'is required: YYYY-MM-DD');
    else {
      const before = p.total;
      date(p, `${at}.date`, r.date, true, years);
      if (p.total === before) start = r.date;
    }
  }
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) p.add(`${at}.value`, `must be a number, got ${JSON.stringify(r.value)}`);
  else if (r.value < 0 || r.value > 1) p.add(`${at}.value`, `must be a fraction from 0 to 1 (0.85 for 85%), got ${r.value}`);
  else if (Math.abs(Math.round(r.value * 1e6) - r.value * 1e6) > 1e-6) p.add(`${at}.value`, `has more than 6 decimals: ${r.value}`);
  text(p, `${at}.documentNumber`, r.documentNumber, 64);
  const before = p.total;
  date(p, `${at}.documentDate`, r.documentDate, true, years);
  if (p.total === before && start && r.documentDate < start) {
    p.add(`${at}.documentDate`, `${r.documentDate} is before ${r.period ?? r.date} begins: a document cannot publish a figure of a period not yet begun`);
  }
  text(p, `${at}.documentTitle`, r.documentTitle, 2000, false);
  if (text(p, `${at}.documentUrl`, r.documentUrl, 2000, false) && typeof r.documentUrl === 'string' && r.documentUrl !== '' && !URL_TEXT.test(r.documentUrl)) {
    p.add(`${at}.documentUrl`, 'must be an http:// or https:// address');
  }
}

/** A published figure's period (YYYY-MM, YYYY-Qn, YYYY): required, real, in the year range, begun (Asia/Ho_Chi_Minh). */
function publishedPeriod(p: Problems, at: string, v: unknown, years: YearRange, thisMonth: string): PublishedPeriod | undefined {
  if (v === undefined || v === null || v === '') return p.add(at, 'is required: YYYY-MM, YYYY-Qn or YYYY'), undefined;
  const period = typeof v === 'string' ? parsePublishedPeriod(v) : undefined;
  if (!period) return p.add(at, `must be a month YYYY-MM, a quarter YYYY-Qn or a year YYYY, got ${JSON.stringify(v)}`), undefined;
  const bad = yearProblem(yearOf(period.start), years);
  if (bad) return p.add(at, bad), undefined;
  if (isFutureMonth(period.start.slice(0, 7), thisMonth)) return p.add(at, `${period.label} has not begun yet (Asia/Ho_Chi_Minh)`), undefined;
  return period;
}

/**
 * A published Decision 766 score: a period from the decision on, a component of the index (a
 * group of data/reference/index-766.json or the total), points within its maximum (2 decimals,
 * as the portal prints them), and an optional rank (a whole number from 1).
 */
function publishedIndexScore(p: Problems, at: string, r: PublishedIndexScoreRow, years: YearRange, thisMonth: string, weights: Index766Weights): void {
  if (!isObject(p, at, r)) return;
  text(p, `${at}.unit`, r.unit, 32);
  const period = publishedPeriod(p, `${at}.period`, r.period, years, thisMonth);
  const from = `${weights.decision.date.slice(0, 7)}-01`;
  if (period && period.start < from) p.add(`${at}.period`, `the index exists from Decision ${weights.decision.number} of ${weights.decision.date}: ${period.label} begins before it`);
  const components = scoreComponents(weights);
  const max = typeof r.component === 'string' ? components.get(r.component) : undefined;
  if (max === undefined) p.add(`${at}.component`, `must be one of ${[...components.keys()].join(', ')}, got ${JSON.stringify(r.component)}`);
  if (typeof r.points !== 'number' || !Number.isFinite(r.points)) p.add(`${at}.points`, `must be a number, got ${JSON.stringify(r.points)}`);
  else if (r.points < 0 || (max !== undefined && r.points > max)) p.add(`${at}.points`, `must be from 0 to ${max ?? 100} (the ${r.component} maximum), got ${r.points}`);
  else if (Math.abs(Math.round(r.points * 100) - r.points * 100) > 1e-6) p.add(`${at}.points`, `has more than 2 decimals: ${r.points}`);
  if (r.rank !== undefined && r.rank !== null && (typeof r.rank !== 'number' || !Number.isInteger(r.rank) || r.rank < 1 || r.rank > 10_000)) {
    p.add(`${at}.rank`, `must be a whole number from 1, got ${JSON.stringify(r.rank)}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isObject(p: Problems, at: string, v: unknown): boolean {
  if (!isRecord(v)) {
    p.add(at, 'must be an object');
    return false;
  }
  return true;
}
