import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator';
import type { DossierRecord } from '../../src/simulator';

export const DVCQG_TOKEN = 'sim-dvcqg-token';

export async function withSimulator<T>(opts: SimulatorOptions, fn: (sim: RunningSimulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ port: 0, ...opts });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

export interface DvcqgPage<T> {
  success: boolean;
  data: { currentPage: number; pageSize: number; totalPages: number; totalRecords: number; items: T[] };
}

export async function dvcqg<T>(sim: RunningSimulator, group: string, body: Record<string, unknown>): Promise<DvcqgPage<T>> {
  const res = await fetch(`${sim.url}/dvcqg/api/v1/reporting/evaluation/${group}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DVCQG_TOKEN}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`dvcqg ${group} ${res.status}: ${await res.text()}`);
  return (await res.json()) as DvcqgPage<T>;
}

/** Every row of an evaluation group for a period, across pages. */
export async function dvcqgAll<T>(sim: RunningSimulator, group: string, body: Record<string, unknown>, pageSize = 1000): Promise<T[]> {
  const rows: T[] = [];
  for (let page = 1; ; page++) {
    const r = await dvcqg<T>(sim, group, { ...body, currentPage: page, pageSize });
    rows.push(...r.data.items);
    if (page >= r.data.totalPages) return rows;
  }
}

export async function igateToken(sim: RunningSimulator, province: string): Promise<string> {
  const res = await fetch(`${sim.url}/igate/${province}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret',
  });
  if (res.status !== 200) throw new Error(`token ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export interface FeedResponse {
  content: DossierRecord[];
  page: number;
  size: number;
  numberOfElements: number;
  totalElements: number;
  totalPages: number;
  last: boolean;
  nextCursor: string | null;
  nextModifiedFrom: string | null;
  nextAfterId: string | null;
}

export async function feedPage(sim: RunningSimulator, province: string, token: string, query: Record<string, string | number>): Promise<FeedResponse> {
  const qs = new URLSearchParams(Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])));
  const res = await fetch(`${sim.url}/igate/${province}/api/dossiers?${qs.toString()}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`feed ${res.status}: ${await res.text()}`);
  return (await res.json()) as FeedResponse;
}

/** Follows nextCursor from `cursor` (or the beginning) to the end of the feed. */
export async function drainFeed(
  sim: RunningSimulator,
  province: string,
  token: string,
  size: number,
  cursor?: string,
): Promise<{ dossiers: DossierRecord[]; pages: FeedResponse[]; cursor: string | null }> {
  const dossiers: DossierRecord[] = [];
  const pages: FeedResponse[] = [];
  let next = cursor ?? null;
  for (;;) {
    const page = await feedPage(sim, province, token, next ? { cursor: next, size } : { size });
    pages.push(page);
    dossiers.push(...page.content);
    next = page.nextCursor;
    if (page.content.length < size) return { dossiers, pages, cursor: next };
  }
}

export interface ProcessingRow {
  agencyCode: string;
  agencyName: string;
  agencyType: string;
  procedureCode: string;
  fromDate: string;
  toDate: string;
  receivedCount: number;
  onlineCount: number;
  directCount: number;
  postalCount: number;
  onTimeCount: number;
  overdueCount: number;
  inProgressCount: number;
  feeCount: number;
  onlinePaymentCount: number;
  syncedCount: number;
}

export const COUNT_FIELDS = [
  'receivedCount',
  'onlineCount',
  'directCount',
  'postalCount',
  'onTimeCount',
  'overdueCount',
  'inProgressCount',
  'feeCount',
  'onlinePaymentCount',
  'syncedCount',
] as const;
export type Counts = Record<(typeof COUNT_FIELDS)[number], number>;

export function emptyCounts(): Counts {
  return Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as Counts;
}

/** Aggregates feed dossiers the way the gateway must: per (MaDonVi, MaTTHC, month of NgayTiepNhan). */
export function aggregateFeed(dossiers: readonly DossierRecord[]): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const d of dossiers) {
    const key = `${d.MaDonVi}|${d.MaTTHC}|${d.NgayTiepNhan.slice(0, 4)}-${d.NgayTiepNhan.slice(4, 6)}`;
    let c = out.get(key);
    if (!c) {
      c = emptyCounts();
      out.set(key, c);
    }
    c.receivedCount++;
    if (d.HinhThuc === 2) c.onlineCount++;
    else if (d.HinhThuc === 3) c.postalCount++;
    else c.directCount++;
    if (d.TrangThaiHoSo !== 4) c.inProgressCount++;
    else if ((d.NgayTra as string) <= d.NgayHenTra) c.onTimeCount++;
    else c.overdueCount++;
    if (d.PhiLePhi > 0) c.feeCount++;
    c.onlinePaymentCount += d.ThanhToanTrucTuyen;
    c.syncedCount += d.DongBoDVCQG;
  }
  return out;
}

export function rowCounts(r: ProcessingRow): Counts {
  return Object.fromEntries(COUNT_FIELDS.map((f) => [f, r[f]])) as Counts;
}

export function monthsBetween(fromYear: number, fromMonth: number, toYear: number, toMonth: number): { year: number; month: number }[] {
  const out: { year: number; month: number }[] = [];
  for (let y = fromYear, m = fromMonth; y < toYear || (y === toYear && m <= toMonth); m === 12 ? (y++, (m = 1)) : m++) out.push({ year: y, month: m });
  return out;
}

export function sortKey(d: DossierRecord): string {
  return `${d.NgayCapNhat}|${d.MaHoSo}`;
}
