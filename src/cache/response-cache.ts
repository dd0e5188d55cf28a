import crypto from 'node:crypto';
import { ApolloServerPlugin, GraphQLRequestContext, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import express from 'express';
import { GatewayConfig } from '../config/config';
import { noteCache } from '../observability/request-observer';
import { DATA_VERSION_HEADER } from '../db/read-router';
import { callerOf } from '../server/caller.middleware';
import { prefersGraphqlResponseJson } from '../server/error.middleware';
import { GatewayContext } from '../server/context';
import { getParamsOf } from '../server/request-shape.middleware';
import { staticCachePolicyPlugin } from './cache-hints';
import { DataStamp, DataVersion } from './data-version';
import { requestCacheOf } from './request-cache';

/**
 * The response cache (issue 11): public read answers kept in memory, keyed by operation,
 * variables, the data version and the day (src/cache/data-version.ts), and HTTP caching of GET reads.
 *
 * Memory rather than PostgreSQL: a hit must cost less than the query it saves, and a hit already
 * pays one round trip (the version read; coalesced, one statement in flight). An entry in
 * PostgreSQL would add a second round trip, a bytea/jsonb decode and a connection from the same
 * pool the slow aggregates queue on, where the in-memory hit is a hash lookup and a string
 * (bench/cache.bench.ts). Sharing entries between processes buys little: each process fills its
 * own cache after one miss per distinct query and version, and all agree on the version, so none
 * serves what another would not. The LRU is bounded in bytes (RESPONSE_CACHE_MAX_BYTES): entries
 * of old versions are never asked for again and age out first.
 */

/**
 * What identifies a GET request's answer, apart from the data: the persisted query's hash when
 * there is one (so `?query=…` and its hash share an ETag), else the query text; the operation
 * name and the variables as sent.
 */
export function getRequestKey(params: URLSearchParams): string {
  let hash: string | undefined;
  try {
    hash = (JSON.parse(params.get('extensions') ?? 'null') as { persistedQuery?: { sha256Hash?: string } } | null)?.persistedQuery?.sha256Hash;
  } catch {
    hash = undefined;
  }
  const query = typeof hash === 'string' ? hash.toLowerCase() : crypto.createHash('sha256').update(params.get('query') ?? '').digest('hex');
  return JSON.stringify([query, params.get('operationName') ?? '', params.get('variables') ?? '']);
}

/**
 * A strong ETag: the data version, then a hash of the day, the request key and the media type
 * asked for (application/json or application/graphql-response+json: two representations).
 */
export function etagOf(stamp: DataStamp, requestKey: string, legacyJson: boolean): string {
  const hash = crypto.createHash('sha256').update(`${stamp.day}\n${legacyJson ? 'json' : 'graphql-response'}\n${requestKey}`).digest('base64url').slice(0, 22);
  return `"v${stamp.version}-${hash}"`;
}

/** The request headers an answer depends on: the media type asked for, and the API key (key holders see more). */
const VARY = 'Accept, Authorization';

function cacheControlOf(config: GatewayConfig, maxAge: number): string {
  return `public, max-age=${Math.min(config.httpCacheMaxAgeSeconds, maxAge)}`;
}

/** Whether an If-None-Match header names this ETag (a list, weak or not; `*` is for writes and is not honoured). */
function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * 304 Not Modified for a GET whose If-None-Match holds the ETag the request would get now: the
 * same query and variables, on the same data version and day, so the same answer. Answered
 * before Apollo, without parsing or running anything. Only for callers without an API key (the
 * only ones given ETags). A client that never had the ETag cannot guess one that means anything:
 * the worst a forged one does is tell that client its own copy is current.
 */
export function notModified(config: GatewayConfig, version: DataVersion): express.RequestHandler {
  return async (req, res, next) => {
    const ifNoneMatch = req.headers['if-none-match'];
    if (req.method !== 'GET' || !ifNoneMatch || callerOf(res)) return next();
    try {
      const stamp = await requestCacheOf(req, res, version).stamp();
      if (!stamp) return next();
      const etag = etagOf(stamp, getRequestKey(getParamsOf(req)), !prefersGraphqlResponseJson(req));
      if (!matches(ifNoneMatch, etag)) return next();
      noteCache(res, 'not_modified');
      res.status(304).set({ etag, 'cache-control': cacheControlOf(config, config.responseCacheMaxAgeSeconds), vary: VARY }).end();
    } catch (e) {
      next(e);
    }
  };
}

/**
 * RESPONSE_CACHE_MAX_BYTES is shared: three quarters for the front cache's answers as sent
 * (src/cache/front-cache.ts), a quarter for Apollo's response cache behind it. Each answer is
 * stored once: Apollo's layer keeps only answers that did not come through the front cache (the
 * exports), and still serves what it holds to both. Both kept every /graphql answer before, the
 * second time as a UTF-16 JSON string built per miss; bench:cache's peak RSS was 7 MB above the
 * cache-off gateway's (252 against 245 MB at 100 connections).
 */
export function frontBytes(config: GatewayConfig): number {
  return Math.floor((config.responseCacheMaxBytes * 3) / 4);
}

/** Entries' memory, estimated as V8 holds two-byte strings: two bytes a character of answer and key. */
function sizeOfEntry(value: unknown, key: string): number {
  return 2 * ((typeof value === 'string' ? value.length : 0) + key.length) + 64;
}

/** The request's stamp when its answer may come from or go to the cache: no API key, and the version read. */
const stampOf = async (ctx: GatewayContext) => (ctx.caller ? undefined : ctx.requestCache?.stamp());

/** Whether Apollo's layer keeps the answer: a stamp, and not kept by the front cache already (one copy each). */
const keptBehind = async (ctx: GatewayContext) => !ctx.requestCache?.front && !!(await stampOf(ctx));

const isPublicRead = (rc: GraphQLRequestContext<GatewayContext>) => rc.operation?.operation === 'query' && !rc.contextValue.caller;

/** What decides a read answer's HTTP caching headers (httpCachingPlugin and the compiled reads' lane, src/server/compiled-reads.ts). */
export interface ReadAnswer {
  /** The request's method (only GET answers carry `public, max-age` and an ETag). */
  method: string | undefined;
  /** The URL's query string (`?query=…`), the GET request's key. */
  search: string;
  /** A query from a caller without an API key. */
  publicRead: boolean;
  /** How a public read was answered, if not by running it (HIT, COALESCED): its x-cache mark, MISS otherwise. */
  xCache: string | undefined;
  /** Whether the answer carries errors. */
  errors: boolean;
  /** The operation's cacheable max-age (Apollo's policyIfCacheable), or undefined when not cacheable. */
  maxAge: number | undefined;
  /** The request's stamp (read only for a public read). */
  stamp: DataStamp | undefined;
  legacyJson: boolean;
}

/**
 * The one rule for a read answer's caching headers: x-cache for a public read (MISS unless it was a HIT or COALESCED), `no-store` unless a
 * GET read is kept, else `public, max-age`, the ETag and Vary. `keep`: the front cache may keep the
 * answer's bytes (a public read without errors, cacheable, with a stamp).
 */
export function readCacheHeaders(config: GatewayConfig, a: ReadAnswer): { headers: [string, string][]; keep: boolean } {
  const headers: [string, string][] = [];
  if (a.publicRead) headers.push(['x-cache', a.xCache ?? 'MISS']);
  const keep = !!a.stamp && !a.errors && a.maxAge !== undefined;
  if (a.method !== 'GET' || !keep) {
    headers.push(['cache-control', 'no-store']);
    return { headers, keep };
  }
  headers.push(
    ['cache-control', cacheControlOf(config, a.maxAge!)],
    ['etag', etagOf(a.stamp!, getRequestKey(new URLSearchParams(a.search)), a.legacyJson)],
    ['vary', VARY],
  );
  return { headers, keep };
}

/**
 * Cache-Control, ETag and x-cache for reads (readCacheHeaders). A GET read without errors, cacheable (no field of
 * UNCACHED_FIELDS), from a caller without an API key: `public, max-age` and an ETag. Anything
 * else (POST, mutations, errors, key holders' answers, which may show what others do not see):
 * `no-store`, as before the cache. POST stays no-store: browsers and proxies cache only GET, and
 * dashboards that want HTTP caching send GET or a persisted query by GET.
 */
function httpCachingPlugin(config: GatewayConfig, version: DataVersion): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse(rc) {
          const headers = rc.response.http.headers;
          if (rc.operation?.operation === 'mutation') {
            // Before the answer leaves: this process's next request reads the version anew, and the
            // client gets the version that holds its write, to send back to any process (DataVersion).
            version.invalidate();
            const after = await version.read().catch(() => undefined);
            if (after) headers.set(DATA_VERSION_HEADER, after.version);
          }
          const http = rc.request.http;
          const body = rc.response.body;
          const publicRead = isPublicRead(rc);
          const { headers: set, keep } = readCacheHeaders(config, {
            method: http?.method,
            search: http?.search ?? '',
            publicRead,
            // COALESCED (coalescingPlugin), or a hit of Apollo's layer.
            xCache: headers.get('x-cache') ?? (rc.metrics.responseCacheHit ? 'HIT' : undefined),
            errors: body.kind !== 'single' || !!body.singleResult.errors,
            maxAge: rc.overallCachePolicy.policyIfCacheable()?.maxAge,
            stamp: publicRead ? await rc.contextValue.requestCache?.stamp() : undefined,
            legacyJson: !!rc.contextValue.http?.legacyJson,
          });
          // The front cache keeps the bytes of such an answer, GET or POST, headers included.
          if (keep) rc.contextValue.requestCache!.keep = true;
          for (const [name, value] of set) headers.set(name, value);
        },
      };
    },
  };
}

/** A leader's answer for its waiters, with its cache policy's max-age. */
export type SharedRead = { data: Record<string, unknown>; maxAge: number } | null;

/** The leader of an identical read: `done` hands its answer (or null: none to share) to the waiters, once. */
export interface ReadLeader {
  done(shared: SharedRead): void;
}

/**
 * Identical public reads that miss at the same time run once: the first (the leader) runs, the
 * others wait for its answer instead of queueing the same statement on the pool (a cold cache at
 * 100 connections: the same national table asked by many dashboards at once). Keyed like the
 * cache (query, operation, variables, data version and day): a request that reads the same version
 * would have been served the leader's answer from the cache a moment later anyway. When the leader
 * ends without a cacheable answer (an error, an uncached field), each waiter runs on its own.
 * One per server, shared by Apollo's plugin and the compiled reads' lane (src/server/compiled-reads.ts).
 */
export class InFlightReads {
  private readonly inFlight = new Map<string, Promise<SharedRead>>();

  /** The key of a read: its text, operation name, variables as sent, and stamp. */
  static keyOf(source: string | undefined, operationName: string | null, variables: Record<string, unknown>, stamp: DataStamp): string {
    return JSON.stringify([source, operationName, variables, stamp]);
  }

  /** Either the leader's promised answer (wait for it), or this request becomes the leader. */
  join(key: string): { waitFor: Promise<SharedRead> } | { leader: ReadLeader } {
    const pending = this.inFlight.get(key);
    if (pending) return { waitFor: pending };
    let resolve!: (shared: SharedRead) => void;
    this.inFlight.set(key, new Promise<SharedRead>((r) => (resolve = r)));
    let open = true;
    return {
      leader: {
        done: (shared) => {
          if (!open) return;
          open = false;
          this.inFlight.delete(key);
          resolve(shared);
        },
      },
    };
  }
}

/** Apollo's side of InFlightReads. */
function coalescingPlugin(reads: InFlightReads): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let leader: ReadLeader | undefined;
      const finish = (shared: SharedRead) => {
        leader?.done(shared);
        leader = undefined;
      };
      return {
        async responseForOperation(rc) {
          const stamp = isPublicRead(rc) ? await rc.contextValue.requestCache?.stamp() : undefined;
          if (!stamp) return null;
          const joined = reads.join(InFlightReads.keyOf(rc.source, rc.operationName ?? null, rc.request.variables ?? {}, stamp));
          if ('leader' in joined) {
            leader = joined.leader;
            return null;
          }
          const shared = await joined.waitFor;
          if (!shared) return null;
          rc.overallCachePolicy.replace({ maxAge: shared.maxAge, scope: 'PUBLIC' });
          const headers = new HeaderMap([['x-cache', 'COALESCED']]);
          return { body: { kind: 'single', singleResult: { data: shared.data } }, http: { status: undefined, headers } };
        },
        async didEncounterErrors() {
          finish(null);
        },
        async willSendResponse(rc) {
          const body = rc.response.body;
          const policy = rc.overallCachePolicy.policyIfCacheable();
          finish(body.kind === 'single' && !body.singleResult.errors && body.singleResult.data && policy ? { data: body.singleResult.data, maxAge: policy.maxAge } : null);
        },
      };
    },
  };
}

/**
 * The plugins of the cache, in order: the cache policy read from the document (src/cache/cache-hints.ts;
 * Apollo's own cache control off: its per-field hook is what that replaces), the response cache,
 * identical misses run once, HTTP caching.
 */
export function responseCachePlugins(config: GatewayConfig, version: DataVersion, reads: InFlightReads): ApolloServerPlugin<GatewayContext>[] {
  const cache = new InMemoryLRUCache<string>({ maxSize: config.responseCacheMaxBytes - frontBytes(config), sizeCalculation: sizeOfEntry });
  return [
    ApolloServerPluginCacheControlDisabled(),
    staticCachePolicyPlugin(config.responseCacheMaxAgeSeconds),
    responseCachePlugin<GatewayContext>({
      cache,
      // Read before the operation runs (see DataVersion): the version the answer is filed under.
      // Without a stamp (no cache, a caller with a key, the version unreadable) nothing is read or written.
      extraCacheKeyData: async ({ contextValue }) => (await stampOf(contextValue)) ?? null,
      shouldReadFromCache: async ({ contextValue }) => !!(await stampOf(contextValue)),
      shouldWriteToCache: async ({ contextValue }) => keptBehind(contextValue),
    }),
    coalescingPlugin(reads),
    httpCachingPlugin(config, version),
  ];
}

/**
 * With RESPONSE_CACHE=off: every answer says `cache-control: no-store`, as Apollo's default cache
 * control did, without its per-field hook (a policy object per resolved field, for a header that
 * is always the same): 2-3% of a unit lookup's CPU.
 */
export function noResponseCachePlugins(): ApolloServerPlugin<GatewayContext>[] {
  return [
    ApolloServerPluginCacheControlDisabled(),
    {
      async requestDidStart() {
        return {
          async willSendResponse({ response }) {
            response.http.headers.set('cache-control', 'no-store');
          },
        };
      },
    },
  ];
}

/** The bounded cache of automatic persisted queries (query text by SHA-256), apart from the answers'. */
export function persistedQueryCache(config: GatewayConfig): InMemoryLRUCache<string> {
  return new InMemoryLRUCache<string>({ maxSize: config.persistedQueriesMaxBytes, sizeCalculation: sizeOfEntry });
}
