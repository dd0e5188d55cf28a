import { parse } from 'csv-parse/sync';
import { startSimulator, type RunningSimulator } from '../../src/simulator';
import { DVCQG_TOKEN, aggregateFeed, drainFeed, dvcqgAll, feedPage, igateToken, rowCounts, type ProcessingRow } from './helpers';

describe('faults on demand', () => {
  let sim: RunningSimulator;
  let token: string;
  const feedUrl = (q = 'size=20'): string => `${sim.url}/igate/80/api/dossiers?${q}`;
  const auth = (): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

  beforeEach(async () => {
    sim = await startSimulator({ port: 0 });
    token = await igateToken(sim, '80');
  });
  afterEach(async () => {
    await sim.close();
  });

  it('the 2nd request to /igate/80/api/dossiers returns 503, others are untouched', async () => {
    sim.faults.add({ kind: 'status', status: 503, pathPrefix: '/igate/80/api/dossiers', skip: 1, times: 1 });
    const other = await fetch(`${sim.url}/export/80/thong-ke.csv?nam=2021`);
    expect(other.status).toBe(200);
    expect((await fetch(feedUrl(), auth())).status).toBe(200);
    const second = await fetch(feedUrl(), auth());
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(((await second.json()) as { error: string }).error).toBe('server_error');
    expect((await fetch(feedUrl(), auth())).status).toBe(200);
    expect(sim.faults.list()).toHaveLength(0);
    expect(sim.faults.hits()).toEqual([{ faultId: 1, kind: 'status', method: 'GET', path: '/igate/80/api/dossiers' }]);
  });

  it('500 as JSON on the national portal, 502 as an nginx HTML page', async () => {
    sim.faults.add([
      { kind: 'status', status: 500, pathPrefix: '/dvcqg/', times: 1 },
      { kind: 'status', status: 502, pathPrefix: '/export/', times: 2 },
    ]);
    const r500 = await fetch(`${sim.url}/dvcqg/api/v1/catalogue/procedures`, { headers: { authorization: `Bearer ${DVCQG_TOKEN}` } });
    expect(r500.status).toBe(500);
    expect(((await r500.json()) as { success: boolean }).success).toBe(false);
    for (let i = 0; i < 2; i++) {
      const r502 = await fetch(`${sim.url}/export/80/thong-ke.csv?nam=2021`);
      expect(r502.status).toBe(502);
      expect(r502.headers.get('content-type')).toBe('text/html');
      expect(await r502.text()).toContain('<center>nginx</center>');
    }
    expect((await fetch(`${sim.url}/export/80/thong-ke.csv?nam=2021`)).status).toBe(200);
  });

  it('timeout: answers late after hangMs, or never until the server closes', async () => {
    sim.faults.add({ kind: 'timeout', hangMs: 400, pathPrefix: '/igate/80/api/dossiers' });
    await expect(fetch(feedUrl(), { ...auth(), signal: AbortSignal.timeout(100) })).rejects.toThrow();
    sim.faults.add({ kind: 'timeout', pathPrefix: '/igate/80/api/dossiers' });
    // Closing ends it: were it left hanging, `late` would never settle and the test would time out.
    const late = fetch(feedUrl(), auth()).then(
      (r) => r.status,
      () => 'closed',
    );
    await new Promise((r) => setTimeout(r, 150));
    await sim.close();
    expect(await late).toBe('closed');
  });

  it('timeout with hangMs still answers normally once the delay is over', async () => {
    sim.faults.add({ kind: 'timeout', hangMs: 200, pathPrefix: '/igate/' });
    const started = Date.now();
    const res = await fetch(feedUrl(), auth());
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('malformed JSON: 200 with a truncated body', async () => {
    const full = await (await fetch(feedUrl(), auth())).text();
    sim.faults.add({ kind: 'malformed-json', pathPrefix: '/igate/80/' });
    const res = await fetch(feedUrl(), auth());
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeLessThan(full.length);
    expect(full.startsWith(text)).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('truncated CSV: 200, cut in the middle of a data row', async () => {
    const url = `${sim.url}/export/80/thong-ke.csv?nam=2021&thang=5`;
    const full = await (await fetch(url)).text();
    sim.faults.add({ kind: 'truncated-csv', pathPrefix: '/export/' });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(full.startsWith(text)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(false);
    // Whole rows parse; the last line is a strict prefix of the real row.
    const cut = text.lastIndexOf('\r\n') + 2;
    const complete = parse(text.slice(1, cut), { columns: true }) as Record<string, string>[];
    expect(complete.length).toBeGreaterThan(1);
    const fullLines = full.split('\r\n');
    const partial = text.slice(cut);
    expect(partial.length).toBeGreaterThan(0);
    expect(fullLines[complete.length + 1].startsWith(partial)).toBe(true);
    expect(fullLines[complete.length + 1].length).toBeGreaterThan(partial.length);
  });

  it('repeat-page: the next page request returns the previous page again', async () => {
    const p1 = await feedPage(sim, '80', token, { size: 10 });
    const p2 = await feedPage(sim, '80', token, { cursor: p1.nextCursor as string, size: 10 });
    sim.faults.add({ kind: 'repeat-page', pathPrefix: '/igate/80/api/dossiers' });
    const p3 = await feedPage(sim, '80', token, { cursor: p2.nextCursor as string, size: 10 });
    expect(p3).toEqual(p2);
    // resuming from the repeated page's cursor loses nothing
    const p3b = await feedPage(sim, '80', token, { cursor: p3.nextCursor as string, size: 10 });
    const direct = await drainFeed(sim, '80', token, 30);
    expect([...p1.content, ...p2.content, ...p3b.content]).toEqual(direct.dossiers.slice(0, 30));
  });

  it('correction: a served dossier comes back later with a later NgayCapNhat and changed figures', async () => {
    sim.faults.add({ kind: 'correction', pathPrefix: '/igate/80/api/dossiers', correctionKind: 'channel' });
    const first = await feedPage(sim, '80', token, { size: 100 });
    const corrections = sim.world.allCorrections();
    expect(corrections).toHaveLength(1);
    const corrected = corrections[0];
    const original = first.content.find((d) => d.MaHoSo === corrected.maHoSo);
    expect(original).toBeDefined();
    const rest = await drainFeed(sim, '80', token, 5000, first.nextCursor as string);
    const again = rest.dossiers.filter((d) => d.MaHoSo === corrected.maHoSo);
    expect(again).toHaveLength(1);
    expect(again[0].NgayCapNhat > (original?.NgayCapNhat as string)).toBe(true);
    expect(again[0].HinhThuc).not.toBe(original?.HinhThuc);
    expect(rest.dossiers[rest.dossiers.length - 1].MaHoSo).toBe(corrected.maHoSo);
    // a fresh scan holds each dossier once; only the corrected cell disagrees with the national portal
    const fresh = (await drainFeed(sim, '80', token, 5000)).dossiers;
    expect(new Set(fresh.map((d) => d.MaHoSo)).size).toBe(fresh.length);
    expect(fresh.length).toBe(sim.world.feed.total('80'));
    const month = original?.NgayTiepNhan.slice(0, 6) as string;
    const rows = await dvcqgAll<ProcessingRow>(sim, 'dossier-processing', { timeType: 'month', year: Number(month.slice(0, 4)), month: Number(month.slice(4)), rootDepartmentId: '80' });
    const agg = aggregateFeed(fresh);
    const differing = rows.filter((r) => JSON.stringify(agg.get(`${r.agencyCode}|${r.procedureCode}|${month.slice(0, 4)}-${month.slice(4)}`)) !== JSON.stringify(rowCounts(r)));
    expect(differing.map((r) => r.procedureCode)).toEqual([original?.MaTTHC]);
  });

  it('bad-value: the page as served, but its middle record carries the given value in the field', async () => {
    const full = (await (await fetch(feedUrl(), auth())).json()) as { content: Record<string, unknown>[] };
    sim.faults.add({ kind: 'bad-value', pathPrefix: '/igate/80/api/dossiers', field: 'NgayHenTra', value: '20251345170000' });
    const res = await fetch(feedUrl(), auth());
    expect(res.status).toBe(200);
    const spoiled = (await res.json()) as { content: Record<string, unknown>[] };
    expect(spoiled.content).toHaveLength(20);
    expect(spoiled.content[10]).toEqual({ ...full.content[10], NgayHenTra: '20251345170000' });
    expect(spoiled).toEqual({ ...full, content: full.content.map((d, k) => (k === 10 ? spoiled.content[10] : d)) });
    // A field and a value are required.
    expect(() => sim.faults.add({ kind: 'bad-value', field: 'NgayHenTra' })).toThrow('bad-value needs a field (a record field name) and a value');
  });

  it('unauthorized and reset', async () => {
    sim.faults.add({ kind: 'unauthorized', pathPrefix: '/igate/80/api/dossiers' });
    expect((await fetch(feedUrl(), auth())).status).toBe(401);
    sim.faults.add({ kind: 'reset', pathPrefix: '/igate/80/api/dossiers' });
    await expect(fetch(feedUrl(), auth())).rejects.toThrow();
    expect((await fetch(feedUrl(), auth())).status).toBe(200);
  });

  it('corrections of each kind, programmatic and over HTTP', async () => {
    const resolved = (await feedPage(sim, '80', token, { size: 300 })).content.filter((d) => d.TrangThaiHoSo === 4);
    const [a, b, c] = resolved;
    const overdue = sim.world.correctDossier(a.MaHoSo, 'overdue').record;
    expect((overdue.NgayTra as string) > overdue.NgayHenTra).toBe((a.NgayTra as string) <= a.NgayHenTra);
    const reopened = sim.world.correctDossier(b.MaHoSo, 'reopened').record;
    expect(reopened.TrangThaiHoSo).toBe(3);
    expect(reopened.NgayTra).toBeNull();
    const viaHttp = await fetch(`${sim.url}/__corrections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maHoSo: c.MaHoSo, kind: 'channel' }),
    });
    expect(viaHttp.status).toBe(201);
    const listed = (await (await fetch(`${sim.url}/__corrections`)).json()) as { corrections: { maHoSo: string; modified: number }[] };
    expect(listed.corrections.map((x) => x.maHoSo).sort()).toEqual([a.MaHoSo, b.MaHoSo, c.MaHoSo].sort());
    // corrections are stamped one second apart right after the clock, in order of injection
    const tail = (await feedPage(sim, '80', token, { modifiedFrom: '20260101000000', size: 10 })).content;
    expect(tail.map((d) => d.MaHoSo)).toEqual([a.MaHoSo, b.MaHoSo, c.MaHoSo]);
    expect(tail.map((d) => d.NgayCapNhat)).toEqual(['20260101000001', '20260101000002', '20260101000003']);
    const open = (await feedPage(sim, '80', token, { modifiedFrom: '20251231000000', size: 5000 })).content.find((d) => d.TrangThaiHoSo !== 4);
    const refused = await fetch(`${sim.url}/__corrections`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ maHoSo: open?.MaHoSo }) });
    expect(refused.status).toBe(400);
  });

  it('is controllable over HTTP: POST, GET and DELETE /__faults, and /__clock', async () => {
    const post = await fetch(`${sim.url}/__faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ kind: 'status', status: 502, pathPrefix: '/dvcqg/', times: 5 }, { kind: 'reset' }]),
    });
    expect(post.status).toBe(201);
    expect(((await post.json()) as { ids: number[] }).ids).toEqual([1, 2]);
    const listed = (await (await fetch(`${sim.url}/__faults`)).json()) as { faults: unknown[] };
    expect(listed.faults).toHaveLength(2);
    const bad = await fetch(`${sim.url}/__faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"explode"}' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${sim.url}/__faults`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.faults.list()).toHaveLength(0);
    expect((await fetch(feedUrl(), auth())).status).toBe(200);
    const clock = await fetch(`${sim.url}/__clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advanceMonths":2}' });
    expect(await clock.json()).toEqual({ endMonth: '2026-02', now: '20260301000000' });
    const health = (await (await fetch(`${sim.url}/__health`)).json()) as { ok: boolean; seed: number };
    expect(health).toMatchObject({ ok: true, seed: 42, scale: 'small' });
  });
});
