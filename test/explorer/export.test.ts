import { parse as parseCsv } from 'csv-parse/sync';
import { IngestService } from '../../src/ingest/ingest.service';
import { loadFixture } from '../aggregates/fixture';
import { startTestGateway, TestGateway } from '../support/harness';

/** The export endpoints over real HTTP, against the fixture world of test/aggregates/fixture.ts. */
let gw: TestGateway;
let base: string;

beforeAll(async () => {
  gw = await startTestGateway();
  base = gw.app.url.replace(/\/graphql$/, '');
  const sourceId = await loadFixture(gw.db);
  // A sector whose name needs every kind of CSV quoting: a comma, double quotes, a line break.
  // And one a spreadsheet would run as a formula.
  await new IngestService(gw.db.sql).ingest({
    sectors: [{ code: 'QX', name: 'Nhà ở, "xã hội"\ndòng hai' }, { code: 'QY', name: '=HYPERLINK("http://example.invalid")' }],
  }, { sourceId, kind: 'import', maxRows: 10 });
});
afterAll(() => gw?.stop());

const exportUrl = (format: 'csv' | 'json', query: string, variables?: unknown, extra: Record<string, string> = {}) => {
  const params = new URLSearchParams({ query, ...(variables === undefined ? {} : { variables: JSON.stringify(variables) }), ...extra });
  return `${base}/export.${format}?${params}`;
};

/** The CSV as records, after checking and removing the BOM. */
async function csvRecords(res: Response): Promise<{ text: string; header: string[]; rows: string[][] }> {
  const bytes = Buffer.from(await res.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = bytes.subarray(3).toString('utf8');
  const [header, ...rows] = parseCsv(text, { relax_column_count: false }) as string[][];
  return { text, header, rows };
}

const NATIONAL_TABLE = `query NationalTable($asOf: LocalDate) {
  aggregate(query: {
    measures: [LEVEL4_SHARE, LEVEL34_SHARE, DVCQG_INTEGRATION], groupBy: [UNIT], unitTier: PROVINCE
    asOf: $asOf, levels: MAPPED_TO_DECREE42, orderBy: [{ measure: LEVEL4_SHARE, direction: DESC }]
  }) {
    coverage { asOf }
    sources { code }
    rows {
      dimensions { unit { code name } }
      level4: value(measure: LEVEL4_SHARE) { value numerator denominator }
      measures { measure value numerator denominator }
    }
  }
}`;

describe('GET /export.csv and /export.json', () => {
  it('exports the rows of an aggregate as dotted columns whose numbers equal the GraphQL answer', async () => {
    const variables = { asOf: '2025-07-31' };
    const answer = await gw.gql(NATIONAL_TABLE, variables);
    expect(answer.errors).toBeUndefined();
    const gqlRows = answer.data.aggregate.rows as { dimensions: { unit: { code: string; name: string } }; level4: { value: number; numerator: number; denominator: number }; measures: { measure: string; value: number | null; numerator: number | null; denominator: number | null }[] }[];
    expect(gqlRows.length).toBe(3);

    const res = await fetch(exportUrl('csv', NATIONAL_TABLE, variables));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="NationalTable-\d{4}-\d{2}-\d{2}\.csv"$/);
    const { text, header, rows } = await csvRecords(res);
    expect(text).toMatch(/\r\n/);
    // `rows` wins over the earlier `sources` list; the aliased value and each listed measure become three columns.
    expect(header).toEqual([
      'dimensions.unit.code', 'dimensions.unit.name', 'level4.value', 'level4.numerator', 'level4.denominator',
      'LEVEL4_SHARE.value', 'LEVEL4_SHARE.numerator', 'LEVEL4_SHARE.denominator',
      'LEVEL34_SHARE.value', 'LEVEL34_SHARE.numerator', 'LEVEL34_SHARE.denominator',
      'DVCQG_INTEGRATION.value', 'DVCQG_INTEGRATION.numerator', 'DVCQG_INTEGRATION.denominator',
    ]);
    expect(rows.length).toBe(gqlRows.length);
    gqlRows.forEach((g, i) => {
      const cell = (column: string) => rows[i][header.indexOf(column)];
      expect(cell('dimensions.unit.code')).toBe(g.dimensions.unit.code);
      expect(cell('dimensions.unit.name')).toBe(g.dimensions.unit.name);
      // Every digit GraphQL sent: 0.3333333333333333 stays so, not 0.33.
      expect(Number(cell('level4.value'))).toBe(g.level4.value);
      expect(cell('level4.value')).toBe(String(g.level4.value));
      expect(Number(cell('level4.numerator'))).toBe(g.level4.numerator);
      expect(Number(cell('level4.denominator'))).toBe(g.level4.denominator);
      for (const m of g.measures) {
        for (const part of ['value', 'numerator', 'denominator'] as const) {
          expect(cell(`${m.measure}.${part}`)).toBe(m[part] === null ? '' : String(m[part]));
        }
      }
    });
    expect(rows.some((r) => r[header.indexOf('level4.value')] === '0.3333333333333333')).toBe(true);

    // JSON: the same table, values typed.
    const json = await fetch(exportUrl('json', NATIONAL_TABLE, variables));
    expect(json.status).toBe(200);
    expect(json.headers.get('content-disposition')).toMatch(/filename="NationalTable-\d{4}-\d{2}-\d{2}\.json"/);
    const objects = (await json.json()) as Record<string, unknown>[];
    expect(objects.map((o) => [o['dimensions.unit.code'], o['level4.value'], o['LEVEL4_SHARE.numerator']])).toEqual(
      gqlRows.map((g) => [g.dimensions.unit.code, g.level4.value, g.measures.find((m) => m.measure === 'LEVEL4_SHARE')!.numerator]),
    );
  });

  it('quotes commas, double quotes and line breaks as RFC 4180 says', async () => {
    const res = await fetch(exportUrl('csv', '{ sectors { code name } }'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/filename="export-/);
    const { text, header, rows } = await csvRecords(res);
    expect(header).toEqual(['code', 'name']);
    expect(text).toContain('QX,"Nhà ở, ""xã hội""\ndòng hai"\r\n');
    expect(rows).toContainEqual(['QX', 'Nhà ở, "xã hội"\ndòng hai']);
  });

  it('keeps text that starts like a formula as text in the CSV, and as sent in JSON', async () => {
    const csv = await csvRecords(await fetch(exportUrl('csv', '{ sectors { code name } }')));
    expect(csv.rows).toContainEqual(['QY', `'=HYPERLINK("http://example.invalid")`]);
    const json = (await (await fetch(exportUrl('json', '{ sectors { code name } }'))).json()) as { code: string; name: string }[];
    expect(json.find((r) => r.code === 'QY')!.name).toBe('=HYPERLINK("http://example.invalid")');
  });

  it('picks another list with rows=, and exports a single object as one row', async () => {
    const sources = await fetch(exportUrl('csv', NATIONAL_TABLE, { asOf: '2025-07-31' }, { rows: 'aggregate.sources' }));
    expect((await csvRecords(sources)).rows).toEqual([['fixture']]);
    const kpi = await fetch(exportUrl('json', '{ kpi(indicator: LEVEL4_SHARE, unitCode: "72", asOf: "2021-06-30", levels: MAPPED_TO_DECREE43) { unit { code } value numerator denominator } }'));
    expect(await kpi.json()).toEqual([{ 'kpi.unit.code': '72', 'kpi.value': 2 / 3, 'kpi.numerator': 2, 'kpi.denominator': 3 }]);
  });

  it('refuses mutations, bad parameters and bad queries with a JSON 400 naming the problem', async () => {
    const cases: [string, number, RegExp][] = [
      [exportUrl('csv', 'mutation { syncSource(code: "x") { state } }'), 400, /exports run queries only, not a mutation/],
      [exportUrl('csv', 'subscription { x }'), 400, /not a subscription/],
      [`${base}/export.csv`, 400, /query: required/],
      [`${base}/export.csv?query=${encodeURIComponent('{ sources { code } }')}&variables=nope`, 400, /variables: not valid JSON/],
      [`${base}/export.csv?query=${encodeURIComponent('{ sources { code } }')}&variables=[1]`, 400, /variables: must be a JSON object/],
      [`${base}/export.csv?query=x&format=xlsx`, 400, /format: unknown parameter/],
      [exportUrl('csv', '{ sources { code '), 400, /Syntax Error/],
      [exportUrl('csv', '{ sources { code } }', undefined, { rows: 'nothing.here' }), 400, /rows: "nothing.here" is not a list/],
    ];
    for (const [url, status, message] of cases) {
      const res = await fetch(url);
      expect({ url, status: res.status }).toEqual({ url, status });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = await res.text();
      expect((JSON.parse(body) as { errors: { message: string }[] }).errors[0].message).toMatch(message);
      expect(body).not.toMatch(/at .*\.ts|node_modules|SELECT /);
    }
  });

  it('answers GraphQL errors (validation, variables, cost) as a JSON 400 carrying them', async () => {
    const typo = await fetch(exportUrl('csv', '{ sourcez { code } }'));
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const badVariable = await fetch(exportUrl('csv', NATIONAL_TABLE, { asOf: 'yesterday' }));
    expect(badVariable.status).toBe(400);
    const bv = (await badVariable.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(bv.errors[0].message).toMatch(/\$asOf/);
    expect(bv.errors[0].extensions.code).toBe('BAD_USER_INPUT');

    // The same cost limit as /graphql: 500 pages of 500 units, each with 100 children.
    const costly = await fetch(exportUrl('csv', '{ units(first: 500) { nodes { code children { code children { code name } } } } }'));
    expect(costly.status).toBe(400);
    expect(((await costly.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('QUERY_TOO_COSTLY');
  });
});

describe('saved views: GET /export/<name>.csv', () => {
  it('lists the views', async () => {
    const res = await fetch(`${base}/export/views.json`);
    const body = (await res.json()) as { views: { name: string; variables: string[] }[] };
    expect(body.views.map((v) => v.name)).toEqual(expect.arrayContaining(['provinces', 'plans', 'sources', 'national-trend']));
  });

  it('exports a view with its variables from the query string, the same numbers as the query', async () => {
    const res = await fetch(`${base}/export/provinces.csv?year=2025&unitView=AS_REPORTED`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/filename="Provinces-\d{4}-\d{2}-\d{2}\.csv"/);
    const { header, rows } = await csvRecords(res);
    expect(header.slice(0, 4)).toEqual(['dimensions.unit.code', 'dimensions.unit.name', 'dimensions.unit.validFrom', 'dimensions.unit.validTo']);
    const answer = await gw.gql(`{ aggregate(query: { measures: [DOSSIERS_RECEIVED], groupBy: [UNIT], unitView: AS_REPORTED, period: { from: "2025-01", to: "2025-12" } }) {
      rows { dimensions { unit { code validFrom } } measures { value } } } }`);
    const received = new Map((answer.data.aggregate.rows as { dimensions: { unit: { code: string; validFrom: string | null } }; measures: { value: number }[] }[])
      .map((r) => [`${r.dimensions.unit.code}/${r.dimensions.unit.validFrom}`, r.measures[0].value]));
    expect(received.size).toBeGreaterThan(0);
    for (const [key, value] of received) {
      const row = rows.find((r) => `${r[0]}/${r[2] || null}` === key);
      expect(row && Number(row[header.indexOf('DOSSIERS_RECEIVED.value')])).toBe(value);
    }
  });

  it('refuses an unknown view (404), an unknown parameter and a bad value (400), naming them', async () => {
    const cases: [string, number, RegExp][] = [
      ['/export/nope.csv', 404, /no saved view "nope"/],
      ['/export/provinces.csv?yaer=2024', 400, /^yaer: unknown parameter of view "provinces" \(accepted: period, asOf, unitView, levels, tier, year\)/],
      ['/export/provinces.csv?year=24', 400, /^year: must be a year from 1945 to 2100/],
      ['/export/provinces.csv?year=2024&year=2025', 400, /year: given more than once/],
      ['/export/provinces.csv?unitView=TODAY', 400, /\$unitView/],
      ['/export/plans.json?year=twenty', 400, /\$year/],
    ];
    for (const [path, status, message] of cases) {
      const res = await fetch(`${base}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { errors: { message: string; extensions: { problems?: { field: string }[] } }[] };
      expect(body.errors[0].message).toMatch(message);
    }
  });

  it('exports plan compliance by year, as the query answers it', async () => {
    const res = await fetch(`${base}/export/plans.json?year=2021&asOf=2021-09-15`);
    expect(res.status).toBe(200);
    const rows = (await res.json()) as Record<string, unknown>[];
    const answer = await gw.gql('{ planCompliance(year: 2021, asOf: "2021-09-15", kinds: [PROVINCE]) { units { unit { code } status daysOverdue } } }');
    const units = answer.data.planCompliance.units as { unit: { code: string }; status: string; daysOverdue: number | null }[];
    expect(units.length).toBeGreaterThan(0);
    expect(rows.map((r) => [r['unit.code'], r.status, r.daysOverdue])).toEqual(units.map((u) => [u.unit.code, u.status, u.daysOverdue]));
  });
});

describe('export guards', () => {
  it('counts exports in the rate limit and refuses invalid keys, as /graphql does', async () => {
    const limited = await startTestGateway({ rateLimitMax: 2, rateLimitWindowMs: 60_000 });
    try {
      const url = `${limited.app.url.replace(/\/graphql$/, '')}/export/sources.csv`;
      // An invalid key is refused (and counts against the address, so guessing keys is limited too).
      const badKey = await fetch(url, { headers: { authorization: 'Bearer nope' } });
      expect(badKey.status).toBe(401);
      expect((await fetch(url)).status).toBe(200);
      const third = await fetch(url);
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toBeTruthy();
      expect(third.headers.get('content-type')).toMatch(/^application\/json/);
    } finally {
      await limited.stop();
    }
  });
});
