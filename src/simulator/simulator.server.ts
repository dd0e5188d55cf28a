import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { agenciesRoute, dvcqgUnauthorized, evaluationRoute, index766Route, plansRoute, proceduresRoute, publishedReportRoute } from './dvcqg.routes';
import { exportRoute } from './export.routes';
import { FaultController, parseFaultSpec, type FaultSpec, type FaultState } from './fault.controller';
import { jsonResponse, textResponse, type RouteHandler, type SimContext, type SimRequest, type SimResponse, type SimulatorConfig } from './http.util';
import { dossiersRoute, igateUnauthorized, tokenRoute } from './igate.routes';
import type { DossierRecord } from './dossier.generator';
import { CORRECTION_KINDS, type CorrectionKind, type DossierCorrection, type SimulatedWorld } from './world.model';

/**
 * The HTTP server: node:http, no framework, so the simulator controls every byte (content-length
 * of truncated bodies, hanging and reset connections) and can destroy all sockets on close.
 */

type Family = 'dvcqg' | 'igate' | 'export';

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly family: Family;
  readonly handler: RouteHandler;
}

const ROUTES: readonly Route[] = [
  { method: 'POST', pattern: /^\/dvcqg\/api\/v1\/reporting\/evaluation\/([A-Za-z0-9_-]+)$/, family: 'dvcqg', handler: evaluationRoute },
  { method: 'POST', pattern: /^\/dvcqg\/api\/v1\/reporting\/published-report$/, family: 'dvcqg', handler: publishedReportRoute },
  { method: 'POST', pattern: /^\/dvcqg\/api\/v1\/reporting\/index766$/, family: 'dvcqg', handler: index766Route },
  { method: 'GET', pattern: /^\/dvcqg\/api\/v1\/catalogue\/procedures$/, family: 'dvcqg', handler: proceduresRoute },
  { method: 'GET', pattern: /^\/dvcqg\/api\/v1\/catalogue\/plans$/, family: 'dvcqg', handler: plansRoute },
  { method: 'GET', pattern: /^\/dvcqg\/api\/v1\/catalogue\/agencies$/, family: 'dvcqg', handler: agenciesRoute },
  { method: 'POST', pattern: /^\/igate\/(\d{2})\/oauth\/token$/, family: 'igate', handler: tokenRoute },
  { method: 'GET', pattern: /^\/igate\/(\d{2})\/api\/dossiers$/, family: 'igate', handler: dossiersRoute },
  { method: 'GET', pattern: /^\/export\/(\d{2})\/thong-ke\.csv$/, family: 'export', handler: exportRoute },
];

const MAX_BODY_BYTES = 1 << 20;

const NGINX_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

function errorResponse(family: Family, status: number, message: string): SimResponse {
  if (status === 502) return textResponse(502, NGINX_502, 'text/html');
  const headers: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {};
  let res: SimResponse;
  if (family === 'dvcqg') res = jsonResponse(status, { success: false, error: { code: `HTTP_${status}`, message } });
  else if (family === 'igate') res = jsonResponse(status, { error: 'server_error', error_description: message, status });
  else res = textResponse(status, `${message}\r\n`);
  return { ...res, headers: { ...res.headers, ...headers } };
}

/** A JSON body cut at 60%: never valid JSON, still a 200. */
export function truncateJson(body: Buffer): Buffer {
  return body.subarray(0, Math.min(body.length - 1, Math.max(1, Math.floor(body.length * 0.6))));
}

/**
 * A feed page with its middle record's `field` set to `value` (the rest byte for byte as parsed
 * and written again); a body without a record list is served unchanged.
 */
export function spoilRecord(body: Buffer, field: string, value: unknown): Buffer {
  const page = JSON.parse(body.toString('utf8')) as { content?: Record<string, unknown>[] };
  if (!Array.isArray(page.content) || page.content.length === 0) return body;
  page.content[Math.floor(page.content.length / 2)][field] = value;
  return Buffer.from(JSON.stringify(page), 'utf8');
}

/** A CSV body cut halfway through its middle data row. */
export function truncateCsv(body: Buffer): Buffer {
  const lineStarts: number[] = [0];
  for (let i = 0; i < body.length - 1; i++) if (body[i] === 0x0d && body[i + 1] === 0x0a) lineStarts.push(i + 2);
  if (lineStarts[lineStarts.length - 1] >= body.length) lineStarts.pop();
  if (lineStarts.length < 2) return truncateJson(body);
  const k = Math.max(1, Math.floor(lineStarts.length / 2));
  const start = lineStarts[k];
  const stop = k + 1 < lineStarts.length ? lineStarts[k + 1] - 2 : body.length - 2;
  return body.subarray(0, start + Math.max(1, Math.floor((stop - start) / 2)));
}

function correctionView(c: DossierCorrection): { provinceCode: string; maHoSo: string; kind: CorrectionKind; record: DossierRecord } {
  return { provinceCode: c.provinceCode, maHoSo: c.maHoSo, kind: c.kind, record: c.record };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(contentType: string | undefined, raw: string): { body: unknown; error: string | null } {
  if (raw.length === 0) return { body: undefined, error: null };
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return { body: Object.fromEntries(new URLSearchParams(raw)), error: null };
  try {
    return { body: JSON.parse(raw) as unknown, error: null };
  } catch {
    return { body: undefined, error: 'request body is not valid JSON' };
  }
}

export class SimulatorServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ctx: SimContext;
  /** Last request answered normally per path: what a repeat-page fault serves again. */
  private readonly lastRequests = new Map<string, SimRequest>();
  private closed = false;

  constructor(
    readonly world: SimulatedWorld,
    readonly faults: FaultController,
    config: SimulatorConfig,
  ) {
    this.ctx = { world, config, tokens: new Map(), nextTokenSerial: 1 };
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) this.send(res, jsonResponse(500, { error: 'simulator_error', message: String(err) }));
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops listening and destroys every connection, hanging ones included. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
  }

  private send(res: ServerResponse, r: SimResponse): void {
    if (res.destroyed) return;
    res.writeHead(r.status, { ...r.headers, 'content-length': String(r.body.length) });
    res.end(r.body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = req.url ?? '/';
    const parsedUrl = new URL(url, 'http://simulator');
    const { body, error } = parseBody(req.headers['content-type'], rawBody);
    const simReq: SimRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: parsedUrl.pathname,
      url,
      query: parsedUrl.searchParams,
      headers: req.headers,
      rawBody,
      body,
      bodyError: error,
    };
    if (simReq.path.startsWith('/__')) {
      this.send(res, this.control(simReq));
      return;
    }
    let route: Route | undefined;
    let params: string[] = [];
    let pathKnown = false;
    for (const r of ROUTES) {
      const m = r.pattern.exec(simReq.path);
      if (!m) continue;
      pathKnown = true;
      if (r.method !== simReq.method) continue;
      route = r;
      params = m.slice(1);
      break;
    }
    if (!route) {
      this.send(res, jsonResponse(pathKnown ? 405 : 404, { error: pathKnown ? 'method_not_allowed' : 'not_found', path: simReq.path }));
      return;
    }
    const fault = this.faults.match(simReq.method, simReq.path);
    this.dispatch(route, params, simReq, res, fault);
  }

  private run(route: Route, params: readonly string[], req: SimRequest): SimResponse {
    try {
      return route.handler(this.ctx, req, params);
    } catch (err: unknown) {
      return errorResponse(route.family, 500, `simulator error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private normal(route: Route, params: readonly string[], req: SimRequest): SimResponse {
    const response = this.run(route, params, req);
    if (response.status === 200) this.lastRequests.set(req.path, req);
    return response;
  }

  private dispatch(route: Route, params: readonly string[], req: SimRequest, res: ServerResponse, fault: FaultState | null): void {
    if (!fault) {
      this.send(res, this.normal(route, params, req));
      return;
    }
    const spec = fault.spec;
    switch (spec.kind) {
      case 'reset':
        res.socket?.destroy();
        return;
      case 'timeout': {
        // Never answering: the socket stays open until the client gives up or the server closes.
        if (spec.hangMs === undefined) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.send(res, this.normal(route, params, req));
        }, spec.hangMs);
        this.timers.add(timer);
        return;
      }
      case 'status':
        this.send(res, errorResponse(route.family, spec.status ?? 503, `simulated HTTP ${spec.status ?? 503}`));
        return;
      case 'unauthorized':
        this.send(res, route.family === 'dvcqg' ? dvcqgUnauthorized() : route.family === 'igate' ? igateUnauthorized() : textResponse(401, 'Unauthorized\r\n'));
        return;
      case 'malformed-json':
      case 'truncated-csv': {
        const r = this.normal(route, params, req);
        const cut = spec.kind === 'truncated-csv' ? truncateCsv(r.body) : truncateJson(r.body);
        this.send(res, { status: 200, headers: r.headers, body: cut });
        return;
      }
      case 'repeat-page': {
        const previous = this.lastRequests.get(req.path);
        // Replays the previous request; the "last request" stays that one.
        this.send(res, previous ? this.run(route, params, previous) : this.normal(route, params, req));
        return;
      }
      case 'correction': {
        const r = this.normal(route, params, req);
        this.send(res, r);
        this.correctFromPage(r, fault, spec);
        return;
      }
      case 'bad-value': {
        const r = this.normal(route, params, req);
        this.send(res, r.status === 200 ? { status: 200, headers: r.headers, body: spoilRecord(r.body, spec.field as string, spec.value) } : r);
        return;
      }
    }
  }

  /** Corrects one resolved dossier of a served page (the middle one, or the next resolved after it). */
  private correctFromPage(r: SimResponse, fault: FaultState, spec: FaultSpec): void {
    const served = r.servedDossiers;
    const n = served?.count ?? 0;
    const start = Math.floor(n / 2);
    for (let k = 0; k < n && served; k++) {
      const d = served.at((start + k) % n);
      if (d.TrangThaiHoSo === 4 && this.world.dossier(d.MaHoSo)?.TrangThaiHoSo === 4) {
        this.world.correctDossier(d.MaHoSo, spec.correctionKind);
        return;
      }
    }
    this.faults.rearm(fault);
  }

  /** Control endpoints (never subject to faults). */
  private control(req: SimRequest): SimResponse {
    const { method, path } = req;
    try {
      if (path === '/__health' && method === 'GET') return jsonResponse(200, { ok: true, seed: this.world.seed, scale: this.world.scale.name, ...this.world.clock() });
      if (path === '/__faults') {
        if (method === 'GET') return jsonResponse(200, { faults: this.faults.list(), hits: this.faults.hits() });
        if (method === 'DELETE') {
          this.faults.clear();
          return jsonResponse(200, { faults: [] });
        }
        if (method === 'POST') {
          if (req.bodyError) return jsonResponse(400, { error: req.bodyError });
          const specs = (Array.isArray(req.body) ? req.body : [req.body]).map((s) => parseFaultSpec(s));
          return jsonResponse(201, { ids: this.faults.add(specs), faults: this.faults.list() });
        }
      }
      const byId = /^\/__faults\/(\d+)$/.exec(path);
      if (byId && method === 'DELETE') return jsonResponse(this.faults.remove(Number(byId[1])) ? 200 : 404, { faults: this.faults.list() });
      if (path === '/__clock') {
        if (method === 'GET') return jsonResponse(200, this.world.clock());
        if (method === 'POST') {
          const months = (req.body as { advanceMonths?: unknown } | undefined)?.advanceMonths ?? 1;
          if (typeof months !== 'number') return jsonResponse(400, { error: 'advanceMonths must be a number' });
          this.world.advance(months);
          return jsonResponse(200, this.world.clock());
        }
      }
      if (path === '/__corrections') {
        if (method === 'GET') return jsonResponse(200, { corrections: this.world.allCorrections().map(correctionView) });
        if (method === 'POST') {
          const b = (req.body ?? {}) as { maHoSo?: unknown; kind?: unknown };
          if (typeof b.maHoSo !== 'string') return jsonResponse(400, { error: 'maHoSo is required' });
          if (b.kind !== undefined && !CORRECTION_KINDS.includes(b.kind as CorrectionKind)) {
            return jsonResponse(400, { error: `kind must be one of ${CORRECTION_KINDS.join(', ')}` });
          }
          return jsonResponse(201, correctionView(this.world.correctDossier(b.maHoSo, b.kind as CorrectionKind | undefined)));
        }
      }
      return jsonResponse(404, { error: 'not_found', path });
    } catch (err: unknown) {
      return jsonResponse(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
