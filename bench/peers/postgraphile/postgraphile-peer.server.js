'use strict';
/**
 * The PostGraphile peer of `npm run bench:reads`: PostGraphile 4.14 as a library on a plain
 * node:http server, with @graphile/pg-aggregates and postgraphile-plugin-connection-filter, over
 * the gateway's own database (schema public), on loopback. Options are PostGraphile's documented
 * production set (no query log, no GraphiQL, no watch, dynamic JSON, setof functions without
 * nulls), so the peer is measured at its best, not in development mode.
 *
 *   DATABASE_URL=postgres://… PORT=0 node postgraphile-peer.server.js
 *
 * Prints one line `{"port":N}` on stdout once the schema is built and the server listens.
 */
const http = require('node:http');
const { postgraphile } = require('postgraphile');
const ConnectionFilterPlugin = require('postgraphile-plugin-connection-filter');
const PgAggregatesPlugin = require('@graphile/pg-aggregates').default;

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required');
  process.exit(2);
}

const middleware = postgraphile(url, 'public', {
  appendPlugins: [ConnectionFilterPlugin, PgAggregatesPlugin],
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  disableQueryLog: true,
  graphiql: false,
  watchPg: false,
  retryOnInitFail: false,
  legacyRelations: 'omit',
  // Built before the first request: the bench measures answers, not the schema build.
  // (PostGraphile builds lazily otherwise; the bench also warms up before measuring.)
});

const server = http.createServer(middleware);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
