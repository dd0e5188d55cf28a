import { DefaultLogger, LoggerNamespace, LogContext } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig } from '@mikro-orm/postgresql';
import path from 'node:path';
import { projectRoot } from '../config/project-root';
import { entities } from './entities';
import { queryCounter } from './query-counter';
import { ResilientPostgreSqlDriver } from './resilient-postgresql.driver';

/** Feeds every statement to the query counter; prints nothing unless MIKRO_ORM_DEBUG is set. */
class CountingLogger extends DefaultLogger {
  override log(namespace: LoggerNamespace, message: string, context?: LogContext): void {
    if (namespace === 'query') queryCounter.record(message);
    if (process.env.MIKRO_ORM_DEBUG) super.log(namespace, message, context);
  }
  override isEnabled(namespace: LoggerNamespace): boolean {
    return namespace === 'query' || (!!process.env.MIKRO_ORM_DEBUG && super.isEnabled(namespace));
  }
}

const root = projectRoot();
// Compiled migrations live in dist/migrations; ts sources in migrations/ (ts-jest and the CLI in ts mode).
const compiled = __filename.endsWith('.js');

/** `warn`: where knex's own warnings go (it prints them to the console otherwise, e.g. "Connection Error" during an outage). */
export function ormConfig(clientUrl: string, poolSize = 10, warn?: (message: string) => void) {
  return defineConfig({
    clientUrl,
    // Connection-class errors become SERVICE_UNAVAILABLE (HTTP 503) and tell the database health.
    driver: ResilientPostgreSqlDriver,
    entities,
    extensions: [Migrator],
    debug: ['query'],
    loggerFactory: (options) => new CountingLogger(options),
    pool: { min: 0, max: poolSize },
    ...(warn ? { driverOptions: { log: { warn, error: warn, deprecate: warn, debug: () => undefined } } } : {}),
    forceUtcTimezone: true,
    // Relations are loaded by our own per-request DataLoaders; nothing lazy behind our back.
    allowGlobalContext: false,
    // Compiled code runs the compiled migrations even when started from a ts-jest test (MikroORM
    // would see TS_JEST in the inherited environment and look for .js files among the sources).
    preferTs: !compiled,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: path.join(root, compiled ? 'dist/migrations' : 'migrations'),
      pathTs: path.join(root, 'migrations'),
      glob: compiled ? '!(*.d).js' : '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
  });
}

// The MikroORM CLI (`npm run migration:create`) reads this default export.
export default ormConfig(process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:54329/dvc_gateway');
