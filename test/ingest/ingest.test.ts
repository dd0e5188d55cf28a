import fs from 'node:fs';
import path from 'node:path';
import { FilingStatsDocument, IngestDocument, IngestMutationVariables, PlansDocument, ServicesOfUnitDocument } from '../generated/graphql';
import { factCounts, startTestGateway, TestGateway } from '../support/harness';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8')) as IngestMutationVariables['batch'];

let gw: TestGateway;
let key: string;
beforeAll(async () => {
  gw = await startTestGateway({ maxBatchRows: 50 });
  // The provincial platform of the new Tây Ninh, which also reports for its predecessors (72, old 80).
  key = await gw.createKey({ name: 'tay-ninh-lgsp', unitCodes: ['72', '80'], catalogue: true });
});
afterAll(() => gw?.stop());

describe('ingest mutation', () => {
  it('writes a batch and reads every row back', async () => {
    const res = await gw.gql(IngestDocument, { batch: example }, key);
    expect(res.errors).toBeUndefined();
    const r = res.data!.ingest;
    expect(r.rowsRead).toBe(12);
    expect(r).toMatchObject({ sectors: 2, procedures: 2, run: { status: 'SUCCEEDED' } });
    expect(r.services).toEqual({ inserted: 4, updated: 0, corrected: 0, outranked: 0 });
    expect(r.filings).toEqual({ inserted: 3, updated: 0, corrected: 0, outranked: 0 });
    expect(r.plans).toEqual({ inserted: 1, updated: 0, corrected: 0, outranked: 0 });

    const stats = await gw.gql(FilingStatsDocument, { filter: { unitCode: '72', from: '2021-06', to: '2021-06' } });
    expect(stats.data!.filingStats.totalCount).toBe(2);
    expect(stats.data!.filingStats.nodes[0]).toEqual({
      month: '2021-06', received: 120, receivedOnline: 80, receivedPostal: 5, receivedInPerson: 35, resolvedOnTime: 110,
      resolvedLate: 4, withFee: 20, paidOnline: 12, syncedNational: 80,
      unit: { code: '72', name: 'Tỉnh Tây Ninh' }, procedure: { code: '1.001193' },
      provenance: { source: { code: 'push:tay-ninh-lgsp', kind: 'PUSH' }, run: { id: String(r.run.id) } },
    });

    // The level in force on a date is the latest report from on or before it.
    const services = await gw.gql(ServicesOfUnitDocument, { code: '72', unitAt: '2021-01-01', at: '2021-05-31' });
    const birth = services.data!.services.nodes.find((s) => s.procedure.code === '1.001193')!;
    expect(birth.level).toMatchObject({ taxonomy: 'DECREE_43', level: '3', validFrom: '2020-01-01' });
    expect(birth.levelHistory.map((l) => l.level)).toEqual(['3', '4']);
    expect(birth.procedure.sector).toEqual({ code: 'HOTICH', name: 'Hộ tịch' });

    const plans = await gw.gql(PlansDocument, { filter: { unitCode: '72', year: 2021 } });
    expect(plans.data!.plans.nodes).toEqual([
      expect.objectContaining({ documentNumber: '123/KH-UBND', issuedOn: '2021-08-20', dueOn: '2021-09-10', unit: { code: '72', name: 'Tỉnh Tây Ninh' } }),
    ]);
  });

  it('reads a unit code at the fact date: 80 is Long An in June 2025 and the new Tây Ninh in July', async () => {
    const july = await gw.gql(FilingStatsDocument, { filter: { unitCode: '80', from: '2025-07', to: '2025-07' } });
    expect(july.data!.filingStats.nodes.map((n) => n.unit.name)).toEqual(['Tỉnh Tây Ninh']);
    const res = await gw.gql(IngestDocument, {
      batch: { filings: [{ unit: '80', procedure: '1.001193', month: '2025-06', received: 10, receivedOnline: 1 }] },
    }, key);
    expect(res.errors).toBeUndefined();
    const june = await gw.gql(FilingStatsDocument, { filter: { unitCode: '80', from: '2025-06', to: '2025-06' } });
    expect(june.data!.filingStats.nodes.map((n) => n.unit.name)).toEqual(['Tỉnh Long An']);
  });

  it('is idempotent: the same batch twice changes nothing', async () => {
    const before = await factCounts(gw.db);
    const res = await gw.gql(IngestDocument, { batch: example }, key);
    expect(res.data!.ingest.rowsWritten).toBe(0);
    expect(await factCounts(gw.db)).toEqual(before);
  });

  it('replaces a corrected figure and records the correction', async () => {
    const corrected = { ...example.filings![0], received: 125, receivedOnline: 85 };
    const res = await gw.gql(IngestDocument, { batch: { filings: [corrected] } }, key);
    expect(res.data!.ingest.filings).toEqual({ inserted: 0, updated: 1, corrected: 1, outranked: 0 });
    const stats = await gw.gql(FilingStatsDocument, { filter: { unitCode: '72', procedureCode: '1.001193', from: '2021-06', to: '2021-06' } });
    expect(stats.data!.filingStats.nodes[0]).toMatchObject({ received: 125, receivedOnline: 85 });
    const revisions = await gw.db.sql.query<{ reason: string; value: Record<string, number> }>(
      `SELECT reason, value FROM fact_revision WHERE fact_type = 'filing_stat'`,
    );
    expect(revisions).toEqual([{ reason: 'corrected', value: expect.objectContaining({ received: 120, receivedOnline: 80 }) }]);
  });
});

describe('ingest guard', () => {
  const problemsOf = (res: { errors?: { extensions?: { problems?: { field: string; reason: string }[] } }[] }) =>
    Object.fromEntries((res.errors?.[0].extensions?.problems ?? []).map((p) => [p.field, p.reason]));

  it('rejects a bad batch whole, naming each row and field, and writes nothing', async () => {
    const before = await factCounts(gw.db);
    const runsBefore = await gw.db.sql.query(`SELECT id FROM ingest_run WHERE status = 'succeeded'`);
    const good = { unit: '72', procedure: '1.001193', month: '2021-07', received: 5, receivedOnline: 1 };
    const res = await gw.gql(IngestDocument, {
      batch: {
        filings: [
          good,
          { ...good, month: '2021-08', unit: '99' },
          { ...good, month: '2021-09', procedure: '9.999999' },
          { ...good, month: '2021-10', received: -1 },
          { ...good, month: '2021-11', receivedOnline: 6 },
          { ...good, month: '2021-12', resolvedOnTime: 4, resolvedLate: 2 },
          { ...good, month: '2021-13' },
          { ...good },
        ],
        services: [{ unit: '72', procedure: '1.001193', taxonomy: 'decree42', level: '4', from: '2022-07-01' }],
      },
    }, key);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/nothing was written/);
    // Every kind of problem in one answer: format, and the codes of the well-formed rows.
    expect(problemsOf(res)).toEqual({
      'filings[1].unit': 'unknown unit code 99',
      'filings[2].procedure': 'unknown procedure code 9.999999',
      'filings[3].received': 'must not be negative, got -1',
      'filings[4].receivedOnline': '6 online is more than 5 received',
      'filings[5].resolvedOnTime': 'resolved (on time + late = 6) is more than 5 received',
      'filings[6].month': 'must be a month YYYY-MM, got "2021-13"',
      'filings[7]': 'duplicates filings[0] (same key 72/1.001193/2021-07)',
      'services[0].level': 'level "4" does not exist in decree42 (allowed: info, partial, full)',
    });
    // A unit code is read at the fact's date: 72 (old Tây Ninh) ended on 2025-06-30.
    const refs = await gw.gql(IngestDocument, {
      batch: { filings: [good, { ...good, month: '2021-08', unit: '99' }, { ...good, month: '2021-09', procedure: '9.999999' }, { ...good, month: '2025-08', unit: '72' }] },
    }, key);
    expect(problemsOf(refs)).toEqual({
      'filings[1].unit': 'unknown unit code 99',
      'filings[2].procedure': 'unknown procedure code 9.999999',
      'filings[3].unit': 'unit 72 did not exist on 2025-08-01',
    });
    expect(await factCounts(gw.db)).toEqual(before);
    expect(await gw.db.sql.query(`SELECT id FROM ingest_run WHERE status = 'succeeded'`)).toEqual(runsBefore);
    const [rejected] = await gw.db.sql.query<{ status: string; rows_rejected: number }>(`SELECT status, rows_rejected FROM ingest_run ORDER BY id DESC LIMIT 1`);
    expect(rejected).toEqual({ status: 'rejected', rows_rejected: 3 });
  });

  it('rejects an empty batch and an oversized one', async () => {
    expect(problemsOf(await gw.gql(IngestDocument, { batch: {} }, key))).toEqual({ batch: 'is empty: no rows in any section' });
    const many = Array.from({ length: 51 }, (_, i) => ({ unit: '72', procedure: '1.001193', month: `20${10 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`, received: 1, receivedOnline: 0 }));
    expect(problemsOf(await gw.gql(IngestDocument, { batch: { filings: many } }, key))).toEqual({ batch: 'has 51 rows, more than the limit of 50: split it' });
  });

  it('needs a valid key to write, and reads stay public', async () => {
    const batch = { filings: [{ unit: '72', procedure: '1.001193', month: '2020-01', received: 1, receivedOnline: 0 }] };
    const none = await gw.gql(IngestDocument, { batch });
    expect(none.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await gw.gql(IngestDocument, { batch }, `${key.slice(0, -4)}AAAA`);
    expect(wrong.status).toBe(401);
    expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gw.gql(FilingStatsDocument, { first: 1 })).errors).toBeUndefined();
  });

  it('lists a format problem, an unknown code and a unit outside the key in one rejection, and writes nothing', async () => {
    const before = await factCounts(gw.db);
    const key01 = await gw.createKey({ name: 'ha-noi-portal', unitCodes: ['01'] });
    const row = { unit: '01', procedure: '1.001193', received: 3, receivedOnline: 1 };
    const res = await gw.gql(IngestDocument, {
      batch: {
        filings: [
          { ...row, month: '2024-13' },
          { ...row, month: '2024-02', unit: '99' },
          { ...row, month: '2024-03', unit: '79' },
          { ...row, month: '2024-04' },
        ],
      },
    }, key01);
    // Mixed kinds: the batch itself is wrong, so BAD_USER_INPUT, with the scope problem listed too.
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(problemsOf(res)).toEqual({
      'filings[0].month': 'must be a month YYYY-MM, got "2024-13"',
      'filings[1].unit': 'unknown unit code 99',
      'filings[2].unit': 'unit 79 is outside the scope of key ha-noi-portal (01)',
    });
    expect(await factCounts(gw.db)).toEqual(before);
    const [run] = await gw.db.sql.query<{ id: number; status: string; rows_read: number; rows_rejected: number }>(
      `SELECT id, status, rows_read, rows_rejected FROM ingest_run ORDER BY id DESC LIMIT 1`,
    );
    expect(run).toMatchObject({ status: 'rejected', rows_read: 4, rows_rejected: 3 });
    // Not even the good row (01, 2024-04) was written.
    const [{ n }] = await gw.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM filing_stat WHERE run_id = $1`, [run.id]);
    expect(Number(n)).toBe(0);
  });

  it("stops a province's key from writing another province's or a ministry's figures", async () => {
    const before = await factCounts(gw.db);
    const hanoi = await gw.createKey({ name: 'ha-noi', unitCodes: ['01'] });
    const res = await gw.gql(IngestDocument, {
      batch: {
        filings: [
          { unit: '00004', procedure: '1.001193', month: '2024-01', received: 3, receivedOnline: 1 },
          { unit: '79', procedure: '1.001193', month: '2024-01', received: 3, receivedOnline: 1 },
          { unit: 'BTP', procedure: '1.001193', month: '2024-01', received: 3, receivedOnline: 1 },
        ],
        procedures: [{ code: '1.000001', name: 'x', sector: 'HOTICH', tier: 'province' }],
      },
    }, hanoi);
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(problemsOf(res)).toEqual({
      procedures: 'the key ha-noi may not write the procedure catalogue',
      'filings[1].unit': 'unit 79 is outside the scope of key ha-noi (01)',
      'filings[2].unit': 'unit BTP is outside the scope of key ha-noi (01)',
    });
    expect(await factCounts(gw.db)).toEqual(before);
    // A commune of Hà Nội (00004, Phường Trúc Bạch) is within the key's scope.
    const ok = await gw.gql(IngestDocument, { batch: { filings: [{ unit: '00004', procedure: '1.001193', month: '2024-01', received: 3, receivedOnline: 1 }] } }, hanoi);
    expect(ok.errors).toBeUndefined();
  });
});
