import { currentMonth } from '../common/calendar';
import { PublishedIndexScoreRow } from '../ingest/batch';
import { TOTAL_COMPONENT } from '../index766/index766-weights';
import { ConnectorContext, monthIndex, monthLabel } from './connector';
import { TransientError } from './http.client';

interface ScoreItem {
  agencyCode: string;
  agencyValidFrom: string | null;
  fromDate: string;
  groups: { code: string; points: number }[];
  totalPoints: number;
  rank: number | null;
}
interface ScoreEnvelope {
  success: boolean;
  data: {
    period?: { timeType: string; year: number; quarter: number | null; month: number | null };
    evaluated?: boolean;
    currentPage?: number;
    totalPages?: number;
    items: ScoreItem[];
  };
}

/** The first month the national portal evaluates units on the Decision 766 index (the system ran from the second half of 2022). */
export const INDEX766_SCORES_FROM = '2022-07';

interface Asked { timeType: 'month' | 'quarter' | 'year'; year: number; quarter?: number; month?: number; label: string }

/** The periods asked for month `m`: the month, and the quarter and the year it ends, if it ends one. */
function periodsEnding(m: number): Asked[] {
  const [year, month] = monthLabel(m).split('-').map(Number);
  const out: Asked[] = [{ timeType: 'month', year, month, label: monthLabel(m) }];
  if (month % 3 === 0) out.push({ timeType: 'quarter', year, quarter: month / 3, label: `${year}-Q${month / 3}` });
  if (month === 12) out.push({ timeType: 'year', year, label: String(year) });
  return out;
}

/**
 * The DVCQG connector's `index766` part: the portal's own Decision 766 scores (POST
 * reporting/index766, paged), staged as published index scores (one row per group and one for the
 * total with the portal's rank) through the ingest core, like every fact: checked (a bad score
 * names its field and rejects the run, nothing written), idempotent, corrections kept.
 *
 * Each month of the window is asked, with the quarter and the year it closes. Incremental like the
 * filings: the months after `through`, and `lookback` before it, since the portal re-scores a
 * period while its dossiers are still being resolved.
 */
export async function syncIndexScores(
  ctx: ConnectorContext,
  opts: { from: string; lookback: number; pageSize: number; headers: () => Record<string, string>; through?: string },
): Promise<{ through?: string; staged: number }> {
  const first = Math.max(monthIndex(opts.from), monthIndex(INDEX766_SCORES_FROM));
  const start = ctx.full || !opts.through ? first : Math.max(first, monthIndex(opts.through) - opts.lookback);
  const end = monthIndex(currentMonth());
  const mine = (code: string) => ctx.source.units.includes('*') || ctx.source.units.includes(code);
  let through: string | undefined;
  let staged = 0;
  for (let m = start; m <= end; m++) {
    for (const asked of periodsEnding(m)) {
      const evaluated = await eachPage(ctx, asked, opts, async (items) => {
        const rows = items.filter((r) => mine(r.agencyCode)).flatMap((r) => scoreRows(r, asked.label));
        ctx.session.rowsRead += items.length;
        await ctx.session.stage({ publishedIndexScores: rows });
        staged += rows.length;
      });
      if (evaluated && asked.timeType === 'month') through = asked.label;
    }
    ctx.progress({ phase: 'index766', done: m - start + 1, total: end - start + 1, unit: 'months' });
  }
  return { through, staged };
}

/** An agency's scores as interchange rows: each group, and the total with the rank. */
function scoreRows(r: ScoreItem, period: string): (PublishedIndexScoreRow & { unitAt: string })[] {
  // The agency as it was during the period (codes are reused after the 2025 reform).
  const unitAt = r.agencyValidFrom && r.fromDate < r.agencyValidFrom ? r.agencyValidFrom : r.fromDate;
  const row = (component: string, points: number, rank: number | null) => ({ unit: r.agencyCode, unitAt, period, component, points, rank });
  return [...(Array.isArray(r.groups) ? r.groups : []).map((g) => row(g.code, g.points, null)), row(TOTAL_COMPONENT, r.totalPoints, r.rank ?? null)];
}

/** Every page of one period's scores, handed to `consume`; whether the portal has evaluated the period. */
async function eachPage(
  ctx: ConnectorContext,
  asked: Asked,
  opts: { pageSize: number; headers: () => Record<string, string> },
  consume: (items: ScoreItem[]) => Promise<void>,
): Promise<boolean> {
  const body = (p: number) => JSON.stringify({ timeType: asked.timeType, year: asked.year, quarter: asked.quarter, month: asked.month, currentPage: p, pageSize: opts.pageSize });
  let evaluated = false;
  for (let p = 1; ; p++) {
    const label = `index766 ${asked.label} page ${p}`;
    const e = await ctx.http.json<ScoreEnvelope>(`${ctx.source.url}/reporting/index766`, { method: 'POST', headers: opts.headers, body: body(p), label }, (env) => {
      if (env?.success !== true || !env.data || !Array.isArray(env.data.items)) throw new TransientError(`${label}: unexpected answer (no data.items)`);
      const period = env.data.period;
      if (env.data.currentPage !== p || !period || period.timeType !== asked.timeType || period.year !== asked.year
        || (period.month ?? undefined) !== asked.month || (period.quarter ?? undefined) !== asked.quarter) {
        throw new TransientError(`${label}: the answer is for another page or period (served twice?)`);
      }
    });
    evaluated = e.data.evaluated === true;
    await consume(e.data.items);
    if (p >= (e.data.totalPages ?? 0)) return evaluated;
  }
}
