import net from 'node:net';

/**
 * A raw HTTP/1.1 exchange over a socket, for requests no well-behaved client would send (lying
 * Content-Length, duplicate or broken framing headers, garbage bytes). One request per
 * connection (`Connection: close` unless the case sets its own), bounded in time and size.
 */
export interface RawRequest {
  method: string;
  path: string;
  /** Sent as given, in order (duplicates allowed). Host and Connection are added unless present. */
  headers: [string, string][];
  body?: Buffer | string;
  /** Whole request bytes, sent as they are (head, headers and body ignored). */
  raw?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type RawOutcome = { kind: 'response'; response: RawResponse } | { kind: 'no-response'; reason: string };

/** Largest response kept (a body beyond this is cut: leaks show in the first bytes). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function encodeRequest(req: RawRequest, port: number): Buffer {
  if (req.raw !== undefined) return Buffer.isBuffer(req.raw) ? req.raw : Buffer.from(req.raw, 'latin1');
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const names = new Set(req.headers.map(([n]) => n.toLowerCase()));
  const lines = [`${req.method} ${req.path} HTTP/1.1`];
  if (!names.has('host')) lines.push(`Host: 127.0.0.1:${port}`);
  if (!names.has('connection')) lines.push('Connection: close');
  for (const [n, v] of req.headers) lines.push(`${n}: ${v}`);
  // Content-Length from the body unless the case frames it itself (a lie, or chunked).
  if (!names.has('content-length') && !names.has('transfer-encoding') && body.length > 0) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Decodes a chunked body; returns what could be decoded if the framing is broken. */
function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (let guard = 0; guard < 100_000 && i < data.length; guard++) {
    const eol = data.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(data.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Parses the first response of `data` (status line, headers, body by Content-Length, chunks or close). */
export function parseResponse(data: Buffer): RawResponse | undefined {
  // Interim 1xx answers (100 Continue) come before the real one.
  for (let guard = 0; guard < 10 && /^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1')); guard++) {
    const interim = data.indexOf('\r\n\r\n');
    if (interim < 0) return undefined;
    data = data.subarray(interim + 4);
  }
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = data.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(m[1]), headers, body: body.toString('utf8') };
}

/**
 * Sends one request and reads until the server closes, the response is complete, or `timeoutMs`.
 * `halfClose` ends our side after writing (the server then sees the body end early).
 */
export function exchange(port: number, req: RawRequest, timeoutMs: number, halfClose = false): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (reason?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = size > 0 ? parseResponse(Buffer.concat(chunks)) : undefined;
      resolve(parsed ? { kind: 'response', response: parsed } : { kind: 'no-response', reason: reason ?? (size > 0 ? 'unparseable response' : 'closed without a response') });
    };
    const timer = setTimeout(() => finish(`no complete response within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => {
      socket.write(encodeRequest(req, port), () => {
        if (halfClose) socket.end();
      });
    });
    socket.on('data', (d: Buffer) => {
      if (size < MAX_RESPONSE_BYTES) chunks.push(d);
      size += d.length;
      const parsed = parseResponse(Buffer.concat(chunks));
      // Complete once the declared length (or the final chunk) has arrived.
      if (parsed && parsed.headers['content-length'] !== undefined && Buffer.byteLength(parsed.body) >= Number(parsed.headers['content-length'])) finish();
    });
    socket.on('end', () => finish());
    // EPIPE/ECONNRESET while we still write (the server answered early, e.g. 413, and closed):
    // what it sent may already be buffered, so let 'close' settle with it.
    let socketError: string | undefined;
    socket.on('error', (e) => {
      socketError = `socket error: ${(e as NodeJS.ErrnoException).code ?? e.message}`;
    });
    socket.on('close', () => finish(socketError));
  });
}
