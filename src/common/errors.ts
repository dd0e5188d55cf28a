import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { isConnectionError, UNAVAILABLE_MESSAGE } from '../db/database-health';

export interface FieldProblem {
  /** Where the problem is, e.g. "filings[3].receivedOnline" or "after". */
  field: string;
  reason: string;
}

/** Bad input from a client: GraphQL BAD_USER_INPUT naming each field and why. */
export function badUserInput(message: string, problems: FieldProblem[] = []): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', problems } });
}

export function unauthenticated(message = 'A valid API key is required (header Authorization: Bearer <key>).', httpStatus?: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
}

export function forbidden(message: string, problems: FieldProblem[] = []): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', problems } });
}

const CLIENT_CODES = new Set([
  'BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE',
  'QUERY_TOO_COSTLY', 'QUERY_TIMEOUT', 'SERVICE_UNAVAILABLE',
  'QUERY_TOO_LARGE', 'PAYLOAD_TOO_LARGE', 'INTROSPECTION_DISABLED', 'TOO_MANY_SUBSCRIPTIONS',
]);

/**
 * Lets through errors meant for clients and replaces everything else (SQL errors, bugs) by a
 * generic message: internals never reach a client; they are logged instead.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, log: (e: unknown) => void): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  // The database is down: a clear, retryable error (HTTP 503 where the error was tagged at the
  // Sql layer or the ORM driver), always with the same message, never the driver's (hosts, SQL).
  // Not logged per request: the database health logs the outage and each recovery attempt.
  if (code === 'SERVICE_UNAVAILABLE' || isConnectionError(error)) {
    return { message: UNAVAILABLE_MESSAGE, locations: formatted.locations, path: formatted.path, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  }
  if (typeof code === 'string' && CLIENT_CODES.has(code)) {
    const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  log(error);
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
