import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Span } from '@opentelemetry/api';
import express from 'express';
import { getOperationAST } from 'graphql';
import type { Logger } from 'pino';
import { identityOf } from '../server/caller.middleware';
import type { GatewayContext } from '../server/context';
import type { CacheOutcome, Metrics, OperationType, Route } from './metrics';
import { loggableName } from './operation-names';
import type { Tracing } from './tracing';

/** What is known of one HTTP request as it goes through the gateway: read once it is answered (access log, metrics, span). */
export interface ObservedRequest {
  id: string;
  started: bigint;
  /** The operation, once Apollo resolved it (or a front-cache hit replayed it). */
  operation?: { name?: string; type: OperationType };
  cache?: CacheOutcome;
  /** Distinct error codes of the answer (GraphQL errors, and refusals outside Apollo). */
  errors: Set<string>;
  /** Answered by the compiled reads' lane (src/server/compiled-reads.ts) rather than Apollo: `lane: true` in the access log. */
  lane?: boolean;
  /** The request's span, and the innermost span open now (statements hang under it); with tracing only. */
  httpSpan?: Span;
  span?: Span;
}

const LOCALS_KEY = 'observed';

/** The request's record, or undefined outside an observed app (a bare router in a test). */
export function observedOf(res: express.Response): ObservedRequest | undefined {
  return res.locals[LOCALS_KEY] as ObservedRequest | undefined;
}

/** For refusals answered outside Apollo (error.middleware.ts sendJsonError): the code, for the access log and errors_total. */
export function noteError(res: express.Response, code: string): void {
  observedOf(res)?.errors.add(code);
}

/** What the response cache did (src/cache/: the 304 and the front cache; Apollo's layers are read from x-cache). */
export function noteCache(res: express.Response, cache: CacheOutcome, operation?: ObservedRequest['operation']): void {
  const o = observedOf(res);
  if (!o) return;
  o.cache = cache;
  if (operation) o.operation = operation;
}

/**
 * An incoming X-Request-Id is kept when it is sane: 1 to 128 characters of letters, digits and
 * `._:/+=-` (UUIDs, ULIDs, nginx's $request_id, base64 ids). Anything else (spaces, quotes,
 * control characters, a megabyte) is replaced by a fresh id: it goes in logs and a header.
 */
const SANE_ID = /^[\w.:/+=-]{1,128}$/;

export function acceptedRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && SANE_ID.test(header) ? header : undefined;
}

/**
 * The request's path: the URL up to its query string, or for anything but an origin-form URL
 * (`http://host/path`, `*`) Express's req.path (parseurl, whose parse was 0.4% of a lookup's CPU).
 */
function pathOf(req: express.Request): string {
  const url = req.url;
  if (url.charCodeAt(0) !== 47 /* / */) return req.path;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The fixed list of routes a path is counted under (metrics labels never hold raw paths). */
export function routeOf(path: string): Route {
  if (path === '/graphql' || path === '/graphql/') return '/graphql';
  if (path.startsWith('/export')) return '/export';
  if (path === '/health') return '/health';
  if (path === '/metrics') return '/metrics';
  if (path === '/' || path === '/index.html' || path.startsWith('/graphiql') || path.startsWith('/assets/')) return '/';
  return 'other';
}

const X_CACHE: Record<string, CacheOutcome> = { HIT: 'hit', MISS: 'miss', COALESCED: 'coalesced' };

export interface RequestObserverOptions {
  logger: Logger;
  metrics?: Metrics;
  tracing?: Tracing;
  /** One log line per request (ACCESS_LOG). */
  accessLog: boolean;
}

/**
 * Request ids, the access log, the request metrics and the request and operation spans, for one
 * HTTP app. The request's record lives on res.locals and, for code that has no `res` (Apollo's
 * formatError, SQL statements), in an AsyncLocalStorage owned by this object, not a module.
 *
 * The AsyncLocalStorage is entered only with tracing, where a statement needs the span open in
 * its request. Entered once, Node 20 runs a JavaScript hook at the creation of every promise of the
 * process, for good: no other code of the gateway's read path enters one. Without tracing, Apollo's
 * plugin finds the record in the context, and an internal error's log line its request id by the
 * error (requestIdOf).
 */
export class RequestObserver {
  private readonly scope = new AsyncLocalStorage<ObservedRequest>();
  /** Whether requests run inside the scope (with tracing only). */
  private readonly scoped: boolean;
  /** The request id of each error an operation met, for formatError's log line (Apollo hands it the error, not the request). */
  private readonly errorRequests = new WeakMap<object, string>();

  constructor(private readonly opts: RequestObserverOptions) {
    this.scoped = !!opts.tracing;
  }

  /** The record of the request whose code is running now (with tracing; undefined otherwise). */
  current(): ObservedRequest | undefined {
    return this.scoped ? this.scope.getStore() : undefined;
  }

  /** The id of the request an error of an operation belongs to (for the 'request failed' log line). */
  requestIdOf(error: unknown): string | undefined {
    return (error !== null && typeof error === 'object' ? this.errorRequests.get(error) : undefined) ?? this.current()?.id;
  }

  /** First in the chain: the request id (echoed in X-Request-Id), the clock, the span; the rest once the answer is sent. */
  middleware(): express.RequestHandler {
    return (req, res, next) => {
      const id = acceptedRequestId(req.headers['x-request-id']) ?? crypto.randomUUID();
      res.setHeader('x-request-id', id);
      // Read now: a mounted router (app.use('/graphql', ...)) strips its prefix from req.path while it runs.
      const path = pathOf(req);
      const route = routeOf(path);
      const observed: ObservedRequest = { id, started: process.hrtime.bigint(), errors: new Set() };
      observed.httpSpan = observed.span = this.opts.tracing?.startHttp(req.method, route, path.slice(0, 200));
      res.locals[LOCALS_KEY] = observed;
      // 'close' comes once the answer is sent, and also when the client went away first.
      res.once('close', () => this.answered(req, res, observed, route, path));
      if (this.scoped) this.scope.run(observed, next);
      else next();
    };
  }

  /**
   * Back into the request's scope: a middleware that called next() from a stream event (reading
   * the body) left it, since events run in the socket's context. Placed just before Apollo.
   */
  reenter(): express.RequestHandler {
    return (_req, res, next) => {
      const observed = observedOf(res);
      if (!this.scoped || !observed || this.scope.getStore() === observed) return next();
      this.scope.run(observed, next);
    };
  }

  /**
   * The operation is resolved: its name and type on the record and, with tracing, its span opened
   * under the request's (statements then hang under it). Apollo's plugin below and the compiled
   * reads' lane (src/server/compiled-reads.ts) both report through here and operationEnded.
   */
  operationResolved(observed: ObservedRequest, type: OperationType, name: string | undefined): Span | undefined {
    observed.operation = { name, type };
    const tracing = this.opts.tracing;
    if (!tracing || !observed.httpSpan) return undefined;
    return (observed.span = tracing.startOperation(observed.httpSpan, type, loggableName(name)));
  }

  /** The operation answered: its errors' codes on the record, and its span (if any) ended. */
  operationEnded(observed: ObservedRequest, span: Span | undefined, codes: Set<string>): void {
    for (const c of codes) observed.errors.add(c);
    if (!span) return;
    this.opts.tracing!.endOperation(span, [...codes]);
    observed.span = observed.httpSpan;
  }

  /** The operation's name and type once resolved, its errors' codes, and its span. */
  plugin(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: async (rc) => {
        const observed = rc.contextValue.http?.observed ?? this.current();
        if (!observed) return;
        let span: Span | undefined;
        return {
          didEncounterErrors: async ({ errors }) => {
            for (const e of errors) this.errorRequests.set(e, observed.id);
          },
          didResolveOperation: async (rc) => {
            // Called without an operation when operationName names none in the document (OPERATION_RESOLUTION_FAILURE).
            if (!rc.operation) return;
            span = this.operationResolved(observed, rc.operation.operation, rc.operationName ?? undefined);
          },
          willSendResponse: async (rc) => {
            // Refused in validation (no operation resolved): the name and type the document says, if it parsed.
            const ast = !observed.operation && rc.document ? getOperationAST(rc.document, rc.request.operationName) : undefined;
            if (ast) observed.operation = { name: ast.name?.value, type: ast.operation };
            const body = rc.response.body;
            const codes = new Set<string>();
            if (body.kind === 'single') for (const e of body.singleResult.errors ?? []) codes.add(typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR');
            this.operationEnded(observed, span, codes);
          },
        };
      },
    };
  }

  private answered(req: express.Request, res: express.Response, o: ObservedRequest, route: Route, path: string): void {
    const seconds = Number(process.hrtime.bigint() - o.started) / 1e9;
    const status = res.statusCode;
    const aborted = !res.writableFinished;
    const graphql = route === '/graphql';
    const xCache = res.getHeader('x-cache');
    const cache = o.cache ?? (typeof xCache === 'string' ? X_CACHE[xCache] : undefined);
    // Refused before Apollo (rate limit, bad key, too large): the name the client asked for, type unknown.
    const requested = graphql && !o.operation ? requestedOperationName(req) : undefined;
    const name = o.operation?.name ?? requested;
    const { metrics, tracing } = this.opts;
    if (metrics) {
      metrics.httpRequest(route, status);
      metrics.errors(o.errors);
      if (graphql) metrics.operation(name, o.operation?.type ?? 'unknown', status < 400 && o.errors.size === 0 && !aborted ? 'ok' : 'error', seconds);
      if (cache) metrics.cache(cache);
    }
    if (o.httpSpan) tracing?.endHttp(o.httpSpan, status);
    // The line is built only when it is written (LOG_LEVEL above info writes none).
    if (!this.opts.accessLog || !this.opts.logger.isLevelEnabled('info')) return;
    const identity = identityOf(res);
    const length = Number(res.getHeader('content-length'));
    // Never the query, variables, body or headers (an Authorization value is a secret): the key's name only.
    this.opts.logger.info({
      requestId: o.id,
      method: req.method,
      path: loggableName(path) ?? '',
      ...(name !== undefined ? { operation: loggableName(name) } : {}),
      ...(o.operation ? { type: o.operation.type } : {}),
      status,
      ms: Math.round(seconds * 10_000) / 10,
      bytes: Number.isFinite(length) ? length : 0,
      key: identity.kind === 'key' ? identity.caller.name : identity.kind === 'invalid' ? '(invalid)' : null,
      ...(cache ? { cache } : {}),
      ...(o.lane ? { lane: true } : {}),
      ...(o.errors.size > 0 ? { errors: [...o.errors] } : {}),
      ...(aborted ? { aborted: true } : {}),
    }, 'request');
  }
}

/** The operationName a request carried (POST body, once read, or GET parameter), if a string. */
function requestedOperationName(req: express.Request): string | undefined {
  const fromBody = (req.body as { operationName?: unknown } | undefined)?.operationName;
  if (typeof fromBody === 'string') return fromBody;
  const fromUrl = req.query?.operationName;
  return typeof fromUrl === 'string' ? fromUrl : undefined;
}
