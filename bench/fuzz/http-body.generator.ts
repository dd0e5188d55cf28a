import zlib from 'node:zlib';
import { FuzzCase, FuzzContext, JSON_HEADERS, junkString, post, randomBytes } from './fuzz-case';

/**
 * Request bodies a client library would never send: broken JSON, wrong shapes, content types,
 * charsets, encodings, oversized bodies and framing lies (Content-Length, chunks).
 */
const VALID = JSON.stringify({ query: '{ sources { code } }' });
const SMALL_QUERY = '{ sources { code status } }';

function malformedJson(ctx: FuzzContext): FuzzCase[] {
  const { rng } = ctx;
  const fixed: [string, string][] = [
    ['empty body', ''],
    ['whitespace only', '   \n\t '],
    ['truncated object', VALID.slice(0, 15)],
    ['trailing comma', '{"query": "{ sources { code } }",}'],
    ['single quotes', "{'query': '{ sources { code } }'}"],
    ['unquoted key', '{query: "{ sources { code } }"}'],
    ['NaN value', '{"query": NaN}'],
    ['comment inside', '{"query": /* hi */ "{ sources { code } }"}'],
    ['two documents', `${VALID}${VALID}`],
    ['BOM then JSON', `\ufeff${VALID}`],
    ['lone surrogate escape', '{"query": "\\ud800{ sources { code } }"}'],
    ['bad escape', '{"query": "\\x41"}'],
    ['NUL inside string', '{"query": "{ sources\u0000 { code } }"}'],
    ['raw control chars', '{"query": "{ sources\u0001\u0002 { code } }"}'],
    ['duplicate keys', '{"query": "{ sources { code } }", "query": 42}'],
    ['top-level array of junk', '[1, "a", null, {}]'],
    ['top-level string', '"{ sources { code } }"'],
    ['top-level number', '12345'],
    ['top-level null', 'null'],
    ['top-level true', 'true'],
    ['query is number', '{"query": 42}'],
    ['query is object', '{"query": {"a": 1}}'],
    ['query is array', '{"query": ["{ sources { code } }"]}'],
    ['query is null', '{"query": null}'],
    ['no query', '{"variables": {}}'],
    ['variables is string', '{"query": "{ sources { code } }", "variables": "{\\"a\\":1}"}'],
    ['variables is array', '{"query": "{ sources { code } }", "variables": [1, 2]}'],
    ['variables is number', '{"query": "{ sources { code } }", "variables": 7}'],
    ['operationName is object', '{"query": "{ sources { code } }", "operationName": {"x": 1}}'],
    ['extensions is string', '{"query": "{ sources { code } }", "extensions": "persistedQuery"}'],
    ['bogus persisted query', '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}'],
    ['persisted query wrong version', '{"extensions": {"persistedQuery": {"version": 99, "sha256Hash": 5}}}'],
    ['huge number', `{"query": "{ sources { code } }", "variables": {"x": 1${'0'.repeat(400)}}}`],
    ['deep JSON nesting (10k arrays)', `{"query": "{ sources { code } }", "variables": {"x": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}`],
    ['deep JSON nesting (100k objects, unclosed)', `{"variables": ${'{"a":'.repeat(100_000)}`],
    ['empty batch', '[]'],
    ['batch of 500', JSON.stringify(Array.from({ length: 500 }, () => ({ query: SMALL_QUERY })))],
    ['prototype pollution keys', '{"query": "{ sources { code } }", "__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}}'],
  ];
  const out = fixed.map(([name, body]) => post('body', name, body));
  // Random truncations and byte flips of a valid body.
  for (let i = 0; i < 40; i++) {
    const b = Buffer.from(VALID);
    const cut = rng.int(b.length);
    if (i % 2 === 0) out.push(post('body', 'random truncation', b.subarray(0, cut)));
    else {
      b[cut] = rng.int(256);
      out.push(post('body', 'random byte flip', b));
    }
  }
  for (let i = 0; i < 25; i++) out.push(post('body', 'random bytes', randomBytes(rng, 1 + rng.int(2000))));
  for (let i = 0; i < 15; i++) out.push(post('body', 'junk string as query', { query: junkString(rng, 5 + rng.int(200)) }));
  return out;
}

function contentTypes(): FuzzCase[] {
  const types = [
    'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz',
    'application/xml', 'application/graphql', 'application/json; charset=latin1', 'application/json; charset=utf-16',
    'application/json; charset=utf-7', 'application/json; charset=koi8-r', 'application/json; charset="', 'application/json;;;',
    'application/json; boundary=x; charset=utf-8; charset=ascii', 'application/jsonx', 'json', '*/*', '', ' ', 'application/json\u0000',
    'application/graphql-response+json', 'application/json; charset=iso-8859-1', 'APPLICATION/JSON; CHARSET=UTF-32',
  ];
  const out: FuzzCase[] = [];
  for (const t of types) out.push(post('header', `content-type ${JSON.stringify(t)}`, VALID, [['Content-Type', t], ['Accept', 'application/json']]));
  out.push(post('header', 'no content-type', VALID, [['Accept', 'application/json']]));
  out.push(post('header', 'two content-types', VALID, [['Content-Type', 'application/json'], ['Content-Type', 'text/plain']]));
  out.push(post('header', 'form-encoded query', `query=${encodeURIComponent(SMALL_QUERY)}`, [['Content-Type', 'application/x-www-form-urlencoded']]));
  out.push(post('header', 'multipart upload', '--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ sources { code } }"}\r\n--xyz--\r\n', [['Content-Type', 'multipart/form-data; boundary=xyz']]));
  out.push(post('header', 'utf-16 body declared', Buffer.from(VALID, 'utf16le'), [['Content-Type', 'application/json; charset=utf-16le']]));
  for (const accept of ['text/html', 'application/xml', 'image/png', 'application/graphql-response+json', '*/*;q=0', 'garbage/;;;', '']) {
    out.push(post('header', `accept ${JSON.stringify(accept)}`, VALID, [['Content-Type', 'application/json'], ['Accept', accept]]));
  }
  return out;
}

function encodings(ctx: FuzzContext): FuzzCase[] {
  const { rng } = ctx;
  const out: FuzzCase[] = [];
  for (const enc of ['gzip', 'br', 'deflate', 'compress', 'zstd', 'identity, gzip', 'gzip, gzip', 'x-unknown']) {
    for (let i = 0; i < 4; i++) {
      out.push(post('header', `content-encoding ${enc} with garbage`, randomBytes(rng, 10 + rng.int(500)), [...JSON_HEADERS, ['Content-Encoding', enc]]));
    }
  }
  // Valid compressed bodies that decompress to nonsense, or truncated streams.
  const gz = zlib.gzipSync(Buffer.from(VALID));
  out.push(post('header', 'gzip truncated', gz.subarray(0, gz.length - 6), [...JSON_HEADERS, ['Content-Encoding', 'gzip']]));
  out.push(post('header', 'gzip of random bytes', zlib.gzipSync(randomBytes(rng, 500)), [...JSON_HEADERS, ['Content-Encoding', 'gzip']]));
  out.push(post('header', 'br of broken JSON', zlib.brotliCompressSync(Buffer.from('{"query": ')), [...JSON_HEADERS, ['Content-Encoding', 'br']]));
  // A decompression bomb: 1 KB that inflates to 50 MB of spaces.
  out.push(post('header', 'gzip bomb (50 MB inflated)', zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 32), { level: 9 }), [...JSON_HEADERS, ['Content-Encoding', 'gzip']]));
  out.push(post('header', 'gzip declared, plain sent', VALID, [...JSON_HEADERS, ['Content-Encoding', 'gzip']]));
  return out;
}

function sizes(): FuzzCase[] {
  const big = (n: number) => JSON.stringify({ query: SMALL_QUERY, variables: { pad: 'x'.repeat(n) } });
  return [
    post('body', 'body 1.5 MB (over the query limit)', big(1.5 * 1024 * 1024)),
    post('body', 'body 8 MB', big(8 * 1024 * 1024)),
    post('body', 'body 70 MB (over the old 64 MB limit)', big(70 * 1024 * 1024)),
    post('body', 'query 2 MB of whitespace', { query: `{ sources { code } }${' '.repeat(2 * 1024 * 1024)}` }),
    post('body', 'query 900 KB of comments', { query: `${'#'.repeat(900 * 1024)}\n{ sources { code } }` }),
  ];
}

function framing(ctx: FuzzContext): FuzzCase[] {
  const { rng } = ctx;
  const head = (extra: string) => `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n${extra}\r\n`;
  const raw = (name: string, bytes: string, halfClose = false): FuzzCase => ({ family: 'header', name, request: { method: 'POST', path: '/graphql', headers: [], raw: bytes }, halfClose });
  const out: FuzzCase[] = [
    raw('content-length longer than body (half-closed)', head(`Content-Length: ${VALID.length + 50}\r\n`) + VALID, true),
    raw('content-length shorter than body', head(`Content-Length: ${VALID.length - 10}\r\n`) + VALID),
    raw('content-length zero with body', head('Content-Length: 0\r\n') + VALID),
    raw('negative content-length', head('Content-Length: -1\r\n') + VALID),
    raw('non-numeric content-length', head('Content-Length: abc\r\n') + VALID),
    raw('two different content-lengths', head(`Content-Length: ${VALID.length}\r\nContent-Length: 5\r\n`) + VALID),
    raw('huge content-length', head('Content-Length: 99999999999999999999\r\n') + VALID),
    raw('content-length 2 GB, 1 KB sent (half-closed)', head('Content-Length: 2147483648\r\n') + VALID, true),
    raw('content-length and chunked', head(`Content-Length: ${VALID.length}\r\nTransfer-Encoding: chunked\r\n`) + `${VALID.length.toString(16)}\r\n${VALID}\r\n0\r\n\r\n`),
    raw('bad chunk size', head('Transfer-Encoding: chunked\r\n') + `zz\r\n${VALID}\r\n0\r\n\r\n`),
    raw('chunk size too long', head('Transfer-Encoding: chunked\r\n') + `ffff\r\n${VALID}\r\n0\r\n\r\n`, true),
    raw('chunked without terminator (half-closed)', head('Transfer-Encoding: chunked\r\n') + `${VALID.length.toString(16)}\r\n${VALID}\r\n`, true),
    raw('transfer-encoding gzip, chunked', head('Transfer-Encoding: gzip, chunked\r\n') + `5\r\nhello\r\n0\r\n\r\n`),
    raw('transfer-encoding unknown', head('Transfer-Encoding: foo\r\n') + VALID),
    raw('header without colon', head('X-Broken\r\n') + VALID),
    raw('header with NUL', head('X-Nul: a\u0000b\r\n') + VALID),
    raw('obsolete line folding', head('X-Folded: a\r\n b\r\n') + VALID),
    raw('space before colon', head('Content-Length : 5\r\n') + VALID),
    raw('bare LF line endings', `POST /graphql HTTP/1.1\nHost: x\nConnection: close\nContent-Type: application/json\nContent-Length: ${VALID.length}\n\n${VALID}`),
    raw('HTTP/0.9 request line', 'GET /graphql\r\n\r\n'),
    raw('HTTP/2 preface on HTTP/1.1 port', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    raw('unknown HTTP version', `POST /graphql HTTP/7.3\r\nHost: x\r\nConnection: close\r\nContent-Length: ${VALID.length}\r\n\r\n${VALID}`),
    raw('request line garbage', `${randomBytes(rng, 40).toString('latin1').replace(/[\r\n]/g, 'x')}\r\n\r\n`),
    raw('header 40 KB', head(`X-Big: ${'a'.repeat(40 * 1024)}\r\nContent-Length: ${VALID.length}\r\n`) + VALID),
    raw('header 100 KB', head(`X-Big: ${'a'.repeat(100 * 1024)}\r\nContent-Length: ${VALID.length}\r\n`) + VALID),
    raw('2,000 headers', head(`${Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${i}`).join('\r\n')}\r\nContent-Length: ${VALID.length}\r\n`) + VALID),
    raw('expect 100-continue', head(`Expect: 100-continue\r\nContent-Length: ${VALID.length}\r\n`) + VALID),
    raw('expect unknown', head(`Expect: 417-please\r\nContent-Length: ${VALID.length}\r\n`) + VALID),
    raw('upgrade to websocket', `GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`),
    raw('upgrade h2c', `GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`),
  ];
  for (let i = 0; i < 10; i++) {
    const lie = rng.between(1, 5000);
    out.push(raw(`random content-length lie (${lie}, half-closed)`, head(`Content-Length: ${lie}\r\n`) + VALID.slice(0, rng.int(VALID.length)), true));
  }
  return out;
}

export const httpBodyGenerator = (ctx: FuzzContext): FuzzCase[] => [
  ...malformedJson(ctx), ...contentTypes(), ...encodings(ctx), ...sizes(), ...framing(ctx),
];
