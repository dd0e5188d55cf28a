import type { ApolloServerPlugin } from '@apollo/server';
import express from 'express';
import { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { CompiledQuery } from 'graphql-jit';
import { cacheableMaxAge, staticPolicyOf } from '../cache/cache-hints';
import { DataStamp } from '../cache/data-version';
import { InFlightReads, readCacheHeaders, ReadLeader, SharedRead } from '../cache/response-cache';
import { BoundedCache, stringBytes } from '../common/bounded-cache';
import { GatewayConfig } from '../config/config';
import { observedOf, RequestObserver } from '../observability/request-observer';
import { bodyBytesOf } from './body-limit.middleware';
import { callerOf } from './caller.middleware';
import { Compiled, compiledFor } from './compiled-execution';
import { GatewayContext } from './context';
import { responseMediaType } from './error.middleware';
import { inputHygieneError, literalSteps, LiteralStep } from './input-hygiene.plugin';
import { checkOperation, measureOperation, OperationMeasure, QueryLimits } from './query-cost';

/**
 * The compiled reads' lane: a query whose document Apollo has already answered once without
 * errors is run again straight from here, without Apollo's per-request pipeline, on the same
 * rules. What Apollo did per request for a unit lookup (a SHA-256 of the text, its document and
 * validation caches, a request context and ten plugins' hooks, HeaderMap copies of the request's
 * and the answer's headers, the executor interface) is done once per document here, when the
 * document is certified; per request the lane looks the document up by its text and runs:
 *
 * - the same checks, through the same functions: the body limit for queries, cost, depth, aliases
 *   and introspection (query-cost.ts, measured once when no variable enters the measure), input
 *   hygiene on the variables (input-hygiene.plugin.ts);
 * - the compiled query (graphql-jit, as src/server/compiled-execution.ts runs Apollo's), with the
 *   context every request gets (contextFactory);
 * - identical reads in flight at once still run once (InFlightReads, shared with Apollo's plugin);
 * - the same headers (readCacheHeaders: x-cache, Cache-Control, the ETag) and the same body bytes
 *   as Apollo writes (`JSON.stringify({ data }) + '\n'`), sent with res.send so that the front
 *   cache keeps them as it keeps Apollo's;
 * - the request's record for the access log, metrics and tracing (RequestObserver).
 *
 * Whatever is not that passes on to Apollo, untouched: an uncertified document, a persisted
 * query (registered or asked for by its hash), a GET's extensions, variables or an Accept header Apollo would refuse, a check that fails
 * (Apollo then refuses it in its own words), and any answer with errors: a query only reads, so
 * Apollo running it again from the start is safe, and its errors keep their one formatter. The
 * lane thus only ever answers what Apollo would have answered, byte for byte
 * (test/server/compiled-reads.test.ts compares the two on the same requests).
 */

/** A certified document: what the per-request checks and the execution need, worked out once. */
interface ReadPlan {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The operation's name (Apollo's rc.operationName): the metrics' label and the coalescing key. */
  name: string | null;
  query: CompiledQuery;
  steps: readonly LiteralStep[];
  /** The measure when no variable enters it (else measured per request). */
  measure: OperationMeasure | undefined;
  /** The answer's cacheable max-age (cache-hints.ts), or undefined. */
  maxAge: number | undefined;
  textLength: number;
}

/** One request's GraphQL parameters, when the lane may take it. */
interface LaneRequest {
  text: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  /** The URL's query string, for a GET's ETag. */
  search: string;
}

/** Memory the certified documents may take (plans hold the parsed document and the compiled functions). */
const PLANS_BYTES = 16 * 1024 * 1024;

/** Estimated heap of a plan: as a compiled query (compiled-execution.ts, sizeOfCompiled; the plan keeps its function alive if that cache drops it), plus the document's AST. */
function sizeOfPlan(key: string, plan: ReadPlan | null): number {
  return stringBytes(key) + (plan ? 60 * plan.textLength + 16 * 1024 : 64);
}

const planKey = (text: string, operationName: string | null | undefined) => `${operationName ?? ''}\n${text}`;

/**
 * A GraphQL name: what an operation name must be. Any other operationName goes to Apollo (which
 * refuses it), and none holds the key's newline, so no (name, text) pair can pass for another.
 */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const laneOperationName = (name: string | null | undefined) => name === undefined || name === null || name === '' || NAME.test(name);

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Extensions the lane may ignore: none, or an object without a persisted query (Apollo registers or looks those up). */
const withoutPersistedQuery = (extensions: unknown) => extensions === undefined || (isPlainObject(extensions) && !('persistedQuery' in extensions));

/** A POST body or GET URL carrying a query text, no persisted query, and variables Apollo would take as an object. */
function laneRequestOf(req: express.Request): LaneRequest | undefined {
  if (req.method === 'POST') {
    const body = req.body as Record<string, unknown> | undefined;
    if (!isPlainObject(body) || typeof body.query !== 'string' || !withoutPersistedQuery(body.extensions)) return undefined;
    const { operationName, variables } = body;
    if (operationName !== undefined && operationName !== null && (typeof operationName !== 'string' || !laneOperationName(operationName))) return undefined;
    if (variables !== undefined && variables !== null && !isPlainObject(variables)) return undefined;
    return { text: body.query, operationName: operationName ?? undefined, variables: variables ?? {}, search: '' };
  }
  if (req.method !== 'GET' || req.headers['content-type'] !== undefined) return undefined;
  const at = req.url.indexOf('?');
  const search = at < 0 ? '' : req.url.slice(at);
  const params = new URLSearchParams(search);
  const texts = params.getAll('query');
  if (texts.length !== 1 || params.has('extensions') || params.getAll('operationName').length > 1 || params.getAll('variables').length > 1) return undefined;
  if (!laneOperationName(params.get('operationName'))) return undefined;
  let variables: Record<string, unknown> = {};
  const raw = params.get('variables');
  if (raw !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (parsed !== null && !isPlainObject(parsed)) return undefined;
    variables = parsed ?? {};
  }
  return { text: texts[0], operationName: params.get('operationName') ?? undefined, variables, search };
}

/** Whether the client reads one of the two GraphQL media types (Apollo answers 406 otherwise: its words). */
function acceptsGraphqlJson(req: express.Request): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept === '*/*' || accept === 'application/json' || accept === 'application/graphql-response+json') return true;
  return req.accepts(['application/json', 'application/graphql-response+json']) !== false;
}

export interface CompiledReadsOptions {
  schema: GraphQLSchema;
  config: GatewayConfig;
  /** The limits Apollo's queryCostPlugin applies (app.ts builds both from the config). */
  limits: QueryLimits;
  /** The compiled queries Apollo's executor keeps (compiled-execution.ts): a certified document's is taken from there. */
  compiled: BoundedCache<string, Compiled>;
  /** With the response cache: identical reads in flight, shared with Apollo's plugin (else every answer says `no-store`, as noResponseCachePlugins). */
  inFlight?: InFlightReads;
  observer: RequestObserver;
}

export class CompiledReads {
  private readonly plans = new BoundedCache<string, ReadPlan | null>(PLANS_BYTES, sizeOfPlan);

  constructor(private readonly opts: CompiledReadsOptions) {}

  /**
   * Apollo's side: a query answered without errors certifies its text and operation name for the
   * lane (it parsed, validated, resolved to a query, and passed every check once).
   */
  certifier(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: async () => ({
        willSendResponse: async (rc) => {
          const body = rc.response.body;
          if (rc.operation?.operation !== 'query' || !rc.source || !rc.document || !rc.request.http) return;
          if (body.kind !== 'single' || body.singleResult.errors) return;
          const key = planKey(rc.source, rc.request.operationName);
          if (this.plans.get(key) !== undefined) return;
          // Apollo's executor compiled it for this very request (compiled-execution.ts): the same function, not a second compilation.
          const query = compiledFor(this.opts.schema, this.opts.compiled, { queryHash: rc.queryHash, document: rc.document, source: rc.source, request: rc.request });
          this.plans.set(key, query && this.planFor(rc.source, rc.document, rc.operation, rc.operationName ?? null, query));
        },
      }),
    };
  }

  private planFor(text: string, document: DocumentNode, operation: OperationDefinitionNode, name: string | null, query: CompiledQuery): ReadPlan {
    const { schema, config } = this.opts;
    // Measured with no variables: if none entered the measure, it holds for any (query-cost.ts).
    const measure = measureOperation(schema, document, operation, {});
    return {
      document, operation, name, query,
      steps: literalSteps(schema, document, config),
      measure: measure.readsVariables ? undefined : measure,
      maxAge: cacheableMaxAge(staticPolicyOf(schema, document, operation), config.responseCacheMaxAgeSeconds),
      textLength: text.length,
    };
  }

  /** The lane, placed just before Apollo's middleware: answers a certified read, or passes it on. */
  middleware(context: (args: { req: express.Request; res: express.Response }) => Promise<GatewayContext>): express.RequestHandler {
    return (req, res, next) => {
      const request = laneRequestOf(req);
      const plan = request && this.plans.get(planKey(request.text, request.operationName));
      if (!request || !plan || !this.passes(plan, request, req, res)) return next();
      // Anything thrown before the answer went out (the context, the executor) is Apollo's to answer in its words.
      this.answer(plan, request, req, res, context).then((answered) => answered || next(), (e: unknown) => (res.headersSent ? next(e) : next()));
    };
  }

  /** The checks Apollo's plugins make before execution, by the same functions; a refusal is Apollo's to word. */
  private passes(plan: ReadPlan, request: LaneRequest, req: express.Request, res: express.Response): boolean {
    const { schema, limits, config } = this.opts;
    if (bodyBytesOf(res) > config.maxQueryBytes || !acceptsGraphqlJson(req)) return false;
    try {
      checkOperation(plan.measure ?? measureOperation(schema, plan.document, plan.operation, request.variables), limits, callerOf(res) !== undefined);
    } catch {
      return false;
    }
    return !inputHygieneError(schema, plan.document, plan.operation, request.variables, config, plan.steps);
  }

  /** Runs the plan and sends its answer; false (nothing sent) when Apollo should answer instead. */
  private async answer(
    plan: ReadPlan, request: LaneRequest, req: express.Request, res: express.Response,
    context: (args: { req: express.Request; res: express.Response }) => Promise<GatewayContext>,
  ): Promise<boolean> {
    const ctx = await context({ req, res });
    const publicRead = !ctx.caller;
    const stamp = publicRead && ctx.requestCache ? await ctx.requestCache.stamp() : undefined;
    let leader: ReadLeader | undefined;
    let xCache: string | undefined;
    let data: Record<string, unknown> | undefined;
    if (stamp && this.opts.inFlight) {
      const joined = this.opts.inFlight.join(InFlightReads.keyOf(request.text, plan.name, request.variables, stamp));
      if ('leader' in joined) leader = joined.leader;
      else {
        const shared = await joined.waitFor;
        if (shared) {
          data = shared.data;
          xCache = 'COALESCED';
        }
      }
    }
    const observed = observedOf(res);
    const span = observed ? this.opts.observer.operationResolved(observed, 'query', plan.name ?? undefined) : undefined;
    try {
      if (data === undefined) {
        const result = await plan.query.query(undefined, ctx, request.variables);
        if (result.errors?.length || !result.data) return false;
        data = result.data as Record<string, unknown>;
      }
      leader?.done(plan.maxAge === undefined ? null : { data, maxAge: plan.maxAge } satisfies SharedRead);
      if (observed) observed.lane = true;
      this.send(plan, request, req, res, ctx, data, stamp, xCache);
      return true;
    } finally {
      // A read handed back to Apollo: its waiters run on their own, and Apollo reports the operation again.
      leader?.done(null);
      if (observed) this.opts.observer.operationEnded(observed, span, new Set());
    }
  }

  private send(
    plan: ReadPlan, request: LaneRequest, req: express.Request, res: express.Response, ctx: GatewayContext,
    data: Record<string, unknown>, stamp: DataStamp | undefined, xCache: string | undefined,
  ): void {
    res.statusCode = 200;
    res.setHeader('content-type', responseMediaType(req));
    if (this.opts.inFlight) {
      const { headers, keep } = readCacheHeaders(this.opts.config, {
        method: req.method, search: request.search, publicRead: !ctx.caller, xCache, errors: false, maxAge: plan.maxAge, stamp, legacyJson: !!ctx.http?.legacyJson,
      });
      if (keep) ctx.requestCache!.keep = true;
      for (const [name, value] of headers) res.setHeader(name, value);
    } else {
      res.setHeader('cache-control', 'no-store');
    }
    res.send(`${JSON.stringify({ data })}\n`);
  }
}
