import { startTestGateway, TestGateway } from '../support/harness';
import { loadFixture } from './fixture';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

interface WarningOut {
  code: string; message: string; field: string | null; unitCodes: string[] | null; count: number | null; until: string | null;
  units: { code: string; name: string; validFrom: string | null; validTo: string | null }[] | null;
  resolvedUnit: { code: string; name: string; validFrom: string | null; validTo: string | null } | null;
}
interface Out { totalRows: number; rows: { dimensions: { unit: { code: string } | null } }[]; coverage: { lastMonthWithData: string | null }; warnings: WarningOut[] }

const QUERY = `query($q: AggregateInput!) { aggregate(query: $q) {
  totalRows rows { dimensions { unit { code } } } coverage { lastMonthWithData }
  warnings { code message field unitCodes count until units { code name validFrom validTo } resolvedUnit { code name validFrom validTo } }
} }`;

/** Runs on both engines (rollups and base tables): warnings must not depend on which answered. */
async function warned(q: Record<string, unknown>): Promise<Out> {
  const [a, b] = await Promise.all([true, false].map((preferRollups) => gw.gql<{ aggregate: Out }>(QUERY, { q: { ...q, preferRollups } })));
  expect(a.errors).toBeUndefined();
  expect(b.errors).toBeUndefined();
  expect(a.data!.aggregate).toEqual(b.data!.aggregate);
  return a.data!.aggregate;
}

const MAY_AUG = { from: '2025-05', to: '2025-08' };

describe('aggregate warnings, by hand from the fixture and the reference units', () => {
  it('a fully covered query says nothing', async () => {
    // Data runs May to August 2025: national totals over exactly that period.
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], period: MAY_AUG });
    expect(r.coverage.lastMonthWithData).toBe('2025-08');
    expect(r.warnings).toEqual([]);
  });

  it('code 80 for 2024, read today, names the new Tây Ninh: the warning names Long An', async () => {
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], period: { from: '2024-01', to: '2024-12' }, filter: { unitCodes: ['80'] } });
    expect(r.rows).toEqual([]);
    const w = r.warnings.find((x) => x.code === 'CODE_MEANT_OTHER_UNIT');
    expect(w).toMatchObject({
      field: 'query.filter.unitCodes', unitCodes: ['80'],
      units: [{ code: '80', name: 'Tỉnh Long An', validFrom: null, validTo: '2025-06-30' }],
      resolvedUnit: { code: '80', name: 'Tỉnh Tây Ninh', validFrom: '2025-07-01', validTo: null },
    });
    expect(w!.message).toContain('Tỉnh Long An');
    expect(w!.message).toContain('filter.unitIds');
    // The one unit in scope (the new 80, which begins after 2024) is not valid in 2024: nothing else to say,
    // and no flows at all, so no coverage to compare.
    expect(r.warnings.map((x) => x.code)).toEqual(['CODE_MEANT_OTHER_UNIT']);
  });

  it('code 80 read in 2024 is Long An: no code warning', async () => {
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], period: { from: '2024-01', to: '2024-12' }, filter: { unitCodes: ['80'], unitsAt: '2024-06-30' } });
    expect(r.warnings).toEqual([]);
  });

  it('province codes are checked too', async () => {
    // Province 80 read on 2025-06-30 is Long An; over May-August 2025 the new Tây Ninh bore it from July.
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], period: MAY_AUG, filter: { provinceCodes: ['80'], unitsAt: '2025-06-30' } });
    const w = r.warnings.find((x) => x.code === 'CODE_MEANT_OTHER_UNIT');
    expect(w).toMatchObject({
      field: 'query.filter.provinceCodes', units: [{ name: 'Tỉnh Tây Ninh', validFrom: '2025-07-01' }], resolvedUnit: { name: 'Tỉnh Long An', validTo: '2025-06-30' },
    });
  });

  it('a period past the data gives the coverage warning', async () => {
    // Data ends 2025-08; the period runs to December.
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], period: { from: '2025-05', to: '2025-12' } });
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'COVERAGE_ENDS_BEFORE_PERIOD', field: 'query.period', until: '2025-08' })]);
    expect(r.warnings[0].message).toContain('2025-08');
  });

  it('units without data: the filtered units, by code', async () => {
    // Hà Nội (01) has filings in June and July 2025, Điện Biên (11) none: one unit without data.
    // Rows end in July (01's last filing, 2025-07) while the period ends in August: coverage too.
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], period: MAY_AUG, filter: { unitCodes: ['01', '11'] } });
    expect(r.rows.map((x) => x.dimensions.unit!.code)).toEqual(['01']);
    expect(r.warnings.map((x) => [x.code, x.count, x.unitCodes, x.until])).toEqual([
      ['UNITS_WITHOUT_DATA', 1, ['11'], null],
      ['COVERAGE_ENDS_BEFORE_PERIOD', null, null, '2025-07'],
    ]);
  });

  it('units without data across the reform: every province valid in the period', async () => {
    // May-August 2025: the 63 provinces before 1 July 2025 and the 34 after, 11 of them unchanged (the
    // same unit), make 63 + 34 - 11 = 86 units; 01, old 72, old 80 and new 80 have rows: 82 without.
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], period: MAY_AUG });
    expect(r.totalRows).toBe(4);
    const w = r.warnings.find((x) => x.code === 'UNITS_WITHOUT_DATA')!;
    expect(w.count).toBe(82);
    expect(w.unitCodes).toHaveLength(10);
    expect(w.unitCodes).not.toContain('01');
    // The same count when the answer is cut by its limit (the check re-runs the query without it).
    const cut = await warned({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], period: MAY_AUG, limit: 1 });
    expect(cut.warnings.find((x) => x.code === 'UNITS_WITHOUT_DATA')!.count).toBe(82);
  });

  it('in today\'s units, only units open today are in scope', async () => {
    // 34 provinces today; 01 and new 80 (old 72's and old 80's figures rolled in) have rows: 32 without.
    const r = await warned({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], period: MAY_AUG, unitView: 'CURRENT_UNITS' });
    expect(r.warnings.find((x) => x.code === 'UNITS_WITHOUT_DATA')!.count).toBe(32);
  });
});

describe('includeEmptyUnits: units without data as rows with null measures', () => {
  const EMPTY = `query($q: AggregateInput!) { aggregate(query: $q) {
    totalRows rows { dimensions { unit { code name } } measures { measure value numerator denominator } }
    warnings { code count unitCodes }
  } }`;
  interface EmptyOut {
    totalRows: number;
    rows: { dimensions: { unit: { code: string; name: string } }; measures: { measure: string; value: number | null; numerator: number | null; denominator: number | null }[] }[];
    warnings: { code: string; count: number | null; unitCodes: string[] | null }[];
  }
  async function empty(q: Record<string, unknown>): Promise<EmptyOut> {
    const [a, b] = await Promise.all([true, false].map((preferRollups) => gw.gql<{ aggregate: EmptyOut }>(EMPTY, { q: { ...q, includeEmptyUnits: true, preferRollups } })));
    expect(a.errors).toBeUndefined();
    expect(a.data!.aggregate).toEqual(b.data!.aggregate);
    return a.data!.aggregate;
  }
  const q = { measures: ['DOSSIERS_RECEIVED', 'ONLINE_DOSSIER_RATE'], groupBy: ['UNIT'], period: MAY_AUG, filter: { unitCodes: ['01', '11'] } };

  it('Điện Biên (11) comes back with null measures, in code order, counted in totalRows', async () => {
    const r = await empty(q);
    // Hà Nội: 500 + 100 = 600 received, 400 + 30 = 430 online.
    expect(r.totalRows).toBe(2);
    expect(r.rows.map((x) => [x.dimensions.unit.code, x.measures.map((mv) => [mv.value, mv.numerator, mv.denominator])])).toEqual([
      ['01', [[600, null, null], [430 / 600, 430, 600]]],
      ['11', [[null, null, null], [null, null, null]]],
    ]);
    expect(r.rows[1].dimensions.unit.name).toBe('Tỉnh Điện Biên');
    // The warning still says which unit has no data: the added row is not data.
    expect(r.warnings.find((w) => w.code === 'UNITS_WITHOUT_DATA')).toEqual({ code: 'UNITS_WITHOUT_DATA', count: 1, unitCodes: ['11'] });
  });

  it('empty units sort last by measure and fail every having condition', async () => {
    const byMeasure = await empty({ ...q, orderBy: [{ measure: 'DOSSIERS_RECEIVED', direction: 'DESC' }] });
    expect(byMeasure.rows.map((x) => x.dimensions.unit.code)).toEqual(['01', '11']);
    const having = await empty({ ...q, having: [{ measure: 'DOSSIERS_RECEIVED', op: 'GTE', value: 0 }] });
    expect(having.rows.map((x) => x.dimensions.unit.code)).toEqual(['01']);
  });

  it('across the reform: the 86 provinces valid in May-August 2025', async () => {
    const r = await empty({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], period: MAY_AUG, limit: 5 });
    expect(r.totalRows).toBe(86);
  });

  it('is refused unless UNIT or PROVINCE is the only dimension', async () => {
    const r = await gw.gql(EMPTY, { q: { ...q, groupBy: ['UNIT', 'SECTOR'], includeEmptyUnits: true } });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toContain('only groupBy dimension');
  });
});
