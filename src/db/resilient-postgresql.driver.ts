import { DriverException } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { isConnectionError } from './database-health';

/**
 * MikroORM's PostgreSQL driver, telling the database health about connection-class errors and
 * tagging them for GraphQL: graphql-js copies an error's `extensions`, so a resolver whose ORM
 * read failed because the database is down answers SERVICE_UNAVAILABLE with HTTP 503 (the
 * message is replaced in formatError; the driver's own names SQL and hosts).
 */
export class ResilientPostgreSqlDriver extends PostgreSqlDriver {
  /** Set by connect() to the Database's health; the driver is built by MikroORM, so it cannot be a constructor argument. */
  onConnectionError?: (e: unknown) => void;

  override convertException(exception: Error): DriverException {
    const converted = super.convertException(exception);
    if (isConnectionError(exception) || isConnectionError(converted)) {
      this.onConnectionError?.(exception);
      Object.assign(converted, { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } });
    }
    return converted;
  }
}
