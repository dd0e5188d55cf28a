import { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode, FragmentDefinitionNode, getNamedType, GraphQLCompositeType, GraphQLSchema, isAbstractType, isCompositeType, isUnionType, Kind, OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { BoundedCache, stringBytes } from '../common/bounded-cache';
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

/** An operation's cache policy: maxAge 0 (never kept), the default, or none (no field of the schema selected: not kept either). */
export type StaticPolicy = 'uncached' | 'default' | 'none';

/**
 * The policy Apollo's cache-control plugin would reach for an operation of this schema, read from
 * the document instead of per resolved field. The schema has no @cacheControl hints, so that
 * plugin gives every root field and every field of object type the default maxAge, leaf fields
 * nothing, and meta fields (`__typename`, `__schema`) nothing; UNCACHED_FIELDS bring it to 0.
 * Read from the document, a field counts even where it would not have resolved (under a null
 * parent, or skipped by @skip/@include): that can only make an answer uncacheable that the
 * per-field hook would have kept, never the other way round.
 */
export function staticPolicyOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): StaticPolicy {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  if (!root) return 'none';
  let policy: StaticPolicy = 'none';
  const visited = new Set<string>();
  const walk = (type: GraphQLCompositeType, selections: SelectionSetNode, isRoot: boolean): void => {
    for (const s of selections.selections) {
      if (policy === 'uncached') return;
      if (s.kind === Kind.INLINE_FRAGMENT) {
        const on = s.typeCondition ? schema.getType(s.typeCondition.name.value) : type;
        if (on && isCompositeType(on)) walk(on, s.selectionSet, isRoot);
      } else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        const on = f && schema.getType(f.typeCondition.name.value);
        if (f && on && isCompositeType(on) && !visited.has(f.name.value)) {
          visited.add(f.name.value);
          walk(on, f.selectionSet, isRoot);
        }
      } else {
        const name = s.name.value;
        if (name.startsWith('__')) continue;
        // On an interface or union, the field resolves on one of its object types: any of them counts.
        const owners = isAbstractType(type) ? schema.getPossibleTypes(type) : [type];
        if (owners.some((t) => UNCACHED_FIELDS.has(`${t.name}.${name}`))) {
          policy = 'uncached';
          return;
        }
        // A union has no fields of its own (only `__typename` or fragments are selected on it).
        const field = isUnionType(type) ? undefined : type.getFields()[name];
        if (!field) continue;
        const target = getNamedType(field.type);
        if (isRoot || isCompositeType(target)) policy = 'default';
        if (s.selectionSet && isCompositeType(target)) walk(target, s.selectionSet, false);
      }
    }
  };
  walk(root, operation.selectionSet, true);
  return policy;
}

/**
 * The max-age Apollo's overall cache policy would give an operation of this policy (its
 * policyIfCacheable): the default for 'default', none (not cacheable) for 'uncached' and 'none'.
 */
export function cacheableMaxAge(policy: StaticPolicy, defaultMaxAge: number): number | undefined {
  return policy === 'default' && defaultMaxAge > 0 ? defaultMaxAge : undefined;
}

/** Memory the per-operation policies may take (a key and a word each: about 100 bytes for a hash and a name). */
const POLICIES_BYTES = 1024 * 1024;

/**
 * The response's cache policy, set once per operation from the document (staticPolicyOf), kept
 * per (query hash, operation name) in bounded memory. Replaces Apollo's cache-control plugin,
 * whose per-field hook (willResolveField: a policy object per resolved field) also made Apollo
 * wrap every resolver of the schema, and which compiled queries (src/server/compiled-execution.ts)
 * would bypass. Set when execution starts, as that plugin's hints were: a cached or coalesced
 * answer brings its own policy (src/cache/response-cache.ts).
 */
export function staticCachePolicyPlugin(defaultMaxAge: number): ApolloServerPlugin<GatewayContext> {
  const policies = new BoundedCache<string, StaticPolicy>(POLICIES_BYTES, (key) => stringBytes(key) + 16);
  return {
    async requestDidStart() {
      return {
        async executionDidStart(rc) {
          const key = `${rc.queryHash}\n${rc.operationName ?? ''}`;
          let policy = policies.get(key);
          if (policy === undefined) {
            policy = staticPolicyOf(rc.schema, rc.document, rc.operation);
            policies.set(key, policy);
          }
          if (policy !== 'none') rc.overallCachePolicy.restrict({ maxAge: policy === 'uncached' ? 0 : defaultMaxAge });
        },
      };
    },
  };
}
