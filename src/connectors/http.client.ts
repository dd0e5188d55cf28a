import { backoffDelay, sleep } from './backoff.util';

export interface HttpClientOptions {
  /** Time limit of one attempt, response body included. */
  timeoutMs: number;
  /** Attempts after the first one, on transient failures only. */
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_HTTP: HttpClientOptions = { timeoutMs: 30_000, retries: 4, retryBaseMs: 500, retryMaxMs: 15_000 };

/** A failure worth another attempt: time-out, reset connection, 5xx, a malformed or inconsistent body. */
export class TransientError extends Error {}

/** The request failed for good (after its retries, or at once for a permanent error such as 404). */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
  ) {
    super(message);
  }
}

export interface RequestSpec {
  method?: 'GET' | 'POST';
  /** Evaluated per attempt, so a refreshed token is used on the retry. */
  headers?: () => Record<string, string>;
  body?: string;
  /** What the request is, for error messages ("dossier page 3"). */
  label: string;
  /** Called once on a 401 (token expired): the request is then retried at once. */
  reauthenticate?: () => Promise<void>;
}

export interface HttpStats {
  requests: number;
  retries: number;
  /** The transient failures seen, most recent last (at most 20). */
  faults: string[];
}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** The largest Content-Length a BodyBuffer takes on trust to size itself (a dossier page is about 2 MB). */
const PRESIZE_LIMIT = 64 << 20;

/**
 * A response body's bytes, kept in one buffer that is reused from response to response: the
 * caller that owns it reads a body before fetching the next one into it.
 *
 * Why (bench:sync): a dossier page is about 2 MB. Read with arrayBuffer(), each page was a new
 * buffer outside the JS heap that lived long enough (prefetched, then decoded) to be freed only by
 * a full collection, and V8 counts such memory toward the old generation's limit. Reused, the
 * pages do not pile up between full collections, which a sync makes rarer (src/server/heap-policy.ts,
 * what cut them). Measured alone, the buffers changed little: 46-48 full collections on 8
 * provinces against 61-70 with a new buffer per page (but 37-52 in other runs); on the national
 * sync with the heap policy, one run each, 242 MB peak RSS and 2.91 us of gateway CPU per dossier
 * against 248 MB and 3.06 us without them, within the spread of runs.
 */
export class BodyBuffer {
  private buf: Buffer;
  private size = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The body read last (shares memory with the buffer: valid until the next read into it). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.size);
  }

  /**
   * Reads a whole body into the buffer, replacing what it held; `expected` (the Content-Length,
   * 0 if none) sizes the buffer exactly, so two buffers per feed hold two pages, no more.
   */
  async readFrom(body: ReadableStream<Uint8Array> | null, expected = 0): Promise<Buffer> {
    this.size = 0;
    // Trusted only so far: a header claiming more makes the buffer grow as the bytes come.
    if (expected > this.buf.length && expected <= PRESIZE_LIMIT) this.buf = Buffer.allocUnsafe(expected);
    if (!body) return this.bytes;
    const reader = body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) this.append(r.value);
    return this.bytes;
  }

  private append(chunk: Uint8Array): void {
    const end = this.size + chunk.length;
    if (end > this.buf.length) {
      // Grown by doubling, kept: a feed's pages are alike in size, so this happens on the first ones only.
      const next = Buffer.allocUnsafe(Math.max(end, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.size);
      this.buf = next;
    }
    this.buf.set(chunk, this.size);
    this.size = end;
  }
}

/**
 * The connectors' HTTP client (Node's fetch, keep-alive): a time limit per attempt, and retries
 * with exponential backoff on transient failures. Bodies are read in full inside the attempt, so
 * a connection that dies mid-body, or a body that does not parse or fails the caller's check
 * (a truncated CSV, a page served twice), is fetched again.
 */
export class HttpClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, faults: [] };

  constructor(private readonly opts: HttpClientOptions = DEFAULT_HTTP) {}

  /**
   * Fetches and returns `read(body, response)`; `read` throws TransientError to have the request
   * repeated. Given `into`, the body is read into that buffer (see BodyBuffer), and `body` is a view of it.
   */
  async fetch<T>(url: string, spec: RequestSpec, read: (body: Buffer, res: Response) => T, into?: BodyBuffer): Promise<T> {
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      this.stats.requests += 1;
      let retryAfterMs = 0;
      let failure: string;
      let status: number | undefined;
      try {
        const res = await fetch(url, {
          method: spec.method ?? 'GET',
          headers: spec.headers?.(),
          body: spec.body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        status = res.status;
        const body = into ? await into.readFrom(res.body, Number(res.headers.get('content-length')) || 0) : Buffer.from(await res.arrayBuffer());
        if (res.ok) return read(body, res);
        const excerpt = body.toString('utf8', 0, Math.min(body.length, 300)).replace(/\s+/g, ' ').trim();
        failure = `HTTP ${res.status}${excerpt ? `: ${excerpt}` : ''}`;
        if (res.status === 401 && spec.reauthenticate && !reauthenticated) {
          reauthenticated = true;
          await spec.reauthenticate();
          attempt -= 1;
          continue;
        }
        if (!RETRY_STATUS.has(res.status)) throw new HttpError(`${spec.label}: ${failure}`, res.status, attempt);
        retryAfterMs = Number(res.headers.get('retry-after')) * 1000 || 0;
      } catch (e) {
        if (e instanceof HttpError) throw e;
        if (!isTransient(e)) throw e;
        failure = describe(e, this.opts.timeoutMs);
      }
      // Checks by the caller may already name the request.
      const what = failure.startsWith(`${spec.label}: `) ? failure : `${spec.label}: ${failure}`;
      this.stats.faults.push(what);
      if (this.stats.faults.length > 20) this.stats.faults.shift();
      if (attempt > this.opts.retries) {
        throw new HttpError(`${what} (gave up after ${attempt} attempts)`, status, attempt);
      }
      this.stats.retries += 1;
      await sleep(Math.min(this.opts.retryMaxMs, Math.max(retryAfterMs, backoffDelay(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs))));
    }
  }

  /**
   * Runs `attempt` until it does not throw a TransientError, with the same backoff and limit as
   * requests: for checks made after the body arrived (e.g. parsing a prefetched page later).
   */
  async retry<T>(label: string, attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt(n);
      } catch (e) {
        if (!(e instanceof TransientError)) throw e;
        const what = e.message.startsWith(`${label}: `) ? e.message : `${label}: ${e.message}`;
        this.stats.faults.push(what);
        if (this.stats.faults.length > 20) this.stats.faults.shift();
        if (n > this.opts.retries) throw new HttpError(`${what} (gave up after ${n} attempts)`, undefined, n);
        this.stats.retries += 1;
        await sleep(backoffDelay(n, this.opts.retryBaseMs, this.opts.retryMaxMs));
      }
    }
  }

  /** A JSON body; one that does not parse (cut short, an HTML error page) is fetched again. */
  json<T>(url: string, spec: RequestSpec, check?: (body: T) => void): Promise<T> {
    return this.fetch(url, spec, (body) => {
      let parsed: T;
      try {
        parsed = JSON.parse(body.toString('utf8')) as T;
      } catch (e) {
        throw new TransientError(`malformed JSON (${body.length} bytes): ${(e as Error).message}`);
      }
      check?.(parsed);
      return parsed;
    });
  }
}

function isTransient(e: unknown): boolean {
  if (e instanceof TransientError) return true;
  const name = (e as { name?: string }).name;
  // AbortSignal.timeout → TimeoutError; fetch's network failures are TypeErrors ("fetch failed", "terminated").
  // By name, not instanceof: fetch's errors may come from another realm (e.g. a test sandbox).
  return name === 'TimeoutError' || name === 'AbortError' || name === 'TypeError';
}

function describe(e: unknown, timeoutMs: number): string {
  if (e instanceof TransientError) return e.message;
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no complete answer within ${timeoutMs} ms`;
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : String(err.message ?? e);
}
