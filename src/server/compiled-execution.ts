import type { GatewayExecutionResult, GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { DocumentNode, execute, GraphQLError, GraphQLSchema } from 'graphql';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { BoundedCache, stringBytes } from '../common/bounded-cache';

/**
 * Queries run as compiled JavaScript (graphql-jit) instead of graphql-js's interpreter, which
 * walks the document anew for every object of the answer: a path, an info object, an argument
 * check and a completion per field. On a 2,000-row aggregate (36,000 fields, about 660 KB) that
 * walk and its garbage were about half of the gateway's CPU (graphql-js 23% and the collector
 * 26% of a CPU profile, bench `group by procedure`); compiled once per document and operation, a
 * query reads plain fields as property reads and calls only the resolvers that exist. Measured
 * against the code before, two gateway processes on one database answering alternately (25 runs
 * each, load 16): group by procedure took 43 ms of the gateway's CPU per request instead of 82
 * (232 ms against 271 ms end to end, the rest the statement); a 50-unit page of units 2.32 ms
 * instead of 2.91 (299 against 222 req/s at 8 connections); a unit lookup, a handful of fields,
 * the same (1.29 against 1.27 ms).
 *
 * Apollo Server 5 takes another executor only through its gateway interface (`gateway: { load,
 * onSchemaLoadOrUpdate, stop }`, the `executor` load returns): everything before and after
 * execution is Apollo's own as before (parsing, validation, the plugins: cost limits, input
 * checks, persisted queries, the response cache, metrics and tracing, error formatting).
 *
 * What still runs on graphql-js, unchanged:
 * - mutations (a write's cost is its statement, and their field order must stay serial);
 * - a document graphql-jit cannot compile (kept as such, so it is not tried again);
 * - a query whose variables are refused: graphql-jit's messages differ and carry no location,
 *   so graphql-js runs it again for its own words (Apollo turns those into BAD_USER_INPUT naming
 *   the variable). Nothing ran yet: variables are checked before any resolver.
 * - subscriptions, which go through graphql-ws (src/live/), not through Apollo's executor.
 */

/** Memory the compiled queries may take: about 600 documents the size of the benches' (sizeOfCompiled). */
const COMPILED_QUERIES_BYTES = 16 * 1024 * 1024;

/** A compiled query (null: a document graphql-jit refused, run on graphql-js) and the length of its query text. */
export interface Compiled {
  query: CompiledQuery | null;
  textLength: number;
}

/**
 * Estimated heap of a compiled query: the generated functions and closures grow with the document.
 * Measured with --expose-gc over 200 compilations each, run once, parsed document included: 18.4
 * KiB for unit by code (142 characters), 22.4 for services of a unit (231), 23.3 for group by
 * procedure (350), 28.4 for the five-indicator table (432); 16 KiB plus 40 bytes a character
 * stays above each.
 */
function sizeOfCompiled(key: string, compiled: Compiled): number {
  return stringBytes(key) + 40 * compiled.textLength + 16 * 1024;
}

/**
 * graphql-jit's errors look like graphql-js's (same prototype) but leave `extensions` undefined
 * when the thrown error had none, where graphql-js always has an object: Apollo reads
 * `extensions.code` of every error and failed on them (an internal error became an HTTP 500
 * instead of 200 with INTERNAL_SERVER_ERROR). Each is made a real GraphQLError with its
 * message, locations, path, original error and extensions.
 */
function asGraphqlJsError(e: GraphQLError): GraphQLError {
  const error = new GraphQLError(e.message, { path: e.path, originalError: e.originalError ?? undefined, extensions: e.extensions ?? undefined });
  (error as { locations?: GraphQLError['locations'] }).locations = e.locations;
  return error;
}

function graphqlJs(schema: GraphQLSchema, rc: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> {
  return Promise.resolve(execute({
    schema, document: rc.document, contextValue: rc.context, variableValues: rc.request.variables, operationName: rc.request.operationName,
  }) as GatewayExecutionResult);
}

/** The compiled queries of one server, by (query hash, operation name), bounded in bytes. */
export function compiledQueryCache(maxBytes = COMPILED_QUERIES_BYTES): BoundedCache<string, Compiled> {
  return new BoundedCache<string, Compiled>(maxBytes, sizeOfCompiled);
}

/**
 * The compiled query of a request Apollo resolved, from `compiled` or compiled now and kept there,
 * per (query hash, operation name as sent): the hash is of the query text, the document its parse,
 * so one document per hash. The executor below and the compiled reads' lane
 * (src/server/compiled-reads.ts, when it certifies a document) share it: each document is compiled once.
 */
export function compiledFor(
  schema: GraphQLSchema, compiled: BoundedCache<string, Compiled>,
  rc: { queryHash: string; document: DocumentNode; source?: string; request: { operationName?: string | null } },
): CompiledQuery | null {
  const key = `${rc.queryHash}\n${rc.request.operationName ?? ''}`;
  let entry = compiled.get(key);
  if (entry === undefined) {
    const result = compileQuery(schema, rc.document, rc.request.operationName ?? undefined);
    entry = { query: isCompiledQuery(result) ? result : null, textLength: rc.source?.length ?? 0 };
    compiled.set(key, entry);
  }
  return entry.query;
}

/** The executor: compiled queries, kept per (query hash, operation name) in `compiled`. */
export function compiledExecutor(schema: GraphQLSchema, compiled = compiledQueryCache()): GatewayExecutor {
  return async (rc) => {
    if (rc.operation?.operation !== 'query') return graphqlJs(schema, rc);
    const query = compiledFor(schema, compiled, rc);
    if (!query) return graphqlJs(schema, rc);
    const result = (await query.query(undefined, rc.context, rc.request.variables ?? {})) as GatewayExecutionResult;
    // Refused variables: nothing ran; graphql-js words it (see above).
    if (result.data === undefined && result.errors?.length) return graphqlJs(schema, rc);
    if (!result.errors?.length) return { data: result.data };
    return { data: result.data, errors: result.errors.map(asGraphqlJsError) };
  };
}

/**
 * The gateway interface Apollo Server 5 wants around an executor: the schema never changes, so it
 * is announced once, when Apollo loads it.
 */
export function compiledExecution(schema: GraphQLSchema, compiled = compiledQueryCache()): GatewayInterface {
  const listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  return {
    onSchemaLoadOrUpdate(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    async load() {
      for (const listener of listeners) listener({ apiSchema: schema, coreSupergraphSdl: '' });
      return { executor: compiledExecutor(schema, compiled) };
    },
    async stop() {
      listeners.clear();
    },
  };
}
