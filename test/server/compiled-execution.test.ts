import { loadConfig } from '../../src/config/config';
import { Database } from '../../src/db/database';
import { RunningApp, startApp } from '../../src/server/app';
import { compiledQueryCache } from '../../src/server/compiled-execution';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { createTestDatabase } from '../support/harness';

/**
 * Compiled queries (src/server/compiled-execution.ts) answer exactly what graphql-js's interpreter
 * answers: two gateways on one database, one compiling (COMPILED_QUERIES on) and one not, asked
 * the same operations over HTTP, give the same status and the same bytes, errors included.
 */
describe('compiled queries', () => {
  let db: Database;
  let compiled: RunningApp;
  let interpreted: RunningApp;
  const cache = compiledQueryCache();

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = (on: boolean) => loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: db.url, logLevel: 'silent', statementTimeoutMs: 5000, compiledQueries: on });
    const schema = await createSchema();
    compiled = await startApp({ config: config(true), db, schema, logger: createLogger('silent'), compiledQueries: cache });
    interpreted = await startApp({ config: config(false), db, schema: await createSchema(), logger: createLogger('silent') });
  });
  afterAll(async () => {
    await compiled?.close();
    await interpreted?.close();
    await db?.close();
  });

  const post = async (app: RunningApp, query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: await res.text() };
  };

  const SAME: [string, string, Record<string, unknown>?][] = [
    ['a lookup with its parent, children and a renamed unit',
      'query U($code: String!, $at: LocalDate) { unit(code: $code, at: $at) { id code name kind validFrom validTo parent { code name } children(at: $at) { code name } } }',
      { code: '46', at: '2024-01-01' }],
    ['fragments, aliases, @skip and @include from variables',
      'query F($skip: Boolean!, $with: Boolean!) { a: unit(code: "01", at: "2024-01-01") { ...U } b: unit(code: "79", at: "2024-01-01") @skip(if: $skip) { code } c: unit(code: "80", at: "2025-08-01") { ... on Unit @include(if: $with) { code nameAt(date: "2025-06-30") } } } fragment U on Unit { code kind nameAt(date: "2024-01-01") }',
      { skip: true, with: true }],
    ['a page of a list, with its cursor',
      '{ units(filter: { kind: PROVINCE, validAt: "2024-01-01" }, first: 5) { pageInfo { hasNextPage endCursor } nodes { code name kind validFrom validTo } } }'],
    ['an aggregate with ratios (no facts: empty rows) and its coverage',
      '{ aggregate(query: { measures: [DOSSIERS_RECEIVED, ON_TIME_RATE], groupBy: [UNIT], unitTier: PROVINCE, period: { from: "2024-01", to: "2024-12" } }) { totalRows truncated rows { dimensions { unit { code } } measures { measure value numerator denominator } } coverage { from to } } }'],
    ['entities of a union through inline fragments', '{ _entities(representations: [{ __typename: "Unit", id: "1" }, { __typename: "Unit", id: "999999" }]) { __typename ... on Unit { code } } }'],
    ['meta fields only', '{ __typename }'],
    ['a refused variable (BAD_USER_INPUT naming it, before anything runs)', 'query V($at: LocalDate) { unit(code: "01", at: $at) { code } }', { at: '2024-13-45' }],
    ['a missing non-null variable', 'query V($code: String!) { unit(code: $code) { code } }', {}],
    ['a resolver\'s BAD_USER_INPUT naming the field',
      '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], period: { from: "2024-06", to: "2024-01" } }) { totalRows } }'],
    ['a field error beside data', '{ ok: unit(code: "01", at: "2024-01-01") { code } bad: aggregate(query: { measures: [DOSSIERS_RECEIVED], period: { from: "2024-06", to: "2024-01" } }) { totalRows } }'],
  ];

  // Rows of two or three: a callback of three parameters would take the third as jest's `done`.
  it.each(SAME)('%s: the same status and bytes', async (...[_name, query, variables]) => {
    const [a, b] = [await post(compiled, query, variables), await post(interpreted, query, variables)];
    expect(a).toEqual(b);
    // Each answers something real (no blanket error that would make the two equal for nothing).
    expect(a.body.length).toBeGreaterThan(10);
    const codes = ((JSON.parse(a.body) as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((e) => e.extensions?.code);
    if (/BAD_USER_INPUT|refused|missing|error beside/.test(_name)) expect(codes).toEqual(['BAD_USER_INPUT']);
    else expect(codes).toEqual([]);
  });

  it('an internal error (a table gone): the same status and bytes, nothing but "Internal server error"', async () => {
    const query = '{ ok: unit(code: "01", at: "2024-01-01") { code } sectors { code } }';
    await db.sql.query('ALTER TABLE sector RENAME TO sector_gone');
    let answers;
    try {
      answers = [await post(compiled, query), await post(interpreted, query)];
    } finally {
      await db.sql.query('ALTER TABLE sector_gone RENAME TO sector');
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0].status).toBe(200);
    const body = JSON.parse(answers[0].body) as { data: unknown; errors: { message: string; extensions: { code: string } }[] };
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([expect.objectContaining({ message: 'Internal server error', path: ['sectors'], extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(answers[0].body).not.toMatch(/sector_gone|relation|SELECT/);
  });

  it('compiled the queries it ran (the comparison above went through the compiler), once each', async () => {
    const before = cache.count;
    const q = '{ units(first: 2, filter: { kind: PROVINCE }) { nodes { code } } }';
    await post(compiled, q);
    await post(compiled, q);
    expect(cache.count).toBe(before + 1);
    // Every successful read above was compiled: a lookup, fragments, a page, the aggregate, entities, meta fields.
    expect(before).toBeGreaterThanOrEqual(6);
  });

  it('keeps compiled queries in memory bounded in bytes: the oldest go first, answers unchanged', async () => {
    const small = compiledQueryCache(64 * 1024);
    const app = await startApp({
      config: loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: db.url, logLevel: 'silent', statementTimeoutMs: 5000 }),
      db, schema: await createSchema(), logger: createLogger('silent'), compiledQueries: small,
    });
    try {
      const codes = ['01', '02', '04', '06', '08', '10', '11', '12', '14', '15', '17', '19'];
      for (const code of codes) {
        const res = await post(app, `{ unit(code: "${code}", at: "2024-01-01") { code } }`);
        expect(JSON.parse(res.body)).toEqual({ data: { unit: { code } } });
        expect(small.size).toBeLessThanOrEqual(64 * 1024);
      }
      // About 17 KB each by the estimate: three fit, twelve were compiled.
      expect(small.count).toBe(3);
    } finally {
      await app.close();
    }
  });
});

describe('COMPILED_QUERIES', () => {
  it('is on by default; false turns compilation off; anything else is refused naming it', () => {
    expect(loadConfig({}).compiledQueries).toBe(true);
    expect(loadConfig({ COMPILED_QUERIES: 'false' }).compiledQueries).toBe(false);
    expect(() => loadConfig({ COMPILED_QUERIES: 'jit' })).toThrow(/COMPILED_QUERIES must be true or false, got "jit"/);
  });
});
