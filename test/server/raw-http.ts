import http from 'node:http';
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Whether the server answered 100 Continue first. */
  continued: boolean;
  json(): any;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** Sent whole (with its Content-Length unless headers say otherwise). */
  body?: string | Buffer;
  /** Sent chunk by chunk (Transfer-Encoding: chunked) until the response arrives or they run out. */
  chunks?: Iterable<Buffer>;
  /** Send the headers and nothing else: the server must answer without the body. */
  headersOnly?: boolean;
  /** With `Expect: 100-continue`: send the body only when the server says 100 Continue. */
  awaitContinue?: boolean;
}

/** One request with node:http, for what fetch will not send (wrong Content-Length, chunked bodies, raw bytes). */
export function rawRequest(url: string, r: RawRequest): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: r.path ?? u.pathname + u.search, method: r.method ?? 'POST', headers: r.headers, agent: false });
    let continued = false;
    req.on('continue', () => {
      continued = true;
      if (r.awaitContinue && !r.headersOnly) req.end(r.body);
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, continued, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    // The server may close the connection while we are still sending: the response is what counts.
    req.on('error', (e) => (req.destroyed && (e as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(e)));
    if (r.headersOnly || r.awaitContinue) {
      req.flushHeaders();
      return;
    }
    if (r.chunks) {
      const it = r.chunks[Symbol.iterator]();
      let answered = false;
      req.on('response', () => (answered = true));
      const pump = () => {
        if (answered || req.destroyed) return;
        const next = it.next();
        if (next.done) return void req.end();
        if (req.write(next.value)) setImmediate(pump);
        else req.once('drain', pump);
      };
      pump();
      return;
    }
    req.end(r.body);
  });
}

/** Bytes written straight to a socket: for requests Node's HTTP parser itself refuses. */
export function rawSocket(url: string, request: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => socket.write(request));
    const parts: Buffer[] = [];
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    socket.on('error', reject);
  });
}
