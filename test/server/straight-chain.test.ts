import { Database } from '../../src/db/database';
import { createTestDatabase } from '../support/harness';
import { ObservedGateway, startObservedGateway } from '../observability/helpers';

/**
 * An exact `POST /graphql` goes through the /graphql handlers in a straight line
 * (src/server/straight-chain.ts); `/graphql/` still goes through Express's router, to the same
 * handlers. Both spellings get the same status, headers and bytes, for answers and for every kind
 * of refusal a handler makes, and the access log records each the same way.
 */
describe('straight chain for POST /graphql', () => {
  let db: Database;
  let gw: ObservedGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Without the rate limit's countdown and the response cache, two identical requests must get identical answers.
    gw = await startObservedGateway({ maxQueryBytes: 4096, rateLimitMax: 0, responseCache: false }, db);
  });
  afterAll(async () => {
    await gw?.stop();
    await db?.close();
  });

  const send = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${gw.base}${path}`, { method: 'POST', headers, body });
    const kept: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (!['x-request-id', 'date', 'keep-alive', 'connection'].includes(name)) kept[name] = name === 'ratelimit' ? value.replace(/; t=\d+/, '') : value;
    });
    return { status: res.status, headers: kept, body: await res.text() };
  };

  const JSON_TYPE = { 'content-type': 'application/json' };
  const CASES: [string, string, Record<string, string>, number][] = [
    ['a query', JSON.stringify({ query: '{ unit(code: "79", at: "2024-01-01") { code name } }' }), JSON_TYPE, 200],
    ['a query Apollo refuses (validation; 200 for an application/json client)', JSON.stringify({ query: '{ unit(code: "79") { nope } }' }), JSON_TYPE, 200],
    ['a body that is not JSON', '{"query": ', JSON_TYPE, 400],
    ['a body that is not declared JSON', 'query=1', { 'content-type': 'text/plain' }, 415],
    ['a body over the query limit', JSON.stringify({ query: `{ __typename }${' '.repeat(5000)}` }), JSON_TYPE, 413],
    ['an invalid API key', JSON.stringify({ query: '{ __typename }' }), { ...JSON_TYPE, authorization: 'Bearer nope' }, 401],
    ['a mutation without a key', JSON.stringify({ query: 'mutation { ingest(batch: { source: "x", filings: [] }) { rowsWritten } }' }), JSON_TYPE, 200],
  ];

  it.each(CASES)('%s: the same answer on /graphql and /graphql/', async (_name, body, headers, status) => {
    const straight = await send('/graphql', body, headers);
    const routed = await send('/graphql/', body, headers);
    expect(straight).toEqual(routed);
    expect(straight.status).toBe(status);
    const lines = gw.lines.filter((l) => l.msg === 'request').slice(-2);
    expect(lines.map((l) => [l.path, l.status])).toEqual([['/graphql', status], ['/graphql/', status]]);
  });
});
