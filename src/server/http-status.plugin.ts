import { ApolloServerPlugin } from '@apollo/server';
import { GatewayContext } from './context';

/** Errors of a well-formed request that the GraphQL-over-HTTP spec answers 200 under application/json. */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * GraphQL-over-HTTP status codes: a client that reads `application/graphql-response+json` gets 4xx
 * for a document that does not parse or validate, or variables that do not coerce (Apollo's
 * choice); a client that reads the older `application/json` (or says nothing) gets 200 with the
 * errors, as the spec asks, since such clients read errors from the body whatever the status.
 * The gateway's own refusals (cost, size, introspection switched off, authentication) keep theirs.
 */
export function httpStatusPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (!contextValue.http?.legacyJson || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data !== undefined || !errors?.length || response.http.status !== 400) return;
          if (errors.every((e) => REQUEST_ERROR_CODES.has(String(e.extensions?.code)))) response.http.status = 200;
        },
      };
    },
  };
}
