import { FilingRow, PlanRow, ProcedureRow, ServiceLevelRow } from '../ingest/batch';
import { currentMonth } from '../common/calendar';
import { Connector, ConnectorContext, ConnectorResult, intOption, monthIndex, monthLabel, orderedPool, stringOption } from './connector';
import { TransientError } from './http.client';
import { syncPublishedReports } from './dvcqg-published.connector';
import { syncIndexScores } from './dvcqg-index766.connector';

/** The agency fields every national-portal row starts with (docs/simulator.md, DVCQG). */
interface AgencyRow {
  agencyCode: string;
  agencyValidFrom: string | null;
  agencyValidTo: string | null;
}
interface ProvisionRow extends AgencyRow {
  procedureCode: string;
  level: string;
  levelTaxonomy: string;
  levelSince: string;
  integratedNational: boolean;
}
interface ProcessingRow extends AgencyRow {
  procedureCode: string;
  fromDate: string;
  receivedCount: number;
  onlineCount: number;
  postalCount: number;
  onTimeCount: number;
  overdueCount: number;
  feeCount: number;
  onlinePaymentCount: number;
  syncedCount: number;
}
interface CatalogueRow {
  procedureCode: string;
  procedureName: string;
  sector: { code: string; name: string };
  tier: string;
  eligibleFullOnline: boolean;
  essential: boolean;
}
interface PlanItem extends AgencyRow {
  year: number;
  documentNumber: string | null;
  title: string | null;
  issuedDate: string | null;
  dueDate: string | null;
}
interface Envelope<T> {
  success: boolean;
  data: { currentPage?: number; totalPages?: number; items: T[]; period?: { timeType: string; year: number; month?: number } };
}

export const DVCQG_PARTS = ['catalogue', 'levels', 'filings', 'plans', 'published', 'index766'] as const;
export type DvcqgPart = (typeof DVCQG_PARTS)[number];
/**
 * The parts synced when a source lists none. The portal's published figures ('published', its
 * monthly reports; 'index766', its Decision 766 scores) are asked for by name (config/sources.json
 * does): each report costs the portal what a month of dossier-processing does, and the scores a
 * month, a quarter and a year of it, so a source that only wants the detail is not slowed.
 */
const DEFAULT_PARTS: DvcqgPart[] = ['catalogue', 'levels', 'filings', 'plans'];

/** A date moved inside the agency's life, so the unit code is read as the version the row is about. */
function withinAgency(date: string, row: AgencyRow): string {
  if (row.agencyValidFrom && date < row.agencyValidFrom) return row.agencyValidFrom;
  if (row.agencyValidTo && date > row.agencyValidTo) return row.agencyValidTo;
  return date;
}

/**
 * The national portal's reporting API (Decision 766 evaluation style): the procedure catalogue;
 * service levels asked month by month ("service-provision" is a stock at the end of each month),
 * keeping only changes, each dated by the level's `levelSince`; monthly dossier counts
 * ("dossier-processing") as filing statistics; and yearly plans.
 *
 * Incremental: the months after the last one synced, plus `lookbackMonths` before it, since
 * dossiers still open then get resolved later and their month's counts change.
 */
export class DvcqgConnector implements Connector {
  async run(ctx: ConnectorContext): Promise<ConnectorResult> {
    const { source, session, http } = ctx;
    const opts = source.options;
    const parts = (Array.isArray(opts.parts) ? opts.parts : DEFAULT_PARTS) as DvcqgPart[];
    const pageSize = intOption(opts, 'pageSize', 5000);
    const concurrency = intOption(opts, 'concurrency', 4);
    const lookback = intOption(opts, 'lookbackMonths', 3);
    const from = stringOption(opts, 'from', '2018-01');
    const roots: (string | undefined)[] = source.units.includes('*') ? [undefined] : source.units;
    const token = ctx.credential('token');
    const headers = () => ({ authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' });
    const state = { ...ctx.state } as { levelsThrough?: string; filingsThrough?: string; publishedThrough?: string; index766Through?: string };
    const detail: Record<string, number> = {};

    const page = <T>(url: string, label: string, body: Record<string, unknown> | undefined, check: (e: Envelope<T>) => void) =>
      http.json<Envelope<T>>(url, { method: body ? 'POST' : 'GET', headers, body: body ? JSON.stringify(body) : undefined, label }, (e) => {
        if (e?.success !== true || !e.data || !Array.isArray(e.data.items)) throw new TransientError(`${label}: unexpected answer (no data.items)`);
        check(e);
      });

    if (parts.includes('catalogue')) {
      const sectors = new Map<string, string>();
      const sectorStaged = new Set<string>();
      let done = 0;
      for (let p = 1; ; p++) {
        const e = await page<CatalogueRow>(`${source.url}/catalogue/procedures?page=${p}&pageSize=${pageSize}`, `catalogue page ${p}`, undefined, (env) => {
          if (env.data.currentPage !== p) throw new TransientError(`catalogue page ${p}: the answer is page ${env.data.currentPage} (served twice?)`);
        });
        const procedures: ProcedureRow[] = e.data.items.map((r) => {
          if (r.sector?.code) sectors.set(r.sector.code, r.sector.name);
          return { code: r.procedureCode, name: r.procedureName, sector: r.sector?.code, tier: r.tier, eligibleFullOnline: r.eligibleFullOnline, essential: r.essential };
        });
        // Sectors first: procedures name them.
        await session.stage({ sectors: [...sectors].filter(([c]) => !sectorStaged.has(c)).map(([code, name]) => (sectorStaged.add(code), { code, name })) });
        await session.stage({ procedures });
        session.rowsRead += procedures.length;
        done += procedures.length;
        ctx.progress({ phase: 'catalogue', done, unit: 'procedures' });
        if (p >= (e.data.totalPages ?? 0)) break;
      }
      detail.procedures = done;
    }

    const end = currentMonth();
    const window = (through: string | undefined) => {
      const first = monthIndex(from);
      if (ctx.full || !through) return { start: first, baseline: null as number | null };
      const start = Math.max(first, monthIndex(through) - lookback);
      return { start, baseline: start - 1 >= first ? start - 1 : null };
    };

    /** Every row of one evaluation group for a month (and root), page by page, handed to `consume`. */
    const eachMonth = async <T>(group: string, start: number, baseline: number | null, consume: (rows: T[], month: number, isBaseline: boolean) => Promise<void>) => {
      const months: number[] = [];
      for (let m = baseline ?? start; m <= monthIndex(end); m++) months.push(m);
      let last: number | undefined;
      let done = 0;
      for (const m of months) {
        const [year, month] = monthLabel(m).split('-').map(Number);
        for (const root of roots) {
          const body = (p: number) => ({ timeType: 'month', year, month, rootDepartmentId: root, currentPage: p, pageSize });
          const label = (p: number) => `${group} ${monthLabel(m)}${root ? ` ${root}` : ''} page ${p}`;
          const check = (p: number) => (e: Envelope<T>) => {
            const period = e.data.period;
            if (e.data.currentPage !== p || !period || period.year !== year || period.month !== month) {
              throw new TransientError(`${label(p)}: the answer is for another page or period (served twice?)`);
            }
          };
          const url = `${source.url}/reporting/evaluation/${group}`;
          const first = await page<T>(url, label(1), body(1), check(1));
          const pages = first.data.totalPages ?? 1;
          if (first.data.items.length > 0) last = m;
          await consume(first.data.items, m, m === baseline);
          await orderedPool(Math.max(0, pages - 1), concurrency, (i) => page<T>(url, label(i + 2), body(i + 2), check(i + 2)), (e) => consume(e.data.items, m, m === baseline));
        }
        ctx.progress({ phase: group, done: ++done, total: months.length, unit: 'months' });
      }
      return last;
    };

    if (parts.includes('levels')) {
      const { start, baseline } = window(state.levelsThrough);
      // Last levelSince and integration reported per service: a row is staged only when they change.
      const seen = new Map<string, string>();
      let staged = 0;
      const last = await eachMonth<ProvisionRow>('service-provision', start, baseline, async (rows, m, isBaseline) => {
        const changes: (ServiceLevelRow & { unitAt: string })[] = [];
        const monthStart = `${monthLabel(m)}-01`;
        for (const r of rows) {
          const key = `${r.agencyCode}|${r.agencyValidFrom ?? ''}|${r.procedureCode}`;
          const mark = `${r.levelSince}|${r.level}|${r.integratedNational}`;
          const prev = seen.get(key);
          if (prev === mark) continue;
          seen.set(key, mark);
          if (isBaseline) continue;
          // A new level counts from levelSince; the same level newly integrated on DVCQG, from this month.
          const since = prev === undefined || !prev.startsWith(`${r.levelSince}|`) ? r.levelSince : monthStart;
          const date = withinAgency(since, r);
          // A level that began before the first month asked for: its integration back then is unknown (null keeps what is stored).
          const integrated = prev === undefined && since < monthStart ? null : r.integratedNational;
          changes.push({ unit: r.agencyCode, unitAt: date, procedure: r.procedureCode, taxonomy: r.levelTaxonomy, level: r.level, from: date, integratedNational: integrated });
        }
        staged += changes.length;
        session.rowsRead += rows.length;
        await session.stage({ services: changes });
      });
      if (last !== undefined) state.levelsThrough = monthLabel(last);
      detail.levelChanges = staged;
    }

    if (parts.includes('filings')) {
      const { start } = window(state.filingsThrough);
      let staged = 0;
      const last = await eachMonth<ProcessingRow>('dossier-processing', start, null, async (rows) => {
        const filings: (FilingRow & { unitAt: string })[] = rows.map((r) => ({
          unit: r.agencyCode,
          unitAt: withinAgency(r.fromDate, r),
          procedure: r.procedureCode,
          month: r.fromDate?.slice(0, 7),
          received: r.receivedCount,
          receivedOnline: r.onlineCount,
          receivedPostal: r.postalCount,
          resolvedOnTime: r.onTimeCount,
          resolvedLate: r.overdueCount,
          withFee: r.feeCount,
          paidOnline: r.onlinePaymentCount,
          syncedNational: r.syncedCount,
        }));
        staged += filings.length;
        session.rowsRead += rows.length;
        await session.stage({ filings });
      });
      if (last !== undefined) state.filingsThrough = monthLabel(last);
      detail.filings = staged;
    }

    if (parts.includes('plans')) {
      const e = await page<PlanItem>(`${source.url}/catalogue/plans`, 'plans', undefined, () => undefined);
      const plans: (PlanRow & { unitAt: string })[] = e.data.items
        .filter((r) => roots[0] === undefined || roots.includes(r.agencyCode))
        .map((r) => ({
          unit: r.agencyCode,
          unitAt: withinAgency(r.issuedDate ?? r.dueDate ?? `${r.year}-01-01`, r),
          year: r.year,
          documentNumber: r.documentNumber,
          title: r.title,
          issuedOn: r.issuedDate,
          dueOn: r.dueDate,
        }));
      await session.stage({ plans });
      session.rowsRead += plans.length;
      ctx.progress({ phase: 'plans', done: plans.length, unit: 'plans' });
      detail.plans = plans.length;
    }
    if (parts.includes('published')) {
      const r = await syncPublishedReports(ctx, { from: stringOption(opts, 'publishedFrom', from), lookback, headers, through: state.publishedThrough });
      if (r.through !== undefined) state.publishedThrough = r.through;
      detail.publishedIndicators = r.staged;
    }
    if (parts.includes('index766')) {
      const r = await syncIndexScores(ctx, { from: stringOption(opts, 'index766From', from), lookback, pageSize, headers, through: state.index766Through });
      if (r.through !== undefined) state.index766Through = r.through;
      detail.publishedIndexScores = r.staged;
    }
    return { state, detail };
  }
}
