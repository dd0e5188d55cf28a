import http from 'node:http';
import { AddressInfo } from 'node:net';
import { BodyBuffer, HttpClient } from '../../src/connectors/http.client';

/**
 * The connectors' HTTP client reading bodies into reused buffers (BodyBuffer): a real server on
 * loopback, bodies with and without Content-Length, a body cut short.
 */
describe('HTTP client: bodies read into a reused buffer', () => {
  let server: http.Server;
  let base: string;
  /** Deterministic bytes of a given length, different per seed. */
  const bytesOf = (length: number, seed: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed * 7) & 0xff));

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = bytesOf(Number(url.searchParams.get('n')), Number(url.searchParams.get('seed') ?? 1));
      if (url.pathname === '/chunked') {
        // No Content-Length: sent in 64 KiB writes, the buffer grows as they come.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let at = 0; at < body.length; at += 65536) res.write(body.subarray(at, at + 65536));
        res.end();
      } else if (url.pathname === '/short') {
        // Promises more than it sends, then drops the connection.
        res.writeHead(200, { 'content-length': String(body.length + 1000) });
        res.write(body, () => res.destroy());
      } else {
        res.writeHead(200, { 'content-length': String(body.length) });
        res.end(body);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => {
    // The client keeps its connections alive: closed here, so the server stops at once.
    server.closeAllConnections();
    server.close(() => resolve());
  }));

  const client = new HttpClient({ timeoutMs: 5000, retries: 0, retryBaseMs: 1, retryMaxMs: 1 });
  const get = (path: string, into: BodyBuffer) => client.fetch(`${base}${path}`, { label: path }, (body) => Buffer.from(body), into);

  it('reads bodies with and without Content-Length, larger then smaller, byte for byte', async () => {
    const into = new BodyBuffer(1024);
    expect((await get('/sized?n=3000000&seed=1', into)).equals(bytesOf(3_000_000, 1))).toBe(true);
    expect((await get('/chunked?n=1234567&seed=2', into)).equals(bytesOf(1_234_567, 2))).toBe(true);
    // A smaller body after a larger one: only its own bytes, none left over from the last.
    expect((await get('/sized?n=10&seed=3', into)).equals(bytesOf(10, 3))).toBe(true);
    expect(into.bytes.length).toBe(10);
    expect((await get('/sized?n=0', into)).length).toBe(0);
  });

  it('keeps a body intact in its buffer while the next is read into another (a prefetched page)', async () => {
    const [a, b] = [new BodyBuffer(), new BodyBuffer()];
    const first = await client.fetch(`${base}/sized?n=500000&seed=4`, { label: 'first' }, (body) => body, a);
    const second = client.fetch(`${base}/chunked?n=700000&seed=5`, { label: 'second' }, (body) => body, b);
    expect(first.equals(bytesOf(500_000, 4))).toBe(true);
    expect((await second).equals(bytesOf(700_000, 5))).toBe(true);
    expect(a.bytes.equals(bytesOf(500_000, 4))).toBe(true);
  });

  it('fails a body cut short (a transient failure: retried, then reported), never returning part of it', async () => {
    const into = new BodyBuffer();
    const once = new HttpClient({ timeoutMs: 5000, retries: 1, retryBaseMs: 1, retryMaxMs: 1 });
    const read = jest.fn((body: Buffer) => body.length);
    await expect(once.fetch(`${base}/short?n=200000`, { label: 'short page' }, read, into)).rejects.toThrow(/^short page: .*\(gave up after 2 attempts\)$/);
    expect(once.stats.retries).toBe(1);
    expect(read).not.toHaveBeenCalled();
  });
});
