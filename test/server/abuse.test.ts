import { getIntrospectionQuery, OperationDefinitionNode, parse } from 'graphql';
import { loadConfig } from '../../src/config/config';
import { queryCounter } from '../../src/db/query-counter';
import { measureOperation } from '../../src/server/query-cost';
import { countFields, measureDocumentText } from '../../src/server/query-size.middleware';
import { createSchema } from '../../src/server/schema';
import { startTestGateway, TestGateway } from '../support/harness';

/** `fragment Fn on Unit { ...Fn-1 ...Fn-1 }`: 2^(levels-1) copies of F1 once expanded, in under 1 KB. */
function fragmentBomb(levels: number): string {
  const fragments = ['fragment F1 on Unit { code name }'];
  for (let i = 2; i <= levels; i++) fragments.push(`fragment F${i} on Unit { ...F${i - 1} ...F${i - 1} }`);
  return `{ unit(code: "80") { ...F${levels} } }\n${fragments.join('\n')}`;
}

const firstOperation = (doc: ReturnType<typeof parse>) => doc.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;

describe('query cost in one pass', () => {
  it('measures each fragment once, however often it is spread', async () => {
    const schema = await createSchema();
    const doc = parse(fragmentBomb(30));
    const m = measureOperation(schema, doc, firstOperation(doc));
    // Every fragment walked exactly once: 30 walks for 2^29 expanded spreads.
    expect(m.fragmentVisits.size).toBe(30);
    expect([...m.fragmentVisits.values()].every((n) => n === 1)).toBe(true);
    // The cost is still the expanded one: unit (1) + 2^29 copies of F1 (2 fields each).
    expect(m.cost).toBe(1 + 2 ** 30);
    expect(m.depth).toBe(2);
  });

  it('counts introspection fields toward cost, depth and aliases', async () => {
    const schema = await createSchema();
    const doc = parse('{ a: __typename b: __typename __schema { types { fields { type { name } } } } }');
    const m = measureOperation(schema, doc, firstOperation(doc));
    expect(m).toMatchObject({ depth: 5, aliases: 2, schemaFields: 1 });
    // types (10) × fields (10) × (field 1 + type 1 + name 1)... not zero, as it was.
    expect(m.cost).toBeGreaterThan(100);
  });

  it('honours @skip and @include, and reads sizes from variables and defaults', async () => {
    const schema = await createSchema();
    const doc = parse('query($n: Int = 7, $no: Boolean!) { units(first: $n) { nodes { code } } sectors @include(if: $no) { code } }');
    const m = measureOperation(schema, doc, firstOperation(doc), { no: false });
    expect(m.cost).toBe(1 + 7 * (1 + 1)); // units sized by first (7) × (nodes, sized by its parent, + code); sectors skipped
    const more = measureOperation(schema, doc, firstOperation(doc), { n: 500, no: true });
    expect(more.cost).toBeGreaterThan(m.cost + 500);
  });

  it('counts tokens as the parser does, comments excluded, stopping early', () => {
    expect(measureDocumentText('{ a b c }', 100).tokens).toBe(5);
    expect(measureDocumentText('# a comment\n{ a }', 100).tokens).toBe(3);
    expect(measureDocumentText('{ a b c d e f g }', 3).tokens).toBe(4);
  });

  it('counts field selections as written, stopping early', () => {
    expect(countFields('{ a b { c } ...F } fragment F on T { d }', 100, 1000)).toBe(4);
    expect(countFields('{ a b c d e f g }', 3, 1000)).toBe(4);
    expect(countFields('{ a( }', 3, 1000)).toBe(0);
  });
});

describe('abusive queries over HTTP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.stop());

  it('rejects a fragment bomb before execution, and /health keeps answering', async () => {
    const bomb = fragmentBomb(30);
    expect(Buffer.byteLength(bomb)).toBeLessThan(1500);
    queryCounter.reset(true);
    const [res, health] = await Promise.all([gw.gql(bomb), fetch(gw.app.url.replace('/graphql', '/health'))]);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', maxCost: 1_000_000 });
    expect(health.status).toBe(200);
    // Nothing reached the database for the bomb: the only statement is the health probe's.
    expect(queryCounter.statements.filter((sql) => !/^SELECT 1$/.test(sql.trim()))).toEqual([]);
  });

  it('counts introspection toward depth and aliases', async () => {
    const { maxQueryDepth, maxQueryAliases } = loadConfig({});
    const deep = await gw.gql(`{ __type(name: "Unit") { ${'ofType { '.repeat(maxQueryDepth)}name${' }'.repeat(maxQueryDepth)} } }`);
    expect(deep.status).toBe(400);
    expect(deep.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', depth: maxQueryDepth + 2, maxDepth: maxQueryDepth });
    const aliased = await gw.gql(`{ ${Array.from({ length: maxQueryAliases + 1 }, (_, i) => `t${i}: __typename`).join(' ')} }`);
    expect(aliased.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', aliases: maxQueryAliases + 1, maxAliases: maxQueryAliases });
  });

  it('caps the tokens of a document before parsing it (400 QUERY_TOO_LARGE), on POST and GET', async () => {
    const few = await startTestGateway({ maxQueryTokens: 200, maxQueryAliases: 1000 });
    try {
      const fields = (n: number) => `{ ${Array.from({ length: n }, () => '__typename').join(' ')} }`;
      expect((await few.gql(fields(198))).errors).toBeUndefined(); // 200 tokens: braces and 198 names
      const over = await few.gql(fields(199));
      expect(over.status).toBe(400);
      expect(over.errors).toEqual([{ message: 'The GraphQL document has more than 200 tokens: split it, or send data in variables.', extensions: { code: 'QUERY_TOO_LARGE', maxTokens: 200 } }]);
      const get = await fetch(`${few.app.url}?query=${encodeURIComponent(fields(199))}`, { headers: { accept: 'application/json' } });
      expect(get.status).toBe(400);
      expect(((await get.json()) as any).errors[0].extensions.code).toBe('QUERY_TOO_LARGE');
    } finally {
      await few.stop();
    }
  });

  it('caps the document itself at MAX_QUERY_BYTES even for key holders', async () => {
    const small = await startTestGateway({ maxQueryBytes: 2048, maxQueryTokens: 100_000 });
    try {
      const key = await small.createKey({ name: 'doc-size', unitCodes: ['72'] });
      const doc = `{ sectors { code } } # ${'x'.repeat(3000)}`;
      const res = await small.gql(doc, undefined, key);
      expect(res.status).toBe(400);
      expect(res.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_LARGE', maxBytes: 2048 });
    } finally {
      await small.stop();
    }
  });

  it('lets the standard introspection query through with the default limits', async () => {
    // graphql-js's introspection query (what sandboxes and code generators send) is 15 deep.
    const res = await gw.gql(getIntrospectionQuery());
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.queryType.name).toBe('Query');
  });

  it('refuses a document with more field selections than MAX_QUERY_FIELDS before validating it', async () => {
    const { maxQueryFields } = loadConfig({});
    // Same-named fields are what makes validation quadratic; 1,700 of them took 0.5 s before the cap.
    const doc = `{ ${'sectors { code } '.repeat(Math.ceil(maxQueryFields / 2) + 1)}}`;
    const res = await gw.gql(doc);
    expect(res.status).toBe(400);
    expect(res.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_LARGE', maxFields: maxQueryFields });
    // At the limit it goes through to validation and runs.
    const ok = await gw.gql(`{ ${'sectors { code } '.repeat(Math.floor(maxQueryFields / 2))}}`);
    expect(ok.errors).toBeUndefined();
  });
});

describe('rate limiting', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ rateLimitMax: 3, rateLimitWindowMs: 60_000 });
  });
  afterAll(() => gw?.stop());

  it('answers 429 with Retry-After in the GraphQL error shape once an address is over its allowance; a key has its own', async () => {
    const key = await gw.createKey({ name: 'rate-limited', unitCodes: ['72'] });
    for (let i = 0; i < 3; i++) expect((await gw.gql('{ __typename }')).status).toBe(200);
    const res = await fetch(gw.app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60).toBe(true);
    expect(await res.json()).toEqual({ errors: [{ message: expect.stringMatching(/^Too many requests: at most 3 every 60 s per client/), extensions: { code: 'RATE_LIMITED' } }] });
    // The key counts on its own, from the same address.
    expect((await gw.gql('{ __typename }', undefined, key)).status).toBe(200);
    // A wrong key counts against the address: still 429, not 401, and no key lookup decides it.
    expect((await gw.gql('{ __typename }', undefined, `${key.slice(0, -4)}AAAA`)).status).toBe(429);
  });

  it('never believes X-Forwarded-For without TRUST_PROXY: a made-up address does not buy a new allowance', async () => {
    // This gateway's allowance (3) for 127.0.0.1 is spent by the test above.
    const res = await fetch(gw.app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.77' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(res.status).toBe(429);
  });

  it('reads every limit from the environment', () => {
    const c = loadConfig({ MAX_QUERY_FIELDS: '40', MAX_QUERY_TOKENS: '500', MAX_QUERY_BYTES: '4096', RATE_LIMIT_MAX: '0', RATE_LIMIT_WINDOW_MS: '1000', INTROSPECTION: 'false', LANDING_PAGE: 'off', MAX_BATCH_ROWS: '10' });
    expect(c).toMatchObject({ maxQueryFields: 40, maxQueryTokens: 500, maxQueryBytes: 4096, rateLimitMax: 0, rateLimitWindowMs: 1000, introspection: false, landingPage: false, maxIngestBytes: 3200 });
  });
});

describe('rate limiting behind a trusted proxy (TRUST_PROXY)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ rateLimitMax: 2, rateLimitWindowMs: 60_000, trustProxy: ['loopback'] });
  });
  afterAll(() => gw?.stop());

  const via = (forwardedFor: string) => fetch(gw.app.url, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify({ query: '{ __typename }' }),
  }).then((r) => r.status);

  it('gives each forwarded client its own allowance, and the proxy (the socket) none of theirs', async () => {
    expect([await via('203.0.113.1'), await via('203.0.113.1'), await via('203.0.113.1')]).toEqual([200, 200, 429]);
    // Another client behind the same proxy: its own 2.
    expect([await via('203.0.113.2'), await via('203.0.113.2'), await via('203.0.113.2')]).toEqual([200, 200, 429]);
    // The client is the last address added by a trusted hop: a spoofed first entry is ignored.
    expect(await via('198.51.100.9, 203.0.113.1')).toBe(429);
    // Without the header, the client is the proxy itself (loopback), not yet counted.
    expect((await gw.gql('{ __typename }')).status).toBe(200);
  });

  it('lists every bad TRUST_PROXY entry at once, and accepts addresses, ranges and presets', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/33, nginx, 10.1.2.3' })).toThrow(
      /TRUST_PROXY must list addresses, CIDR ranges \(10\.0\.0\.0\/8\) or loopback, linklocal, uniquelocal; not "10\.0\.0\.0\/33", "nginx"/,
    );
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, 192.0.2.1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
    expect(loadConfig({}).trustProxy).toEqual([]);
  });
});
