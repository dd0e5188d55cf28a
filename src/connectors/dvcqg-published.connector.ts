import { currentMonth } from '../common/calendar';
import { PublishedIndicatorRow } from '../ingest/batch';
import { ConnectorContext, monthIndex, monthLabel } from './connector';
import { TransientError } from './http.client';

interface PublishedItem {
  agencyCode: string;
  agencyValidFrom: string | null;
  agencyValidTo: string | null;
  indicator: string;
  value: number;
}
interface ReportEnvelope {
  success: boolean;
  data: {
    period?: { timeType: string; year: number; month?: number };
    document: { number: string; date: string; title: string | null; url: string | null } | null;
    items: PublishedItem[];
  };
}

/** The first month the national portal publishes a monthly report for (Decision 766/QĐ-TTg, 23 June 2022: evaluated monthly). */
export const PUBLISHED_REPORTS_FROM = '2022-07';

/**
 * The DVCQG connector's `published` part: the portal's monthly reports (POST
 * reporting/published-report), each staged as published indicators of its provinces and
 * ministries with the report as their document. Incremental like the filings: the months after
 * `publishedThrough`, and `lookback` before it (a report may be reissued).
 */
export async function syncPublishedReports(
  ctx: ConnectorContext,
  opts: { from: string; lookback: number; headers: () => Record<string, string>; through?: string },
): Promise<{ through?: string; staged: number }> {
  const first = Math.max(monthIndex(opts.from), monthIndex(PUBLISHED_REPORTS_FROM));
  const start = ctx.full || !opts.through ? first : Math.max(first, monthIndex(opts.through) - opts.lookback);
  const end = monthIndex(currentMonth());
  let through: string | undefined;
  let staged = 0;
  for (let m = start; m <= end; m++) {
    const [year, month] = monthLabel(m).split('-').map(Number);
    const label = `published-report ${monthLabel(m)}`;
    const e = await ctx.http.json<ReportEnvelope>(`${ctx.source.url}/reporting/published-report`, {
      method: 'POST', headers: opts.headers, body: JSON.stringify({ timeType: 'month', year, month }), label,
    }, (env) => {
      if (env?.success !== true || !env.data || !Array.isArray(env.data.items)) throw new TransientError(`${label}: unexpected answer (no data.items)`);
      if (env.data.period?.year !== year || env.data.period?.month !== month) throw new TransientError(`${label}: the answer is for another period (served twice?)`);
    });
    const doc = e.data.document;
    if (!doc) continue; // no report for that month (yet)
    const periodStart = `${monthLabel(m)}-01`;
    const rows: (PublishedIndicatorRow & { unitAt: string })[] = e.data.items
      .filter((r) => ctx.source.units.includes('*') || ctx.source.units.includes(r.agencyCode))
      .map((r) => ({
        unit: r.agencyCode,
        // The agency as it was that month (codes are reused after the 2025 reform).
        unitAt: r.agencyValidFrom && periodStart < r.agencyValidFrom ? r.agencyValidFrom : periodStart,
        indicator: r.indicator,
        period: monthLabel(m),
        value: r.value,
        documentNumber: doc.number,
        documentDate: doc.date,
        documentTitle: doc.title,
        documentUrl: doc.url,
      }));
    ctx.session.rowsRead += e.data.items.length;
    await ctx.session.stage({ publishedIndicators: rows });
    staged += rows.length;
    through = monthLabel(m);
    ctx.progress({ phase: 'published', done: m - start + 1, total: end - start + 1, unit: 'months' });
  }
  return { through, staged };
}
