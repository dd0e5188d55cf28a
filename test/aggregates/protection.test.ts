import { GraphQLError } from 'graphql';
import { runReadQuery } from '../../src/aggregates/read-query';
import { formatError } from '../../src/common/errors';
import { loadConfig } from '../../src/config/config';
import { queryCounter } from '../../src/db/query-counter';
import { startTestGateway, TestGateway } from '../support/harness';
import { AGGREGATE, loadFixture } from './fixture';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

async function problems(q: Record<string, unknown>) {
  const res = await gw.gql(AGGREGATE, { q });
  expect(res.data).toBeFalsy();
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  return { message: res.errors![0].message, problems: res.errors![0].extensions!.problems ?? [] };
}

describe('bad input', () => {
  it('an unknown measure or dimension is refused by the schema', async () => {
    // Through variables (how clients send queries), coercion fails: BAD_USER_INPUT.
    const res = await gw.gql(AGGREGATE, { q: { measures: ['AVERAGE_WAIT'] } });
    expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toMatch(/AVERAGE_WAIT.*AggregateMeasure/s);
    const dim = await gw.gql(AGGREGATE, { q: { measures: ['SERVICES'], groupBy: ['DISTRICT'] } });
    expect(dim.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    // Written inline, validation names the enum.
    const inline = await gw.gql('{ aggregate(query: { measures: [AVERAGE_WAIT] }) { totalRows } }');
    expect(inline.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(inline.errors![0].message).toMatch(/"AVERAGE_WAIT" does not exist in "AggregateMeasure" enum/);
  });

  it('a grain finer than the data', async () => {
    const r = await problems({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['PERIOD'], periodGrain: 'DAY' });
    expect(r.problems).toEqual([{ field: 'query.periodGrain', reason: 'filing statistics are monthly: the finest grain is MONTH (then QUARTER, YEAR), not DAY' }]);
    const kpi = await gw.gql('{ kpi(indicator: ON_TIME_RATE, period: { to: "2025-08" }, trendGrain: WEEK) { value } }');
    expect(kpi.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('an as-of date on flow indicators', async () => {
    const r = await problems({ measures: ['ONLINE_DOSSIER_RATE', 'ON_TIME_RATE'], asOf: '2025-06-30' });
    expect(r.problems[0].field).toBe('query.asOf');
    expect(r.problems[0].reason).toMatch(/ONLINE_DOSSIER_RATE, ON_TIME_RATE are flows summed over a period: give period instead/);
    const hybrid = await problems({ measures: ['SERVICES_WITH_ONLINE_FILINGS'], asOf: '2025-06-30', levels: 'DECREE42' });
    expect(hybrid.problems[0].reason).toMatch(/measured over the period/);
  });

  it('combinations the engine cannot answer', async () => {
    expect((await problems({ measures: ['LEVEL4_SHARE'] })).problems).toEqual([
      { field: 'query.levels', reason: 'service levels are read here: choose the taxonomy (DECREE43, DECREE42, MAPPED_TO_DECREE43 or MAPPED_TO_DECREE42)' },
    ]);
    expect((await problems({ measures: ['LEVEL4_SHARE'], groupBy: ['PERIOD'], levels: 'DECREE42', period: { from: '2025-01' } })).problems[0].field).toBe('query.period');
    expect((await problems({ measures: ['LEVEL4_SHARE'], groupBy: ['PERIOD'], levels: 'DECREE42', period: { from: '2025-01', to: '2025-03' }, asOf: '2025-02-01' })).problems[0].field).toBe('query.asOf');
    expect((await problems({ measures: ['DOSSIERS_RECEIVED'], period: { from: '2025-08', to: '2025-05' } })).problems[0].field).toBe('query.period');
    expect((await problems({ measures: ['DOSSIERS_RECEIVED'], orderBy: [{ dimension: 'SECTOR' }] })).problems[0]).toEqual({ field: 'query.orderBy[0].dimension', reason: 'SECTOR is not in groupBy' });
    expect((await problems({ measures: ['SERVICES'], levels: 'DECREE43', filter: { levels: ['full'] } })).problems[0].field).toBe('query.filter.levels');
  });

  it('filters naming nothing', async () => {
    const r = await problems({ measures: ['DOSSIERS_RECEIVED'], filter: { unitCodes: ['72'], sectorCodes: ['XX'] } });
    expect(r.problems).toEqual([
      { field: 'query.filter.unitCodes', reason: expect.stringMatching(/^no PROVINCE with code 72 on \d{4}-\d{2}-\d{2} \(codes are read on filter.unitsAt\)$/) },
      { field: 'query.filter.sectorCodes', reason: 'unknown sector code XX' },
    ]);
    const closed = await problems({ measures: ['DOSSIERS_RECEIVED'], unitView: 'CURRENT_UNITS', filter: { unitCodes: ['72'], unitsAt: '2025-01-01' } });
    expect(closed.problems[0].reason).toMatch(/^unit 72 \(id \d+\) closed on 2025-06-30: with CURRENT_UNITS its figures belong to its successor/);
  });

  it('limits checked by class-validator', async () => {
    const small = 'query($q: AggregateInput!) { aggregate(query: $q) { totalRows } }';
    const res = await gw.gql(small, { q: { measures: ['DOSSIERS_RECEIVED'], limit: 5001 } });
    expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    const dup = await gw.gql(small, { q: { measures: ['DOSSIERS_RECEIVED', 'DOSSIERS_RECEIVED'] } });
    expect(dup.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });
});

describe('query cost', () => {
  const rows = 'rows { dimensions { unit { id code name kind validFrom validTo } province { code name } sector { code name } period { label start end } } measures { measure value numerator denominator } }';

  it('rejects an over-cost query before it reaches the database', async () => {
    // Each alias: 5000 rows of ~24 values; ten of them pass a million.
    const aliases = Array.from({ length: 10 }, (_, i) => `a${i}: aggregate(query: { measures: [DOSSIERS_RECEIVED], groupBy: [UNIT], unitTier: COMMUNE, limit: 5000 }) { ${rows} }`).join('\n');
    queryCounter.reset(true);
    const res = await gw.gql(`{ ${aliases} }`);
    expect(queryCounter.total).toBe(0);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', maxCost: 1000000 });
    expect(res.errors![0].message).toMatch(/^Query cost \d+ exceeds the limit of 1000000/);
  });

  it('rejects nested lists that multiply', async () => {
    queryCounter.reset();
    const res = await gw.gql('{ units(first: 500) { nodes { children { services { levelHistory { level } } } } } }');
    expect(queryCounter.total).toBe(0);
    expect(res.errors![0].extensions!.code).toBe('QUERY_TOO_COSTLY');
  });

  it('rejects deep queries and too many aliases', async () => {
    // Limits as configured by default (MAX_QUERY_DEPTH, MAX_QUERY_ALIASES): the query goes two past.
    const { maxQueryDepth, maxQueryAliases } = loadConfig({});
    const parents = maxQueryDepth;
    const deep = `{ unit(code: "80") { ${'parent { '.repeat(parents)}code${' }'.repeat(parents)} } }`;
    queryCounter.reset();
    const d = await gw.gql(deep);
    expect(queryCounter.total).toBe(0);
    expect(d.errors![0]).toMatchObject({ message: `Query depth ${maxQueryDepth + 2} exceeds the limit of ${maxQueryDepth}: flatten the query.`, extensions: { code: 'QUERY_TOO_COSTLY' } });
    const many = `{ ${Array.from({ length: maxQueryAliases + 1 }, (_, i) => `s${i}: sectors { code }`).join(' ')} }`;
    const a = await gw.gql(many);
    expect(a.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', aliases: maxQueryAliases + 1, maxAliases: maxQueryAliases });
  });

  it('lets a full-size aggregate and introspection through', async () => {
    const res = await gw.gql(`{ aggregate(query: { measures: [DOSSIERS_RECEIVED, ON_TIME_RATE], groupBy: [UNIT], unitTier: COMMUNE, limit: 5000 }) { totalRows ${rows} } }`);
    expect(res.errors).toBeUndefined();
    const intro = await gw.gql('{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } } }');
    expect(intro.errors).toBeUndefined();
  });
});

describe('statement timeout', () => {
  it('stops a long statement and says so clearly', async () => {
    const err = await runReadQuery(gw.db.sql, 'SELECT pg_sleep(2)', [], 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphQLError);
    expect((err as GraphQLError).extensions.code).toBe('QUERY_TIMEOUT');
    expect((err as GraphQLError).message).toMatch(/ran longer than the 100 ms allowed/);
    // The error mask lets it through to clients unchanged.
    const formatted = formatError({ message: (err as GraphQLError).message, extensions: (err as GraphQLError).extensions }, err, () => undefined);
    expect(formatted.extensions!.code).toBe('QUERY_TIMEOUT');
    // The timeout was local to the transaction: the pooled connection is unaffected.
    const [row] = await gw.db.sql.query<{ statement_timeout: string }>('SHOW statement_timeout');
    expect(row.statement_timeout).toBe('0');
  });
});
