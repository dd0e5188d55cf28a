import { ApolloServerPlugin } from '@apollo/server';
import { GatewayContext } from '../server/context';

/**
 * Fields whose answer changes without a change of the data version, so a response holding one is
 * never cached (maxAge 0 makes the whole response uncacheable):
 * - the lists of ingest runs: a running run, a rejected push or a failed sync is recorded outside
 *   the data transaction, and those records do not bump the version (a rejected push writes nothing);
 * - the next time a schedule fires: it moves with the clock.
 * Every other field takes the default maxAge (RESPONSE_CACHE_MAX_AGE_SECONDS): the data version
 * and the day in the key cover it. Fields that depend on the caller (Source.baseUrl, lastError)
 * need nothing here: callers with an API key are never served from, nor stored in, the cache.
 */
export const UNCACHED_FIELDS: ReadonlySet<string> = new Set(['Query.ingestRuns', 'Source.runs', 'Source.nextSyncAt']);

/**
 * Makes a response holding one of UNCACHED_FIELDS uncacheable (maxAge 0), whatever else it holds.
 * Hints in code rather than @cacheControl directives, so the emitted schema and its clients are
 * unchanged; on the request's overall policy rather than through `info.cacheControl`, which
 * Apollo's cache-control plugin sets in a hook that may run after this one.
 */
export function uncachedFieldsPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart({ overallCachePolicy }) {
          return {
            willResolveField({ info }) {
              if (UNCACHED_FIELDS.has(`${info.parentType.name}.${info.fieldName}`)) overallCachePolicy.restrict({ maxAge: 0 });
            },
          };
        },
      };
    },
  };
}
