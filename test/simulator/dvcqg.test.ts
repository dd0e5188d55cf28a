import { startSimulator, type RunningSimulator } from '../../src/simulator';
import { COUNT_FIELDS, DVCQG_TOKEN, dvcqg, dvcqgAll, emptyCounts, monthsBetween, rowCounts, type ProcessingRow } from './helpers';

interface ProvisionRow {
  agencyCode: string;
  agencyName: string;
  agencyType: string;
  provinceCode: string;
  agencyValidFrom: string | null;
  agencyValidTo: string | null;
  procedureCode: string;
  level: string;
  levelTaxonomy: string;
  levelSince: string;
  asOfDate: string;
  integratedNational: boolean;
  authorityCount: number;
  fullCount: number;
  partialCount: number;
}

describe('DVCQG reporting API', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('requires the bearer token on every endpoint', async () => {
    const urls: [string, RequestInit][] = [
      ['/dvcqg/api/v1/reporting/evaluation/service-provision', { method: 'POST', body: JSON.stringify({ timeType: 'year', year: 2021 }), headers: { 'content-type': 'application/json' } }],
      ['/dvcqg/api/v1/catalogue/procedures', {}],
      ['/dvcqg/api/v1/catalogue/plans?year=2021', {}],
      ['/dvcqg/api/v1/catalogue/agencies', {}],
    ];
    for (const [path, init] of urls) {
      const none = await fetch(sim.url + path, init);
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ success: false, error: { code: 'UNAUTHORIZED', message: 'missing or invalid bearer token' } });
      const wrong = await fetch(sim.url + path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: 'Bearer other' } });
      expect(wrong.status).toBe(401);
    }
  });

  it('validates the body', async () => {
    const post = (body: unknown): Promise<Response> =>
      fetch(`${sim.url}/dvcqg/api/v1/reporting/evaluation/dossier-processing`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DVCQG_TOKEN}` },
        body: JSON.stringify(body),
      });
    expect((await post({ timeType: 'week', year: 2021 })).status).toBe(400);
    expect((await post({ timeType: 'month', year: 2021, month: 13 })).status).toBe(400);
    expect((await post({ timeType: 'quarter', year: 2021 })).status).toBe(400);
    expect((await post({ timeType: 'year', year: 2021, pageSize: 0 })).status).toBe(400);
    // Every province and ministry is simulated: only a code naming no unit is unknown.
    expect((await post({ timeType: 'year', year: 2021, rootDepartmentId: '99' })).status).toBe(400);
    const unknown = await fetch(`${sim.url}/dvcqg/api/v1/reporting/evaluation/satisfaction`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DVCQG_TOKEN}`, 'content-type': 'application/json' },
      body: '{"timeType":"year","year":2021}',
    });
    expect(unknown.status).toBe(404);
  });

  it('service-provision: levels in force at month end, Decree 43 before 2022-07, Decree 42 after, with old/new units', async () => {
    const before = await dvcqgAll<ProvisionRow>(sim, 'service-provision', { timeType: 'month', year: 2021, month: 6, rootDepartmentId: '80' });
    expect(before.length).toBeGreaterThan(40);
    for (const r of before) {
      expect(r.levelTaxonomy).toBe('decree43');
      expect(['1', '2', '3', '4']).toContain(r.level);
      expect(r.levelSince <= '2021-06-30').toBe(true);
      expect(r.levelSince.endsWith('-01')).toBe(true);
      expect(r.asOfDate).toBe('2021-06-30');
      expect(r.fullCount).toBe(r.level === '4' ? 1 : 0);
      expect(r.partialCount).toBe(r.level === '3' ? 1 : 0);
      expect(r.authorityCount).toBe(1);
    }
    expect(before.find((r) => r.agencyType === 'province')?.agencyName).toBe('Tỉnh Long An');
    const after = await dvcqgAll<ProvisionRow>(sim, 'service-provision', { timeType: 'quarter', year: 2025, quarter: 4, rootDepartmentId: '80' });
    for (const r of after) {
      expect(r.levelTaxonomy).toBe('decree42');
      expect(['info', 'partial', 'full']).toContain(r.level);
      expect(r.agencyValidFrom).toBe('2025-07-01');
      expect(r.levelSince >= '2025-07-01').toBe(true);
    }
    expect(after.find((r) => r.agencyType === 'province')?.agencyName).toBe('Tỉnh Tây Ninh');
    // a service's level matches the world's history
    const svc = sim.world.servicesOfProvince('72').find((s) => s.levels.length >= 6);
    expect(svc).toBeDefined();
    const rows = await dvcqgAll<ProvisionRow>(sim, 'service-provision', { timeType: 'month', year: 2022, month: 7, rootDepartmentId: '72' });
    const row = rows.find((r) => r.agencyCode === svc?.unit.code && r.procedureCode === svc?.procedure.code);
    expect(row?.levelSince).toBe('2022-07-01');
  });

  it('service-provision with onlyChanged replays the level history from one snapshot', async () => {
    const key = (r: ProvisionRow): string => `${r.agencyCode}|${r.agencyValidTo}|${r.procedureCode}`;
    const state = new Map<string, string>();
    for (const r of await dvcqgAll<ProvisionRow>(sim, 'service-provision', { timeType: 'month', year: 2018, month: 1, rootDepartmentId: '72' })) state.set(key(r), `${r.level}@${r.levelSince}`);
    let changes = 0;
    for (const { year, month } of monthsBetween(2018, 2, 2025, 6)) {
      const changed = await dvcqgAll<ProvisionRow>(sim, 'service-provision', { timeType: 'month', year, month, rootDepartmentId: '72', onlyChanged: true });
      for (const r of changed) {
        expect(r.levelSince).toBe(`${year}-${String(month).padStart(2, '0')}-01`);
        state.set(key(r), `${r.level}@${r.levelSince}`);
      }
      changes += changed.length;
      if (month === 6 || month === 12) {
        const full = await dvcqgAll<ProvisionRow>(sim, 'service-provision', { timeType: 'month', year, month, rootDepartmentId: '72' });
        expect(new Map(full.map((r) => [key(r), `${r.level}@${r.levelSince}`]))).toEqual(state);
      }
    }
    expect(changes).toBeGreaterThan(50);
  });

  it('dossier-processing: quarter and year rows are sums of month rows', async () => {
    const key = (r: ProcessingRow): string => `${r.agencyCode}|${r.agencyName}|${r.procedureCode}`;
    const sum = new Map<string, ReturnType<typeof emptyCounts>>();
    for (const month of [4, 5, 6]) {
      for (const r of await dvcqgAll<ProcessingRow>(sim, 'dossier-processing', { timeType: 'month', year: 2025, month, rootDepartmentId: '31' })) {
        const acc = sum.get(key(r)) ?? emptyCounts();
        for (const f of COUNT_FIELDS) acc[f] += r[f];
        sum.set(key(r), acc);
      }
    }
    const quarter = await dvcqgAll<ProcessingRow>(sim, 'dossier-processing', { timeType: 'quarter', year: 2025, quarter: 2, rootDepartmentId: '31' });
    expect(new Map(quarter.map((r) => [key(r), rowCounts(r)]))).toEqual(sum);
    for (const r of quarter) {
      expect(r.receivedCount).toBe(r.onlineCount + r.directCount + r.postalCount);
      expect(r.receivedCount).toBe(r.onTimeCount + r.overdueCount + r.inProgressCount);
      expect(r.receivedCount).toBeGreaterThan(0);
    }
    // 2025 spans the reform: rows for old and new units, each with its own sub-period
    const year = await dvcqgAll<ProcessingRow>(sim, 'dossier-processing', { timeType: 'year', year: 2025, rootDepartmentId: '31' });
    const names = new Set(year.filter((r) => r.agencyType === 'province').map((r) => `${r.agencyName} ${r.fromDate}..${r.toDate}`));
    expect(names).toEqual(new Set(['Thành phố Hải Phòng 2025-01-01..2025-06-30', 'Thành phố Hải Phòng 2025-07-01..2025-12-31']));
  });

  it('pages rows stably and reports totals', async () => {
    const body = { timeType: 'year', year: 2020 };
    const first = await dvcqg<ProcessingRow>(sim, 'dossier-processing', { ...body, currentPage: 1, pageSize: 50 });
    expect(first.success).toBe(true);
    expect(first.data.pageSize).toBe(50);
    expect(first.data.totalPages).toBe(Math.ceil(first.data.totalRecords / 50));
    const all = await dvcqgAll<ProcessingRow>(sim, 'dossier-processing', body, 50);
    expect(all).toHaveLength(first.data.totalRecords);
    expect(all.slice(0, 50)).toEqual(first.data.items);
    const beyond = await dvcqg<ProcessingRow>(sim, 'dossier-processing', { ...body, currentPage: 999, pageSize: 50 });
    expect(beyond.data.items).toEqual([]);
    // future periods are empty (the clock is at 2025-12)
    const future = await dvcqg<ProcessingRow>(sim, 'dossier-processing', { timeType: 'month', year: 2026, month: 3 });
    expect(future.data.totalRecords).toBe(0);
  });

  it('serves the procedure catalogue with embedded sectors, and yearly plans', async () => {
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(sim.url + path, { headers: { authorization: `Bearer ${DVCQG_TOKEN}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as T;
    };
    type Procs = { data: { totalRecords: number; items: { procedureCode: string; sector: { code: string; name: string }; essential: boolean; tier: string }[] } };
    const p1 = await get<Procs>('/dvcqg/api/v1/catalogue/procedures?page=1&pageSize=300');
    const p2 = await get<Procs>('/dvcqg/api/v1/catalogue/procedures?page=2&pageSize=300');
    const items = [...p1.data.items, ...p2.data.items];
    expect(p1.data.totalRecords).toBe(sim.world.procedures.length);
    expect(items).toHaveLength(sim.world.procedures.length);
    // 300 local procedures, and the ministries' central ones.
    expect(items.filter((p) => p.tier !== 'central')).toHaveLength(300);
    expect(items.filter((p) => p.tier === 'central').length).toBeGreaterThan(100);
    expect(items.filter((p) => p.essential)).toHaveLength(25);
    expect(items[0].sector.name.length).toBeGreaterThan(0);
    type Plans = { data: { year: number; dueDate: string; items: { agencyCode: string; documentNumber: string; issuedDate: string; title: string }[] } };
    const plans = await get<Plans>('/dvcqg/api/v1/catalogue/plans?year=2021');
    expect(plans.data.dueDate).toBe('2021-09-10');
    for (const p of plans.data.items) expect(p.title).toBe(p.title.trim());
    const agencies = await get<{ data: { totalRecords: number; items: { agencyCode: string; agencyType: string; provinceCode: string | null }[] } }>('/dvcqg/api/v1/catalogue/agencies?pageSize=500');
    expect(agencies.data.items.some((a) => a.agencyCode === '72')).toBe(true);
    const kinds = (type: string) => agencies.data.items.filter((a) => a.agencyType === type);
    // 63 old provinces (11 of them go on after the reform) and 23 new ones, 24 ministries (22 before, 2 opened by the 2025 restructuring).
    expect(kinds('province')).toHaveLength(86);
    expect(kinds('ministry')).toHaveLength(24);
    for (const m of kinds('ministry')) expect(m.provinceCode).toBeNull();
    expect(plans.data.items.some((p) => p.agencyCode === 'BTP' || p.documentNumber.endsWith('/KH-' + p.agencyCode))).toBe(true);
  });
});
