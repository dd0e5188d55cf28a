import { GraphQLError } from 'graphql';

/** A subscription over HTTP, or with live updates switched off (LIVE_UPDATES=false). */
export function unavailableLive(): GraphQLError {
  return new GraphQLError('Subscriptions are served over WebSocket (graphql-ws protocol) on this same path, when live updates are on.', {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
}
