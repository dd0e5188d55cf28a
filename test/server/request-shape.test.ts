import { loadConfig } from '../../src/config/config';
import { jsonNestingExceeds } from '../../src/server/request-shape.middleware';
import { measureDocumentText } from '../../src/server/query-size.middleware';
import { startTestGateway, TestGateway } from '../support/harness';
import { rawSocket } from './raw-http';

/** Requests whose shape Apollo used to answer in its own words, or with a 500 (bench:fuzz found each). */
describe('request shape', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.stop());

  const post = async (body: string) => {
    const res = await fetch(gw.app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, type: res.headers.get('content-type'), allow: res.headers.get('allow'), body: (await res.json()) as { errors?: { message: string; extensions: Record<string, unknown> }[]; data?: unknown } };
  };
  const maxNesting = () => 4 * loadConfig({}).maxQueryDepth;

  it('refuses methods other than GET and POST with 405, Allow and a JSON body that names no library', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await fetch(gw.app.url, { method, headers: { 'content-type': 'application/json' }, body: method === 'OPTIONS' ? undefined : '{"query":"{ __typename }"}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST');
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ errors: [{ message: 'Send GraphQL requests with GET (queries) or POST.', extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
      expect(text).not.toMatch(/apollo|express/i);
    }
  });

  it('refuses a document nested deeper than the parser should recurse, before parsing it', async () => {
    const deep = `${'{ a '.repeat(3000)}${'}'.repeat(3000)}`;
    const res = await post(JSON.stringify({ query: deep }));
    expect(res.status).toBe(400);
    expect(res.body.errors![0]).toMatchObject({ extensions: { code: 'QUERY_TOO_LARGE', maxNesting: maxNesting() } });
    expect(JSON.stringify(res.body)).not.toMatch(/call stack/i);
    // Nested input values count too: a list literal 2,000 deep.
    const literal = await post(JSON.stringify({ query: `{ units(filter: { name: ${'['.repeat(2000)}${']'.repeat(2000)} }) { nodes { code } } }` }));
    expect(literal.status).toBe(400);
    expect(literal.body.errors![0].extensions.code).toBe('QUERY_TOO_LARGE');
  });

  it('refuses variables nested deeper than the limit with 400, not a 500 from a recursive walker', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const res = await post(`{"query":"query($f: UnitFilter) { units(filter: $f) { nodes { code } } }","variables":{"f":{"name":${deep}}}}`);
    expect(res.status).toBe(400);
    expect(res.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_REQUEST', maxNesting: maxNesting() } });
    // A batch's own nesting (variables, batch, section, row) is far below it.
    const ok = await post(JSON.stringify({ query: 'query($f: UnitFilter) { units(filter: $f, first: 1) { nodes { code } } }', variables: { f: { name: 'Tây Ninh' } } }));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
  });

  it('answers a persisted query of an unknown version or a malformed hash with 400 naming the field', async () => {
    for (const [pq, reason] of [
      [{ version: 99, sha256Hash: 5 }, 'version must be 1'],
      [{ version: 1, sha256Hash: 'abc' }, 'sha256Hash must be 64 hexadecimal digits'],
      ['persisted', 'must be an object { version: 1, sha256Hash }'],
    ] as const) {
      const res = await post(JSON.stringify({ extensions: { persistedQuery: pq } }));
      expect(res.status).toBe(400);
      expect(res.body.errors![0].extensions).toEqual({ code: 'BAD_REQUEST', problems: [{ field: 'extensions.persistedQuery', reason }] });
    }
    // A well-formed hash the gateway has not seen: Apollo's PERSISTED_QUERY_NOT_FOUND, as the protocol wants.
    const unknown = await post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }));
    expect(unknown.body.errors![0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('answers an Expect other than 100-continue with a JSON 417, not an empty one', async () => {
    const body = '{"query":"{ __typename }"}';
    const answer = await rawSocket(gw.app.url, `POST /graphql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nExpect: 417-please\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(answer).toMatch(/^HTTP\/1\.1 417 /);
    expect(answer).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ errors: [{ message: 'Only "Expect: 100-continue" is supported.', extensions: { code: 'EXPECTATION_FAILED' } }] });
  });

  it('measures nesting and stops counting early', () => {
    expect(measureDocumentText('{ a(x: [[1]]) { b } }', 100)).toEqual({ tokens: 15, nesting: 4 });
    expect(measureDocumentText('{ { { { { } } } } }', 100, 2).nesting).toBe(3);
    expect(jsonNestingExceeds({ a: [[1]] }, 3)).toBe(false);
    expect(jsonNestingExceeds({ a: [[[1]]] }, 3)).toBe(true);
    expect(jsonNestingExceeds('text', 0)).toBe(false);
  });
});
