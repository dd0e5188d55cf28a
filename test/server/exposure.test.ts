import { redactAddresses, redactedOrigin } from '../../src/sources/address-redaction';
import { startTestGateway, TestGateway } from '../support/harness';

describe('Source.baseUrl', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.db.sql.query(`INSERT INTO source (code, name, kind, precedence, base_url) VALUES ('igate-test', 'Test feed', 'dossier_feed', 200, 'http://10.20.30.40:8080/igate/80?token=x')`);
  });
  afterAll(() => gw?.stop());

  const SOURCE = '{ source(code: "igate-test") { code baseUrl } }';

  it('shows anonymous callers the scheme only, host and port redacted', async () => {
    const res = await gw.gql(SOURCE);
    expect(res.data).toEqual({ source: { code: 'igate-test', baseUrl: 'http://***:****' } });
    const all = await gw.gql('{ sources { baseUrl } }');
    expect(JSON.stringify(all.data)).not.toMatch(/10\.20\.30\.40|8080|igate\/80/);
  });

  it('shows key holders the full URL', async () => {
    const key = await gw.createKey({ name: 'exposure', unitCodes: ['72'] });
    const res = await gw.gql(SOURCE, undefined, key);
    expect(res.data).toEqual({ source: { code: 'igate-test', baseUrl: 'http://10.20.30.40:8080/igate/80?token=x' } });
  });

  it('redacts addresses in lastError for anonymous callers', async () => {
    await gw.db.sql.query(`UPDATE source SET last_error = $1 WHERE code = 'igate-test'`, ['igate-test page 3: HTTP 502: upstream http://10.20.30.40:8080/igate/80 unreachable (connect ECONNREFUSED 10.20.30.40:8080) (gave up after 4 attempts)']);
    const anon = await gw.gql('{ source(code: "igate-test") { lastError } }');
    expect(anon.data.source.lastError).toBe('igate-test page 3: HTTP 502: upstream http://*** unreachable (connect ECONNREFUSED ***) (gave up after 4 attempts)');
    const key = await gw.createKey({ name: 'exposure-errors', unitCodes: ['72'] });
    expect((await gw.gql('{ source(code: "igate-test") { lastError } }', undefined, key)).data.source.lastError).toMatch(/10\.20\.30\.40:8080/);
    expect(redactAddresses('filings[3] at [::1]:4100 and localhost:5432, 2025-06-30T12:30')).toBe('filings[3] at *** and ***, 2025-06-30T12:30');
  });

  it('redacts addresses in a run\'s error for anonymous callers', async () => {
    const message = 'failed, nothing written: connect ECONNREFUSED 10.20.30.40:8080';
    await gw.db.sql.query(
      `INSERT INTO ingest_run (source_id, kind, status, finished_at, error) SELECT id, 'sync', 'failed', now(), $1 FROM source WHERE code = 'igate-test'`,
      [message],
    );
    const query = '{ ingestRuns(sourceCode: "igate-test", last: 1) { status error } }';
    expect((await gw.gql(query)).data.ingestRuns).toEqual([{ status: 'FAILED', error: 'failed, nothing written: connect ECONNREFUSED ***' }]);
    const key = await gw.createKey({ name: 'exposure-runs', unitCodes: ['72'] });
    expect((await gw.gql(query, undefined, key)).data.ingestRuns).toEqual([{ status: 'FAILED', error: message }]);
  });

  it('redacts any URL to its scheme', () => {
    expect(redactedOrigin('https://portal.internal/api')).toBe('https://***');
    expect(redactedOrigin('http://[::1]:4100/x')).toBe('http://***:****');
    expect(redactedOrigin('not a url')).toBeNull();
  });
});

describe('introspection and landing page switched off', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ introspection: false, landingPage: false });
  });
  afterAll(() => gw?.stop());

  it('refuses introspection and the federation SDL to anonymous callers, with a clear error', async () => {
    for (const q of ['{ __schema { queryType { name } } }', '{ __type(name: "Unit") { name } }', '{ _service { sdl } }', 'query Q { ...F } fragment F on Query { __schema { types { name } } }']) {
      const res = await gw.gql(q);
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(res.errors).toEqual([{ message: 'Introspection is switched off on this gateway; callers with an API key may still read the schema.', extensions: { code: 'INTROSPECTION_DISABLED' } }]);
    }
    // Nor do validation errors hint at field names.
    const typo = await gw.gql('{ unitz { code } }');
    expect(typo.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.errors![0].message).not.toMatch(/Did you mean/);
    // __typename is not introspection: clients need it.
    expect((await gw.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('still lets key holders (integrators composing a supergraph) read the schema', async () => {
    const key = await gw.createKey({ name: 'router', unitCodes: ['*'] });
    const res = await gw.gql('{ __schema { queryType { name } } _service { sdl } }', undefined, key);
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.queryType.name).toBe('Query');
  });

  it('shows a browser no landing page: a JSON 400 instead', async () => {
    const res = await fetch(gw.app.url, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).not.toMatch(/<html/i);
  });
});

describe('introspection and landing page on (the default)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.stop());

  it('answers introspection and shows the landing page to a browser', async () => {
    expect((await gw.gql('{ __schema { queryType { name } } }')).errors).toBeUndefined();
    const res = await fetch(gw.app.url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
