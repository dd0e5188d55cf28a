import { EntityManager } from '@mikro-orm/postgresql';
import { Caller } from '../auth/api-key.service';
import type { RequestCache } from '../cache/request-cache';
import { GatewayConfig } from '../config/config';
import type { LiveConnection } from '../live/live-updates.service';
import { Sql } from '../db/sql';
import type { ObservedRequest } from '../observability/request-observer';
import { Loaders } from './loaders';
import { ServiceRegistry } from './service.registry';

/** Built once per request by createContext (server/app.ts). */
export interface GatewayContext {
  /** The request's id (X-Request-Id, echoed), for log lines about it; absent for operations run in-process. */
  requestId?: string;
  em: EntityManager;
  sql: Sql;
  loaders: Loaders;
  /** The integrator behind the API key, if one was presented and is valid. */
  caller?: Caller;
  config: GatewayConfig;
  /** Process-wide services (the sync runtime), filled in as start-up proceeds. */
  services: ServiceRegistry;
  /**
   * The data version and day, read once per request before the operation runs, and whether the
   * answer may be kept (src/cache/): the response cache's key and the ETag. Absent with RESPONSE_CACHE=off.
   */
  requestCache?: RequestCache;
  /** The WebSocket connection a subscription came in on (its subscription count is bounded); absent over HTTP. */
  liveConnection?: LiveConnection;
  /** Facts about the HTTP request the operation came in (absent for operations run in-process). */
  http?: RequestFacts;
}

export interface RequestFacts {
  /** The request's record (access log, metrics, spans: src/observability/request-observer.ts). */
  observed?: ObservedRequest;
  /** Bytes of the request body (0 for GET). */
  bodyBytes: number;
  /** The client reads application/json rather than application/graphql-response+json (GraphQL-over-HTTP status rules differ). */
  legacyJson: boolean;
}
