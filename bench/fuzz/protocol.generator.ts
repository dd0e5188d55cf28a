import { bearer, FuzzCase, FuzzContext, JSON_HEADERS, junkString } from './fuzz-case';

/**
 * The HTTP surface around GraphQL: methods, paths, GET with mutations or subscriptions, query
 * strings, CSRF-style requests, odd headers on reads (Authorization, forwarding, host).
 */
const get = (name: string, path: string, headers: [string, string][] = [['Accept', 'application/json']]): FuzzCase => ({ family: 'protocol', name, request: { method: 'GET', path, headers } });
/** Percent-encodes the UTF-8 bytes (lone surrogates become U+FFFD instead of throwing like encodeURIComponent). */
const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');

function getRequests(ctx: FuzzContext): FuzzCase[] {
  const { rng } = ctx;
  const qs = (query: string, extra = '') => `/graphql?query=${enc(query)}${extra}`;
  const out = [
    get('GET with a mutation', qs('mutation { ingest(batch: {}) { rowsRead } }')),
    get('GET with a mutation and a key', qs('mutation { syncSource(code: "dvcqg") { state } }'), [['Accept', 'application/json'], ['Authorization', `Bearer ${ctx.nationalKey}`]]),
    get('GET with a subscription', qs('subscription { sources { code } }')),
    get('GET without query', '/graphql'),
    get('GET with empty query', '/graphql?query='),
    get('GET with variables not JSON', qs('query($c: String!) { unit(code: $c) { code } }', '&variables=%7Bnope')),
    get('GET with variables array', qs('query($c: String!) { unit(code: $c) { code } }', `&variables=${enc('[1]')}`)),
    get('GET with extensions not JSON', qs('{ sources { code } }', '&extensions=%7B')),
    get('GET with repeated query', `${qs('{ sources { code } }')}&query=${enc('{ targets { code } }')}`),
    get('GET with query[] array', `/graphql?query[]=${enc('{ sources { code } }')}&query[]=x`),
    get('GET with query[a]=b object', `/graphql?query[a]=b`),
    get('GET with 7 KB query string', qs(`{ sources { code } }${' '.repeat(7000)}`)),
    get('GET with 70 KB query string', qs(`{ sources { code } }${' '.repeat(70_000)}`)),
    get('GET with bad percent-encoding', '/graphql?query=%E0%A4%A'),
    get('GET with NUL in query string', '/graphql?query=%00'),
    get('GET with operationName of a mutation', `${qs('query A { sources { code } } mutation B { ingest(batch: {}) { rowsRead } }')}&operationName=B`),
    get('GET browser (text/html)', '/graphql', [['Accept', 'text/html']]),
    get('GET with junk query', qs(junkString(rng, 50))),
  ];
  for (let i = 0; i < 10; i++) out.push(get('GET random query string', `/graphql?${junkString(rng, 30).replace(/[\s#]/g, '')}`));
  return out;
}

function methodsAndPaths(): FuzzCase[] {
  const body = JSON.stringify({ query: '{ sources { code } }' });
  const out: FuzzCase[] = [];
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'FOO', 'M-SEARCH', 'CONNECT']) {
    out.push({ family: 'protocol', name: `${method} /graphql`, request: { method, path: method === 'CONNECT' ? '127.0.0.1:1' : '/graphql', headers: JSON_HEADERS, body } });
  }
  const paths = [
    '/', '/graphql/', '/GRAPHQL', '/graphql/../health', '/%2e%2e/%2e%2e/etc/passwd', '/graphql%00', '/graphql;jsessionid=1', '/graphql/extra/path',
    '//graphql', '/health/../graphql', '/health?x=%00', '/nope', '/.env', '/package.json', '/dist/src/main.js', '/node_modules/express/package.json',
    '/graphql?%', `/${'a'.repeat(20_000)}`, '/graphql#frag', '*', 'http://evil.example/graphql', '/\u00e9', '/favicon.ico', '/server-status',
  ];
  for (const p of paths) {
    out.push({ family: 'protocol', name: `GET ${p.slice(0, 40)}`, request: { method: 'GET', path: p, headers: [] } });
    out.push({ family: 'protocol', name: `POST ${p.slice(0, 40)}`, request: { method: 'POST', path: p, headers: JSON_HEADERS, body } });
  }
  return out;
}

function readHeaders(ctx: FuzzContext): FuzzCase[] {
  const body = JSON.stringify({ query: '{ sources { code } }' });
  const withHeaders = (name: string, headers: [string, string][]): FuzzCase => ({ family: 'header', name, request: { method: 'POST', path: '/graphql', headers: [...JSON_HEADERS, ...headers], body } });
  return [
    withHeaders('read with Bearer junk', [['Authorization', 'Bearer junk']]),
    withHeaders('read with Basic', [['Authorization', 'Basic Og==']]),
    withHeaders('read with Digest', [['Authorization', 'Digest username="a"']]),
    withHeaders('read with empty Bearer', [['Authorization', 'Bearer']]),
    withHeaders('read with revoked-looking key', [['Authorization', 'Bearer dvc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']]),
    withHeaders('X-Forwarded-For spoofing', [['X-Forwarded-For', '1.2.3.4, 5.6.7.8'], ['X-Real-IP', '9.9.9.9'], ['Forwarded', 'for=1.2.3.4']]),
    withHeaders('Host header attack', [['Host', 'evil.example']]),
    withHeaders('Origin from another site (CSRF)', [['Origin', 'https://evil.example']]),
    { family: 'header', name: 'CSRF: text/plain POST with a mutation', request: { method: 'POST', path: '/graphql', headers: [['Content-Type', 'text/plain']], body: JSON.stringify({ query: 'mutation { ingest(batch: {}) { rowsRead } }' }) } },
    withHeaders('apollo-require-preflight junk', [['apollo-require-preflight', '\u0001']]),
    withHeaders('x-apollo-operation-name 10 KB', [['x-apollo-operation-name', 'a'.repeat(10_000)]]),
    withHeaders('apollo-federation-include-trace ftv1', [['apollo-federation-include-trace', 'ftv1']]),
    withHeaders('apollo-query-plan-experimental', [['apollo-query-plan-experimental', '1']]),
    withHeaders('X-HTTP-Method-Override DELETE', [['X-HTTP-Method-Override', 'DELETE']]),
    withHeaders('Cookie 8 KB', [['Cookie', `a=${'b'.repeat(8000)}`]]),
    withHeaders('Range header', [['Range', 'bytes=0-10']]),
    withHeaders('If-None-Match', [['If-None-Match', '*']]),
    withHeaders('Accept-Encoding junk', [['Accept-Encoding', 'gzip;q=2, br;q=-1, *;q=x']]),
    withHeaders('Accept-Charset latin1 only', [['Accept-Charset', 'iso-8859-1']]),
    withHeaders('key on a read, scoped key', bearer(ctx.provinceKey).slice(2)),
  ];
}

export const protocolGenerator = (ctx: FuzzContext): FuzzCase[] => [...getRequests(ctx), ...methodsAndPaths(), ...readHeaders(ctx)];
