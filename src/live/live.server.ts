import type { ApolloServerPlugin } from '@apollo/server';
import { ExecutionArgs, getOperationAST, getVariableValues, GraphQLError, GraphQLFormattedError, GraphQLSchema, parse, validate } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import http from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ApiKeyService, Caller, InvalidKeyError } from '../auth/api-key.service';
import { formatError } from '../common/errors';
import { GatewayConfig } from '../config/config';
import { Database } from '../db/database';
import { GatewayContext } from '../server/context';
import { createLoaders } from '../server/loaders';
import { Logger } from '../server/logger';
import { checkOperation, measureOperation } from '../server/query-cost';
import { inputHygieneError } from '../server/input-hygiene.plugin';
import { ServiceRegistry } from '../server/service.registry';
import { LiveConnection, LiveLimits } from './live-updates.service';

/** The path subscriptions are served on: the HTTP API's. */
export const LIVE_PATH = '/graphql';

export function liveLimits(config: GatewayConfig): LiveLimits {
  return {
    maxSubscriptions: config.liveMaxSubscriptions,
    maxPerConnection: config.liveMaxSubscriptionsPerConnection,
    coalesceMs: config.liveCoalesceMs,
  };
}

export interface LiveServerOptions {
  server: http.Server;
  schema: GraphQLSchema;
  config: GatewayConfig;
  db: Database;
  services: ServiceRegistry;
  keys: ApiKeyService;
  logger: Logger;
  isReady: () => boolean;
}

/** What the gateway knows of one WebSocket connection, from its connection_init on. */
interface ConnectionState {
  caller?: Caller;
  live: LiveConnection;
}

/** Answers an upgrade request that is not taken, in HTTP, and closes it. */
function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'BAD_REQUEST' } }] });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function refused(message: string, code = 'BAD_REQUEST'): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/**
 * GraphQL subscriptions over WebSocket (graphql-ws, subprotocol graphql-transport-ws) on the
 * HTTP API's port and path, under the HTTP API's rules:
 * - the API key goes in connection_init's payload, `{ "Authorization": "Bearer <key>" }`; an
 *   invalid one closes the connection (4401), as HTTP answers 401; none is anonymous;
 * - only subscriptions (queries and mutations go over HTTP, behind its rate limit), each checked
 *   like an HTTP operation before anything runs: parse limit (MAX_QUERY_TOKENS), validation,
 *   cost, depth and aliases (queryCostPlugin's rules), input hygiene; a message is at most
 *   MAX_QUERY_BYTES;
 * - connections (LIVE_MAX_CONNECTIONS: 503 at the upgrade), subscriptions per connection and in
 *   all (LiveUpdates: TOO_MANY_SUBSCRIPTIONS) are bounded;
 * - errors are formatted by the same formatError: internals never reach a client.
 * Returns Apollo's drain plugin for it: at shutdown every connection is closed (1001, going away).
 */
export function attachLiveServer(o: LiveServerOptions): ApolloServerPlugin {
  const { config } = o;
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxQueryBytes });
  o.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== LIVE_PATH) return refuseUpgrade(socket, 404, `WebSocket connections are served on ${LIVE_PATH} only.`);
    if (!o.isReady()) return refuseUpgrade(socket, 503, 'starting: the gateway accepts subscriptions once its data is loaded (see /health).', { 'retry-after': '5' });
    if (wss.clients.size >= config.liveMaxConnections) {
      return refuseUpgrade(socket, 503, `The gateway holds ${wss.clients.size} WebSocket connections, the most it allows (LIVE_MAX_CONNECTIONS): try again later.`, { 'retry-after': '30' });
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const states = new WeakMap<object, ConnectionState>();
  const stateOf = (ctx: object): ConnectionState => {
    let s = states.get(ctx);
    if (!s) states.set(ctx, (s = { live: { subscriptions: 0 } }));
    return s;
  };
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((e) => formatError(e.toJSON(), e.originalError ?? e, (err) => o.logger.error({ err }, 'subscription failed')));

  const disposable = useServer<Record<string, unknown>>({
    onConnect: async (ctx) => {
      const params = ctx.connectionParams ?? {};
      const header = params.Authorization ?? params.authorization;
      if (header === undefined || header === null || header === '') return true;
      const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      try {
        if (!m) throw new InvalidKeyError('expected "Authorization": "Bearer <key>" in the connection_init payload');
        stateOf(ctx).caller = await o.keys.authenticate(m[1]);
        return true;
      } catch (e) {
        if (!(e instanceof InvalidKeyError)) throw e;
        // Closed here, with the reason (graphql-ws's own refusal says only "Forbidden").
        ctx.extra.socket.close(CloseCode.Unauthorized, `Invalid API key: ${e.message}`.slice(0, 120));
        return false;
      }
    },
    onSubscribe: (ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
      let document;
      try {
        document = parse(payload.query, { maxTokens: config.maxQueryTokens });
      } catch (e) {
        return [e instanceof GraphQLError ? new GraphQLError(e.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }) : refused('The query does not parse.', 'GRAPHQL_PARSE_FAILED')];
      }
      const invalid = validate(o.schema, document);
      if (invalid.length) return invalid.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [refused('Name the operation to run (operationName): the document holds several, or none.', 'OPERATION_RESOLUTION_FAILURE')];
      if (operation.operation !== 'subscription') return [refused('Over WebSocket only subscriptions are served: send queries and mutations over HTTP (POST or GET on this path).')];
      const state = stateOf(ctx);
      const variables = payload.variables ?? {};
      try {
        checkOperation(measureOperation(o.schema, document, operation, variables), {
          maxCost: config.maxQueryCost, maxDepth: config.maxQueryDepth, maxAliases: config.maxQueryAliases, introspection: config.introspection,
        }, state.caller !== undefined);
      } catch (e) {
        return [e as GraphQLError];
      }
      const hygiene = inputHygieneError(o.schema, document, operation, variables, config);
      if (hygiene) return [hygiene];
      // Coerced here so that a bad value is the client's error (as Apollo tags it over HTTP), not an internal one.
      const coerced = getVariableValues(o.schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
      if (coerced.errors) return coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT' } }));
      const em = o.db.orm.em.fork();
      const contextValue: GatewayContext = {
        em, sql: o.db.sql, loaders: createLoaders(em, o.db.sql), caller: state.caller, config, services: o.services, liveConnection: state.live,
      };
      return { schema: o.schema, document, operationName: payload.operationName, variableValues: variables, contextValue };
    },
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
    onError: (_ctx, _id, _payload, errors) => format(errors),
  }, wss);

  return {
    async serverWillStart() {
      return {
        async drainServer() {
          await disposable.dispose();
        },
      };
    },
  };
}
