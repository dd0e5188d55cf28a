import { parse } from 'csv-parse/sync';
import { EXPORT_HEADER, startSimulator, type RunningSimulator } from '../../src/simulator';
import { dvcqgAll, type ProcessingRow } from './helpers';

describe('provincial statistics export (CSV)', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('is UTF-8 with BOM and CRLF, Vietnamese headers, legacy levels 1-4', async () => {
    const res = await fetch(`${sim.url}/export/72/thong-ke.csv?nam=2021&thang=3`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(text.split('\r\n')[0]).toBe(EXPORT_HEADER.join(','));
    expect(text.split('\r\n')[0]).toBe('STT,Mã đơn vị,Tên đơn vị,Lĩnh vực,Mã TTHC,Tên thủ tục,Mức độ,Số hồ sơ trực tuyến,Số hồ sơ trực tiếp,Số hồ sơ BCCI,Đúng hạn,Trễ hạn,Đang xử lý,Có phí,Thanh toán trực tuyến');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(40);
    for (const r of rows) expect(['1', '2', '3', '4']).toContain(r['Mức độ']);
  });

  it('maps Decree 42 levels to the legacy column after 2022 and matches the national portal’s counts', async () => {
    const res = await fetch(`${sim.url}/export/80/thong-ke.csv?nam=2025&quy=3`);
    const rows = parse((await res.text()).replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    const provision = await dvcqgAll<{ agencyCode: string; procedureCode: string; level: string }>(sim, 'service-provision', { timeType: 'quarter', year: 2025, quarter: 3, rootDepartmentId: '80' });
    const legacy: Record<string, string> = { full: '4', partial: '3', info: '2' };
    const levelOf = new Map(provision.map((p) => [`${p.agencyCode}|${p.procedureCode}`, legacy[p.level]]));
    expect(rows).toHaveLength(provision.length);
    for (const r of rows) expect(r['Mức độ']).toBe(levelOf.get(`${r['Mã đơn vị']}|${r['Mã TTHC']}`));
    const processing = await dvcqgAll<ProcessingRow>(sim, 'dossier-processing', { timeType: 'quarter', year: 2025, quarter: 3, rootDepartmentId: '80' });
    const byKey = new Map(processing.map((p) => [`${p.agencyCode}|${p.procedureCode}`, p]));
    for (const r of rows) {
      const p = byKey.get(`${r['Mã đơn vị']}|${r['Mã TTHC']}`);
      const online = Number(r['Số hồ sơ trực tuyến']);
      if (!p) {
        expect(online + Number(r['Số hồ sơ trực tiếp']) + Number(r['Số hồ sơ BCCI'])).toBe(0);
        continue;
      }
      expect([online, Number(r['Số hồ sơ trực tiếp']), Number(r['Số hồ sơ BCCI'])]).toEqual([p.onlineCount, p.directCount, p.postalCount]);
      expect([Number(r['Đúng hạn']), Number(r['Trễ hạn']), Number(r['Đang xử lý'])]).toEqual([p.onTimeCount, p.overdueCount, p.inProgressCount]);
      expect([Number(r['Có phí']), Number(r['Thanh toán trực tuyến'])]).toEqual([p.feeCount, p.onlinePaymentCount]);
    }
  });

  it('covers a year and validates parameters', async () => {
    const year = await fetch(`${sim.url}/export/96/thong-ke.csv?nam=2020`);
    expect(year.status).toBe(200);
    expect(year.headers.get('content-disposition')).toContain('thong-ke-96-2020.csv');
    expect((await fetch(`${sim.url}/export/96/thong-ke.csv?nam=2020&thang=13`)).status).toBe(400);
    expect((await fetch(`${sim.url}/export/96/thong-ke.csv?nam=2020&thang=1&quy=1`)).status).toBe(400);
    expect((await fetch(`${sim.url}/export/96/thong-ke.csv`)).status).toBe(400);
    expect((await fetch(`${sim.url}/export/01/thong-ke.csv?nam=2020`)).status).toBe(404);
    // old Tây Ninh (72) no longer exists after the reform: header only
    const gone = await fetch(`${sim.url}/export/72/thong-ke.csv?nam=2025&thang=9`);
    expect((await gone.text()).split('\r\n').filter(Boolean)).toHaveLength(1);
  });
});
