import { parse } from 'csv-parse/sync';
import { FilingRow, ServiceLevelRow } from '../ingest/batch';
import { currentMonth } from '../common/calendar';
import { Connector, ConnectorContext, ConnectorResult, intOption, monthIndex, monthLabel, orderedPool, stringOption } from './connector';
import { TransientError } from './http.client';

/** The export's columns (docs/simulator.md, c), by their Vietnamese headers. */
const COLUMNS = {
  unit: 'Mã đơn vị',
  procedure: 'Mã TTHC',
  level: 'Mức độ',
  online: 'Số hồ sơ trực tuyến',
  inPerson: 'Số hồ sơ trực tiếp',
  postal: 'Số hồ sơ BCCI',
  onTime: 'Đúng hạn',
  late: 'Trễ hạn',
  open: 'Đang xử lý',
  fee: 'Có phí',
  paid: 'Thanh toán trực tuyến',
} as const;
type Column = keyof typeof COLUMNS;
const COUNTS: Column[] = ['online', 'inPerson', 'postal', 'onTime', 'late', 'open', 'fee', 'paid'];

interface ExportRow {
  line: number;
  unit: string;
  procedure: string;
  level: string;
  counts: Record<Column, number>;
}

/**
 * Parses one month's export: UTF-8 with a BOM, CRLF, RFC 4180 quoting, Vietnamese headers. A body
 * that does not end its last row (cut short) or does not parse is fetched again; unknown headers
 * are an error (the format changed).
 */
export function parseExport(text: string, label: string): ExportRow[] {
  if (!text.endsWith('\r\n')) throw new TransientError(`${label}: truncated CSV (the last row does not end)`);
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (e) {
    throw new TransientError(`${label}: CSV does not parse: ${(e as Error).message}`);
  }
  const header = records[0] ?? [];
  const at = {} as Record<Column, number>;
  for (const [k, name] of Object.entries(COLUMNS) as [Column, string][]) {
    at[k] = header.indexOf(name);
    if (at[k] < 0) throw new Error(`${label}: the export has no column "${name}" (columns: ${header.join(', ')})`);
  }
  return records.slice(1).map((r, i) => {
    const counts = {} as Record<Column, number>;
    for (const c of COUNTS) counts[c] = /^\d{1,9}$/.test(r[at[c]]) ? Number(r[at[c]]) : NaN;
    return { line: i + 2, unit: r[at.unit], procedure: r[at.procedure], level: r[at.level], counts };
  });
}

/**
 * A province's statistics export (legacy CSV), month by month: dossier counts as filing
 * statistics (rows without dossiers are skipped, as the national portal omits them) and the
 * legacy Decree 43 level column, kept as changes and only for the Decree 43 era (`levelsUntil`,
 * default 2022-06: later values are a lossy mapping of the Decree 42 levels the national portal
 * reports exactly). The export has no "synced to DVCQG" column: that figure is left as other
 * sources reported it.
 */
export class StatsExportConnector implements Connector {
  async run(ctx: ConnectorContext): Promise<ConnectorResult> {
    const { source, session, http } = ctx;
    const opts = source.options;
    const from = stringOption(opts, 'from', '2018-01');
    const levelsUntil = monthIndex(stringOption(opts, 'levelsUntil', '2022-06'));
    const lookback = intOption(opts, 'lookbackMonths', 3);
    const concurrency = intOption(opts, 'concurrency', 4);
    const state = { ...ctx.state } as { through?: string };
    const first = monthIndex(from);
    const start = ctx.full || !state.through ? first : Math.max(first, monthIndex(state.through) - lookback);
    const baseline = !ctx.full && state.through && start - 1 >= first ? start - 1 : null;
    const months: number[] = [];
    for (let m = baseline ?? start; m <= monthIndex(currentMonth()); m++) months.push(m);

    const levels = new Map<string, string>();
    let last: number | undefined;
    let levelChanges = 0;
    let filingRows = 0;
    await orderedPool(
      months.length,
      concurrency,
      (i) => {
        const label = monthLabel(months[i]);
        const [y, m] = label.split('-');
        return http.fetch(`${source.url}/thong-ke.csv?nam=${y}&thang=${Number(m)}`, { label: `export ${label}`, headers: () => ({ accept: 'text/csv' }) }, (body, res) => {
          // A page served twice is the previous month's file: its name says which period it holds.
          const disposition = res.headers.get('content-disposition') ?? '';
          if (disposition && !disposition.includes(`-${label}.csv`)) throw new TransientError(`export ${label}: the file is ${disposition.replace(/.*filename="?([^";]+).*/, '$1')} (served twice?)`);
          return parseExport(body.toString('utf8'), `export ${label}`);
        });
      },
      async (rows, i) => {
        const m = months[i];
        const monthStart = `${monthLabel(m)}-01`;
        const services: ServiceLevelRow[] = [];
        const filings: FilingRow[] = [];
        for (const r of rows) {
          const c = r.counts;
          if (COUNTS.some((k) => Number.isNaN(c[k]))) {
            session.problem(`export ${monthLabel(m)} line ${r.line}`, 'counts must be whole numbers');
            continue;
          }
          if (m <= levelsUntil) {
            const key = `${r.unit}|${r.procedure}`;
            if (levels.get(key) !== r.level) {
              // Levels change on the first day of a month: the level at the end of this month started on its first day.
              levels.set(key, r.level);
              if (m !== baseline) services.push({ unit: r.unit, procedure: r.procedure, taxonomy: 'decree43', level: r.level, from: monthStart });
            }
          }
          const received = c.online + c.inPerson + c.postal;
          if (received > 0 || c.onTime + c.late + c.open + c.fee + c.paid > 0) {
            filings.push({
              unit: r.unit, procedure: r.procedure, month: monthLabel(m), received, receivedOnline: c.online, receivedPostal: c.postal,
              resolvedOnTime: c.onTime, resolvedLate: c.late, withFee: c.fee, paidOnline: c.paid,
            });
          }
        }
        if (rows.length > 0) last = m;
        session.rowsRead += rows.length;
        levelChanges += services.length;
        if (m !== baseline) {
          filingRows += filings.length;
          await session.stage({ services, filings });
        }
        ctx.progress({ phase: 'export', done: i + 1, total: months.length, unit: 'months' });
      },
    );
    if (last !== undefined) state.through = monthLabel(last);
    return { state, detail: { months: months.length, levelChanges, filings: filingRows } };
  }
}
