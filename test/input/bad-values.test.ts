import { factCounts, GqlResponse, startTestGateway, TestGateway } from '../support/harness';

/**
 * Bad values over real HTTP against a real PostgreSQL: every class gets BAD_USER_INPUT naming
 * where, never an internal error, and nothing is written. (The harness sends plain
 * application/json, answered 200 with the errors as GraphQL over HTTP asks; a client accepting
 * application/graphql-response+json gets 400, shown once below.) The gateway runs
 * with a narrower year range (1990..2030) than the default, to show the range is the configured one.
 */
let gw: TestGateway;
let key: string;
beforeAll(async () => {
  gw = await startTestGateway({ minYear: 1990, maxYear: 2030 });
  key = await gw.createKey({ name: 'tay-ninh-lgsp', unitCodes: ['72', '80'], catalogue: true });
});
afterAll(() => gw?.stop());

const INGEST = 'mutation ($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsRead rowsWritten } }';
const ALLOWED = 'only tab, line feed and carriage return are allowed';

/** The one error of a refused request, which must be a client error (never INTERNAL_SERVER_ERROR). */
function refusal(res: GqlResponse<unknown>) {
  expect(res.errors).toHaveLength(1);
  const [error] = res.errors!;
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  return { status: res.status, message: error.message, problems: error.extensions?.problems };
}

const filing = (over: Record<string, unknown> = {}) => ({ unit: '72', procedure: '1.001193', month: '2021-06', received: 10, receivedOnline: 5, ...over });
const catalogue = {
  sectors: [{ code: 'HOTICH', name: 'Hộ tịch' }],
  procedures: [{ code: '1.001193', name: 'Đăng ký khai sinh', sector: 'HOTICH', tier: 'commune' }],
};

async function runCount(): Promise<number> {
  const [runs] = await gw.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM ingest_run');
  return Number(runs.n);
}

/** The month after the current one in Hà Nội (UTC+7 all year: Vietnam has no daylight saving time). */
function nextMonthInHanoi(): { current: string; next: string } {
  const hanoi = new Date(Date.now() + 7 * 3600 * 1000);
  const y = hanoi.getUTCFullYear();
  const m = hanoi.getUTCMonth() + 1;
  const label = (yy: number, mm: number) => `${yy}-${String(mm).padStart(2, '0')}`;
  return { current: label(y, m), next: m === 12 ? label(y + 1, 1) : label(y, m + 1) };
}

describe('control characters in strings', () => {
  it('refuses a NUL anywhere in a pushed batch, naming each variable path, and writes nothing', async () => {
    const before = await factCounts(gw.db);
    const runsBefore = await runCount();
    const batch = {
      ...catalogue,
      filings: [filing(), filing({ month: '2021-07' }), filing({ month: '2021-08' }), filing({ month: '2021-09', unit: '72\u0000' })],
      plans: [{ unit: '72', year: 2021, documentNumber: '1/KH', title: 'Kế hoạch\u0007', issuedOn: '2021-08-20' }],
    };
    const r = refusal(await gw.gql(INGEST, { batch }, key));
    expect(r.problems).toEqual([
      { field: 'variables.batch.filings[3].unit', reason: `contains the control character U+0000 at position 2 (${ALLOWED})` },
      { field: 'variables.batch.plans[0].title', reason: `contains the control character U+0007 at position 8 (${ALLOWED})` },
    ]);
    expect(await factCounts(gw.db)).toEqual(before);
    expect(await runCount()).toBe(runsBefore); // refused before the resolver: not even a run was recorded
  });

  it('refuses control characters in string literals of the document, by argument path', async () => {
    const r = refusal(await gw.gql('{ units(filter: { name: "Tây\\u0000Ninh", code: "7\\u001f2" }) { nodes { code } } }'));
    expect(r.problems).toEqual([
      { field: 'filter.name', reason: `contains the control character U+0000 at position 3 (${ALLOWED})` },
      { field: 'filter.code', reason: `contains the control character U+001F at position 1 (${ALLOWED})` },
    ]);
    // Inside a fragment too, and DEL counts.
    const f = refusal(await gw.gql('query { ...U } fragment U on Query { unit(code: "72\\u007f") { code } }'));
    expect(f.problems).toEqual([{ field: 'code', reason: `contains the control character U+007F at position 2 (${ALLOWED})` }]);
  });

  it('accepts tab, line feed and carriage return', async () => {
    const res = await gw.gql('query ($f: UnitFilter) { units(filter: $f) { nodes { code } } }', { f: { name: 'Tây\tNinh\r\n' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.units.nodes).toContainEqual({ code: '72' });
  });
});

describe('variables that do not match their types', () => {
  it('answers every problem with BAD_USER_INPUT, graphql\'s own "too many errors" included', async () => {
    // 60 empty rows, each missing its 5 required fields: 300 problems; graphql stops after 50 and adds one of its own.
    const res = await gw.gql(INGEST, { batch: { filings: Array.from({ length: 60 }, () => ({})) } }, key);
    expect(res.errors).toHaveLength(51);
    expect(res.errors!.map((e) => e.extensions?.code)).toEqual(Array(51).fill('BAD_USER_INPUT'));
    expect(res.errors![0].message).toBe('Variable "$batch" got invalid value {} at "batch.filings[0]"; Field "unit" of required type "String!" was not provided.');
    expect(res.errors![50]).toMatchObject({
      message: 'Too many errors processing variables, error limit reached. Execution aborted.',
      extensions: { code: 'BAD_USER_INPUT', problems: [{ field: 'variables', reason: 'Too many errors processing variables, error limit reached. Execution aborted.' }] },
    });
  });
});

describe('years outside the configured range (1990..2030 here)', () => {
  it('refuses dates and months out of range in literals and variables, and accepts the bounds', async () => {
    const at = refusal(await gw.gql('{ unit(code: "72", at: "0000-01-01") { code } }'));
    expect(at).toMatchObject({ problems: [{ field: 'at', reason: 'year 0 is outside 1990..2030' }] });
    const v = refusal(await gw.gql('query ($d: LocalDate) { unit(code: "72", at: $d) { code } }', { d: '1989-12-31' }));
    expect(v.problems).toEqual([{ field: 'variables.d', reason: 'year 1989 is outside 1990..2030' }]);
    const months = refusal(await gw.gql('{ filingStats(filter: { unitCode: "72", from: "0000-01", to: "2031-01" }) { nodes { month } } }'));
    expect(months.problems).toEqual([
      { field: 'filter.from', reason: 'year 0 is outside 1990..2030' },
      { field: 'filter.to', reason: 'year 2031 is outside 1990..2030' },
    ]);
    const ok = await gw.gql('query ($d: LocalDate) { unit(code: "72", at: $d) { code } filingStats(filter: { unitCode: "72", from: "1990-01", to: "2030-12" }) { nodes { month } } }', { d: '1990-01-01' });
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ unit: { code: '72' }, filingStats: { nodes: [] } });
  });

  it('refuses batch rows with years out of range, naming each row field, and writes nothing', async () => {
    const before = await factCounts(gw.db);
    const batch = {
      ...catalogue,
      services: [{ unit: '72', procedure: '1.001193', taxonomy: 'decree43', level: '3', from: '0000-01-01' }],
      filings: [filing({ month: '1989-12' })],
      plans: [{ unit: '72', year: 2031 }, { unit: '72', year: 2021, documentNumber: '1/KH', issuedOn: '2021-01-05', dueOn: '2099-01-01' }],
    };
    const r = refusal(await gw.gql(INGEST, { batch }, key));
    expect(r.problems).toEqual([
      { field: 'services[0].from', reason: 'year 0 is outside 1990..2030' },
      { field: 'filings[0].month', reason: 'year 1989 is outside 1990..2030' },
      { field: 'plans[0].year', reason: 'year 2031 is outside 1990..2030' },
      { field: 'plans[1].dueOn', reason: 'year 2099 is outside 1990..2030' },
    ]);
    expect(await factCounts(gw.db)).toEqual(before);
  });
});

describe('filing months after the current month (Asia/Ho_Chi_Minh)', () => {
  it('refuses figures for a month that has not ended, and accepts the current month', async () => {
    const { current, next } = nextMonthInHanoi();
    const before = await factCounts(gw.db);
    // 80 is the new Tây Ninh since July 2025 (72 closed then).
    const now = (month: string) => filing({ unit: '80', month });
    const bad = refusal(await gw.gql(INGEST, { batch: { ...catalogue, filings: [now(current), now(next), now('2030-01')] } }, key));
    const reason = (m: string) => `month ${m} has not ended yet (it is after the current month in Asia/Ho_Chi_Minh)`;
    expect(bad.problems).toEqual([
      { field: 'filings[1].month', reason: reason(next) },
      { field: 'filings[2].month', reason: reason('2030-01') },
    ]);
    expect(await factCounts(gw.db)).toEqual(before);
    const [stored] = await gw.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM filing_stat WHERE month > $1::date`, [`${current}-01`]);
    expect(Number(stored.n)).toBe(0);

    // The month in progress is a fact so far (portals report it day by day).
    const ok = await gw.gql(INGEST, { batch: { ...catalogue, filings: [now(current)] } }, key);
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ ingest: { rowsRead: 3, rowsWritten: 3 } });
  });
});

describe('cursors', () => {
  const b64 = (keys: unknown) => Buffer.from(JSON.stringify(keys)).toString('base64url');
  const UNITS = 'query ($a: String) { units(first: 2, after: $a) { nodes { code } pageInfo { endCursor } } }';

  it('takes `after: null` as the first page and follows real cursors', async () => {
    const first = await gw.gql(UNITS, {});
    const nulled = await gw.gql(UNITS, { a: null });
    const literal = await gw.gql('{ units(first: 2, after: null) { nodes { code } pageInfo { endCursor } } }');
    expect(first.errors).toBeUndefined();
    expect(nulled).toEqual(first);
    expect(literal).toEqual(first);
    const second = await gw.gql(UNITS, { a: first.data.units.pageInfo.endCursor });
    const four = await gw.gql('{ units(first: 4) { nodes { code } } }');
    expect(second.errors).toBeUndefined();
    expect(second.data.units.nodes).toEqual(four.data.units.nodes.slice(2));
  });

  it('refuses a null variable for `first` (Int! with a default), which validation lets through', async () => {
    const r = refusal(await gw.gql('query ($n: Int) { units(first: $n) { nodes { code } } }', { n: null }));
    expect(r.problems).toEqual([{ field: 'first', reason: 'must not be null (variable $n is null; leave the argument out for its default)' }]);
    // Left out, it is the default page of 50.
    const res = await gw.gql('query ($n: Int) { units(first: $n) { nodes { code } } }', {});
    expect(res.data.units.nodes).toHaveLength(50);
  });

  it('refuses undecodable and wrong-shaped cursors with BAD_USER_INPUT naming after', async () => {
    // units are ordered by (code text, id integer); filings by (month date, unit id, procedure id); plans by (year smallint, unit id).
    const forged: [string, string][] = [
      ['units', 'not base64 json!'],
      ['units', ''],
      ['units', b64({ code: '01', id: 1 })], // an object, not a key list
      ['units', b64(['00001'])], // too few keys
      ['units', b64(['00001', 112, 3])], // too many
      ['units', b64(['00001', '112'])], // an id as text
      ['units', b64([{ $gt: '' }, 1])], // an operator object smuggled as a key
      ['units', b64(['00001', 1e20])], // beyond the integer column
      ['units', b64(['00001', 1.5])],
      ['units', b64(['0\u00001', 1])], // NUL in text
      ['units', b64([null, 1])],
      ['filingStats', b64(['0000-01-01', 71, 1])], // PostgreSQL has no year 0
      ['filingStats', b64(['2021-02-30', 71, 1])],
      ['filingStats', b64(['2021-06-01T00:00:00.000Z', 71, 1])],
      ['plans', b64([40000, 71])], // beyond smallint
    ];
    for (const [list, after] of forged) {
      const res = await gw.gql(`query ($a: String) { ${list}(first: 1, after: $a) { nodes { __typename } } }`, { a: after });
      expect({ list, after, error: refusal(res).problems }).toEqual({ list, after, error: [{ field: 'after', reason: expect.stringContaining('not a cursor returned by this query') }] });
    }
  });

  it('refuses a huge cursor before decoding it', async () => {
    const res = await gw.gql(UNITS, { a: 'A'.repeat(100_000) });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('_entities', () => {
  const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { code } } }';

  it('names every unknown typename and malformed id, and resolves nothing of the call', async () => {
    const [unit] = await gw.db.sql.query<{ id: number }>(`SELECT id FROM unit WHERE code = '72' AND valid_to IS NOT NULL`);
    const r = refusal(await gw.gql(ENTITIES, {
      r: [
        { __typename: 'Unit', id: String(unit.id) },
        { __typename: 'Nope', id: '1' },
        { id: '1' },
        { __typename: 'Unit', id: 'abc' },
        { __typename: 'Unit', id: '99999999999999999999' },
        { __typename: 'Unit', id: '-1' },
        { __typename: 'Unit', id: 1.5 },
        { __typename: 'Unit' },
        'Unit:1',
      ],
    }));
    const id = (got: string) => `id must be a positive whole number up to 2147483647, got ${got}`;
    const entities = '(entities: Unit, Procedure, Sector, Service, Source)';
    expect(r.problems).toEqual([
      { field: 'representations[1]', reason: `unknown __typename "Nope" ${entities}` },
      { field: 'representations[2]', reason: `unknown __typename null ${entities}` },
      { field: 'representations[3]', reason: id('"abc"') },
      { field: 'representations[4]', reason: id('"99999999999999999999"') },
      { field: 'representations[5]', reason: id('"-1"') },
      { field: 'representations[6]', reason: id('1.5') },
      { field: 'representations[7]', reason: id('null') },
      { field: 'representations[8]', reason: 'must be an object { __typename, id }' },
    ]);
  });

  it('still resolves good representations', async () => {
    const [unit] = await gw.db.sql.query<{ id: number }>(`SELECT id FROM unit WHERE code = '72' AND valid_to IS NOT NULL`);
    const res = await gw.gql(ENTITIES, { r: [{ __typename: 'Unit', id: String(unit.id) }, { __typename: 'Unit', id: 2147483647 }] });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ _entities: [{ code: '72' }, null] });
  });
});

describe('subscriptions', () => {
  it('answers a subscription over HTTP with a 400 BAD_USER_INPUT saying it is served over WebSocket', async () => {
    const r = refusal(await gw.gql('subscription { sourceStatusChanged { dataVersion } }'));
    expect(r).toEqual({
      status: 200,
      message: 'Subscriptions are served over WebSocket (graphql-ws protocol, graphql-transport-ws) on this same path: send queries and mutations over HTTP.',
      problems: [{ field: 'operation', reason: 'subscription operations are not served over HTTP' }],
    });
    // A GraphQL-over-HTTP client is told with a 4xx status too.
    const res = await fetch(gw.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: 'subscription { sourceStatusChanged { dataVersion } }' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
