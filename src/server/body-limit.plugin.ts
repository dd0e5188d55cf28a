import { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { GatewayContext } from './context';

/**
 * The second half of the body limit (body-limit.middleware.ts): a key holder may send an
 * ingest-sized body, but only a mutation may use it. A query that came in a body over the query
 * limit is refused with 413 before execution, whoever sends it.
 */
export function bodyLimitPlugin(maxQueryBytes: number): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const bytes = contextValue.http?.bodyBytes ?? 0;
          if (!operation || operation.operation === 'mutation' || bytes <= maxQueryBytes) return;
          throw new GraphQLError(`The request body (${bytes} bytes) is larger than the ${maxQueryBytes} bytes allowed for a ${operation.operation}: only mutations may send more.`, {
            extensions: { code: 'PAYLOAD_TOO_LARGE', maxBytes: maxQueryBytes, http: { status: 413 } },
          });
        },
      };
    },
  };
}
