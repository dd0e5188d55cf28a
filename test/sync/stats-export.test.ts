import { parseExport } from '../../src/connectors/stats-export.connector';
import { TransientError } from '../../src/connectors/http.client';
import { EXPORT_HEADER } from '../../src/simulator';
import { legacyLevel } from '../../src/simulator/simulator.types';
import { factCounts } from '../support/harness';
import { factDigest, feedTruth, provinceFilings, sourceRow, syncWorld, SyncWorld } from './helpers';

describe('statistics export connector (legacy CSV)', () => {
  it('reads UTF-8 with a BOM, CRLF, quoted names; refuses a cut-off file and unknown columns', () => {
    const header = EXPORT_HEADER.join(',');
    const csv = `\uFEFF${header}\r\n1,80,Tỉnh Long An,Hộ tịch,1.001,"Đăng ký khai sinh, thường trú",4,3,2,1,4,1,1,2,1\r\n`;
    expect(parseExport(csv, 'x')).toEqual([
      { line: 2, unit: '80', procedure: '1.001', level: '4', counts: { online: 3, inPerson: 2, postal: 1, onTime: 4, late: 1, open: 1, fee: 2, paid: 1 } },
    ]);
    expect(() => parseExport(csv.slice(0, -10), 'x')).toThrow(TransientError);
    expect(() => parseExport(csv.replace('Mức độ', 'Level'), 'x')).toThrow(/no column "Mức độ"/);
  });

  let w: SyncWorld;
  beforeAll(async () => {
    w = await syncWorld([
      { code: 'catalogue', kind: 'dvcqg' as never, options: { parts: ['catalogue'] } },
      { code: 'export-80', kind: 'stats_export' as never, baseUrl: '${SIMULATOR_URL}/export/80', units: ['80'] },
      { code: 'export-72', kind: 'stats_export' as never, baseUrl: '${SIMULATOR_URL}/export/72', units: ['72'], options: { from: '2024-07' } },
    ]);
    expect((await w.sync.sync('catalogue')).status).toBe('succeeded');
  });
  afterAll(() => w?.stop());

  it('maps monthly counts to filing statistics and the Decree 43 era levels as changes', async () => {
    const outcome = await w.sync.sync('export-80');
    expect(outcome.error).toBeUndefined();
    // The export's counts are the feed's (the simulator's consistency guarantee); it has no "synced" column.
    const truth = [...(await feedTruth(w.sim, '80'))].map(([k, c]) => [k, [...c.slice(0, 7), 0]]);
    expect([...(await provinceFilings(w.db, '80'))].sort()).toEqual(truth.sort());

    const rows = await w.db.sql.query<{ unit: string; valid_from: string | null; procedure: string; levels: string[] }>(
      `SELECT u.code AS unit, to_char(u.valid_from, 'YYYY-MM-DD') AS valid_from, p.code AS procedure,
              array_agg(to_char(l.valid_from, 'YYYY-MM') || ' ' || l.taxonomy || ' ' || l.level ORDER BY l.valid_from) AS levels
       FROM service s JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id JOIN service_level l ON l.service_id = s.id GROUP BY 1, 2, 3`,
    );
    const got = new Map(rows.map((r) => [`${r.unit}|${r.valid_from ?? ''}|${r.procedure}`, r.levels]));
    const month = (i: number) => `${2018 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
    let services = 0;
    for (const svc of w.sim.world.servicesOfProvince('80')) {
      const expected: string[] = [];
      for (let k = 0; k < svc.levels.length && svc.levels[k] < 54; k += 2) {
        const legacy = `decree43 ${legacyLevel(svc.levels[k + 1])}`;
        if (expected.at(-1)?.slice(8) !== legacy) expected.push(`${month(svc.levels[k])} ${legacy}`);
      }
      expect(got.get(`${svc.unit.code}|${svc.unit.validFrom ?? ''}|${svc.procedure.code}`) ?? []).toEqual(expected);
      if (expected.length > 0) services++;
    }
    expect(services).toBeGreaterThan(50);
    expect((await sourceRow(w.db, 'export-80')).sync_state).toEqual({ through: '2025-12' });

    const digest = await factDigest(w.db);
    expect(await w.sync.sync('export-80')).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect(await factDigest(w.db)).toBe(digest);
  });

  it('fetches a truncated file or one served twice again', async () => {
    w.sim.faults.clear();
    w.sim.faults.add([
      { kind: 'truncated-csv', pathPrefix: '/export/72/', skip: 1 },
      { kind: 'repeat-page', pathPrefix: '/export/72/', skip: 4 },
      { kind: 'status', status: 502, pathPrefix: '/export/72/', skip: 7 },
    ]);
    const outcome = await w.sync.sync('export-72');
    expect(outcome.error).toBeUndefined();
    expect(w.sim.faults.list()).toEqual([]);
    const [run] = await w.db.sql.query<{ detail: { http: { faults: string[] } } }>('SELECT detail FROM ingest_run WHERE id = $1', [outcome.runId]);
    expect(run.detail.http.faults.join('\n')).toMatch(/truncated CSV[\s\S]*served twice[\s\S]*HTTP 502: <html>/);
    const truth = [...(await feedTruth(w.sim, '72'))].filter(([k]) => k.slice(-7) >= '2024-07').map(([k, c]) => [k, [...c.slice(0, 7), 0]]);
    expect([...(await provinceFilings(w.db, '72'))].sort()).toEqual(truth.sort());
  });

  it('a file that stays truncated fails the run and writes nothing', async () => {
    await w.db.sql.query(`DELETE FROM filing_stat WHERE month >= '2025-01-01'`);
    const counts = await factCounts(w.db);
    const digest = await factDigest(w.db);
    w.sim.faults.clear();
    w.sim.faults.add({ kind: 'truncated-csv', pathPrefix: '/export/72/', skip: 8, times: 10 });
    const outcome = await w.sync.sync('export-72', { full: true });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/^failed, nothing written: export 2025-\d\d: truncated CSV \(the last row does not end\) \(gave up after 3 attempts\)$/);
    expect(await factCounts(w.db)).toEqual(counts);
    expect(await factDigest(w.db)).toBe(digest);
    expect(await sourceRow(w.db, 'export-72')).toMatchObject({ status: 'degraded', sync_state: { through: '2025-06' } });
  });
});
