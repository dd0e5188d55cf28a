import { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../server/context';
import { DATA_VERSION_HEADER, ReadRouter, RoutedSql } from './read-router';

/**
 * The Apollo side of read routing (src/db/read-router.ts): a mutation is pinned to the primary as
 * soon as the operation is known, before any resolver runs, so its writes and every read after
 * them go there; its answer's X-Data-Version is the primary's once it has committed, so that a
 * client echoing it reads its own write from whichever server has it.
 */
export function readRoutingPlugin(router: ReadRouter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          if (rc.operation?.operation !== 'query' && rc.contextValue.sql instanceof RoutedSql) rc.contextValue.sql.route.pinPrimary();
        },
        async willSendResponse(rc) {
          if (rc.operation?.operation !== 'mutation') return;
          const stamp = await router.primaryVersion.read().catch(() => undefined);
          if (stamp) rc.response.http.headers.set(DATA_VERSION_HEADER, stamp.version);
        },
      };
    },
  };
}
