import { startSimulator, type RunningSimulator } from '../../src/simulator';
import { AsciiWriter } from '../../src/simulator/ascii.writer';
import { aggregateFeed, drainFeed, dvcqgAll, feedPage, igateToken, monthsBetween, rowCounts, sortKey, withSimulator, type ProcessingRow } from './helpers';

describe('iGate dossier feed', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('issues tokens for client credentials (form or JSON) and rejects bad ones', async () => {
    const form = await igateToken(sim, '80');
    expect(form).toMatch(/^igt-80-/);
    const json = await fetch(`${sim.url}/igate/80/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'sim-client', client_secret: 'sim-secret' }),
    });
    expect(json.status).toBe(200);
    const body = (await json.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBe(3600);
    const bad = await fetch(`${sim.url}/igate/80/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'sim-client', client_secret: 'wrong' }),
    });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_client');
    const unknown = await fetch(`${sim.url}/igate/01/oauth/token`, { method: 'POST', body: 'client_id=sim-client&client_secret=sim-secret', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(unknown.status).toBe(404);
  });

  it('answers 401 without a token, with a bad token, or with another province’s token', async () => {
    const url = `${sim.url}/igate/80/api/dossiers?size=1`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const t72 = await igateToken(sim, '72');
    const res = await fetch(url, { headers: { authorization: `Bearer ${t72}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('serves records with the documented fields, codes and timestamp format', async () => {
    const token = await igateToken(sim, '80');
    const page = await feedPage(sim, '80', token, { size: 200 });
    expect(page.content).toHaveLength(200);
    const ts = /^20\d{12}$/;
    for (const d of page.content) {
      expect(Object.keys(d)).toEqual(['MaHoSo', 'MaTTHC', 'MaDonVi', 'MaTinh', 'MaHuyen', 'MaXa', 'NgayTiepNhan', 'NgayHenTra', 'NgayTra', 'NgayCapNhat', 'HinhThuc', 'TrangThaiHoSo', 'PhiLePhi', 'ThanhToanTrucTuyen', 'DongBoDVCQG']);
      expect(d.MaHoSo).toMatch(/^(\d{2}|\d{5})-\d{4}-\d{4}-\d{5}$/);
      expect(d.MaTinh).toBe('80');
      expect(d.MaHuyen).toBeNull();
      expect(d.MaDonVi).toBe(d.MaXa ?? d.MaTinh);
      for (const t of [d.NgayTiepNhan, d.NgayHenTra, d.NgayCapNhat]) expect(t).toMatch(ts);
      expect([1, 2, 3]).toContain(d.HinhThuc);
      expect([1, 2, 3, 4]).toContain(d.TrangThaiHoSo);
      if (d.TrangThaiHoSo === 4) {
        expect(d.NgayTra).toMatch(ts);
        expect(d.NgayCapNhat).toBe(d.NgayTra);
        expect(d.NgayTra as string > d.NgayTiepNhan).toBe(true);
      } else {
        expect(d.NgayTra).toBeNull();
      }
      expect([0, 1]).toContain(d.ThanhToanTrucTuyen);
      if (d.ThanhToanTrucTuyen === 1) expect(d.PhiLePhi).toBeGreaterThan(0);
      expect(d.NgayHenTra > d.NgayTiepNhan).toBe(true);
    }
    const fromWorld = sim.world.dossier(page.content[17].MaHoSo);
    expect(fromWorld).toEqual(page.content[17]);
  });

  it('pages by cursor without skips or duplicates, ties on NgayCapNhat included', async () => {
    const token = await igateToken(sim, '72');
    const expected = sim.world.feed.total('72');
    const { dossiers, pages } = await drainFeed(sim, '72', token, 97);
    expect(dossiers).toHaveLength(expected);
    expect(new Set(dossiers.map((d) => d.MaHoSo)).size).toBe(expected);
    const keys = dossiers.map(sortKey);
    expect([...keys].sort()).toEqual(keys);
    // Many page boundaries fall inside a run of equal NgayCapNhat: the cursor's afterId matters.
    let tiesAcrossPages = 0;
    for (let p = 1; p < pages.length; p++) {
      const prev = pages[p - 1].content;
      if (pages[p].content.length && prev[prev.length - 1].NgayCapNhat === pages[p].content[0].NgayCapNhat) tiesAcrossPages++;
    }
    expect(tiesAcrossPages).toBeGreaterThan(0);
    expect(pages[0].totalElements).toBe(expected);
    expect(pages[pages.length - 1].last).toBe(true);
  });

  it('gives the same sequence through modifiedFrom+afterId, the cursor and page numbers', async () => {
    const token = await igateToken(sim, '96');
    const all = (await drainFeed(sim, '96', token, 500)).dossiers;
    // modifiedFrom/afterId resumption with tiny pages inside the feed
    const start = all[1234];
    const viaKeys: string[] = [];
    let q: Record<string, string | number> = { modifiedFrom: start.NgayCapNhat, afterId: start.MaHoSo, size: 3 };
    for (let i = 0; i < 40; i++) {
      const page = await feedPage(sim, '96', token, q);
      viaKeys.push(...page.content.map((d) => d.MaHoSo));
      q = { modifiedFrom: page.nextModifiedFrom as string, afterId: page.nextAfterId as string, size: 3 };
    }
    expect(viaKeys).toEqual(all.slice(1235, 1235 + 120).map((d) => d.MaHoSo));
    // modifiedFrom alone is inclusive
    const inclusive = await feedPage(sim, '96', token, { modifiedFrom: start.NgayCapNhat, size: 5 });
    expect(inclusive.content[0].NgayCapNhat).toBe(start.NgayCapNhat);
    expect(all.findIndex((d) => d.NgayCapNhat === start.NgayCapNhat)).toBe(all.findIndex((d) => d.MaHoSo === inclusive.content[0].MaHoSo));
    // page numbers over a fixed filter
    const p3 = await feedPage(sim, '96', token, { modifiedFrom: '20200101000000', page: 3, size: 50 });
    const base = all.findIndex((d) => d.NgayCapNhat >= '20200101000000');
    expect(p3.content.map((d) => d.MaHoSo)).toEqual(all.slice(base + 150, base + 200).map((d) => d.MaHoSo));
    expect(p3.totalElements).toBe(all.length - base);
    // modifiedTo is exclusive
    const window = await feedPage(sim, '96', token, { modifiedFrom: '20210301000000', modifiedTo: '20210401000000', size: 5000 });
    expect(window.content).toEqual(all.filter((d) => d.NgayCapNhat >= '20210301000000' && d.NgayCapNhat < '20210401000000'));
  });

  it('rejects malformed paging parameters', async () => {
    const token = await igateToken(sim, '80');
    for (const q of ['size=0', 'size=5001', 'page=-1', 'modifiedFrom=2021-01-01', 'cursor=zzz', 'afterId=80-2101-0001-00001']) {
      const res = await fetch(`${sim.url}/igate/80/api/dossiers?${q}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(400);
    }
  });

  it('aggregates exactly to the national portal’s dossier-processing rows (province 80: old Long An and new Tây Ninh)', async () => {
    const token = await igateToken(sim, '80');
    const { dossiers } = await drainFeed(sim, '80', token, 5000);
    const fromFeed = aggregateFeed(dossiers);
    const fromPortal = new Map<string, ReturnType<typeof rowCounts>>();
    for (const { year, month } of monthsBetween(2018, 1, 2025, 12)) {
      const rows = await dvcqgAll<ProcessingRow>(sim, 'dossier-processing', { timeType: 'month', year, month, rootDepartmentId: '80' });
      for (const r of rows) fromPortal.set(`${r.agencyCode}|${r.procedureCode}|${r.fromDate.slice(0, 7)}`, rowCounts(r));
    }
    expect(fromFeed.size).toBeGreaterThan(1000);
    expect(new Map([...fromFeed].sort())).toEqual(new Map([...fromPortal].sort()));
    // both eras and commune units are in there
    expect(dossiers.some((d) => d.NgayTiepNhan < '20250701' )).toBe(true);
    expect(dossiers.some((d) => d.NgayTiepNhan >= '20250701')).toBe(true);
    expect(dossiers.some((d) => d.MaXa !== null)).toBe(true);
  });

  it('advancing the clock appends new dossiers and resolutions after the last cursor only', async () => {
    await withSimulator({}, async (s) => {
      const token = await igateToken(s, '96');
      const first = await drainFeed(s, '96', token, 1000);
      const seen = new Map(first.dossiers.map((d) => [d.MaHoSo, d]));
      const lastKey = sortKey(first.dossiers[first.dossiers.length - 1]);
      expect(first.dossiers.every((d) => d.NgayCapNhat < '20260101000000')).toBe(true);
      s.world.advance(1);
      expect(s.world.clock()).toEqual({ endMonth: '2026-01', now: '20260201000000' });
      const resync = await drainFeed(s, '96', token, 1000, first.cursor as string);
      expect(resync.dossiers.length).toBeGreaterThan(0);
      for (const d of resync.dossiers) {
        expect(sortKey(d) > lastKey).toBe(true);
        const before = seen.get(d.MaHoSo);
        if (before) {
          // a dossier that was open got resolved
          expect(before.TrangThaiHoSo).not.toBe(4);
          expect(d.TrangThaiHoSo).toBe(4);
          expect(d.NgayTiepNhan).toBe(before.NgayTiepNhan);
          expect(d.HinhThuc).toBe(before.HinhThuc);
        } else {
          expect(d.NgayTiepNhan.startsWith('202601')).toBe(true);
        }
      }
      for (const d of resync.dossiers) seen.set(d.MaHoSo, d);
      expect(seen.size).toBe(s.world.feed.total('96'));
      // the upserted state still matches the national portal at the new clock
      const agg = aggregateFeed([...seen.values()]);
      const rows = await dvcqgAll<ProcessingRow>(s, 'dossier-processing', { timeType: 'month', year: 2025, month: 12, rootDepartmentId: '96' });
      for (const r of rows) expect(agg.get(`${r.agencyCode}|${r.procedureCode}|2025-12`)).toEqual(rowCounts(r));
    });
  });

  it('is byte-for-byte deterministic for a seed', async () => {
    const fetchAll = async (s: RunningSimulator): Promise<string> => {
      const token = await igateToken(s, '31');
      const res = await fetch(`${s.url}/igate/31/api/dossiers?modifiedFrom=20230101000000&size=2000`, { headers: { authorization: `Bearer ${token}` } });
      return `${token}\n${await res.text()}`;
    };
    const a = await withSimulator({ seed: 42 }, fetchAll);
    const b = await withSimulator({ seed: 42 }, fetchAll);
    const c = await withSimulator({ seed: 43 }, fetchAll);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    // the hand-written JSON equals JSON.stringify of the parsed records
    const body = JSON.parse(a.slice(a.indexOf('\n') + 1)) as { content: unknown[] };
    expect(a.slice(a.indexOf('\n') + 1).startsWith(`{"content":[${body.content.map((d) => JSON.stringify(d)).join(',')}]`)).toBe(true);
  });

  it('generates a page in time proportional to the page, not to its depth', () => {
    const feed = sim.world.feed;
    const total = feed.total('80');
    const w = new AsciiWriter();
    const t0 = process.hrtime.bigint();
    const deep = feed.page('80', { from: null, to: null, offset: total - 10, size: 10 }, w);
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(deep.count).toBe(10);
    expect(dt).toBeLessThan(200);
  });
});
