import { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode, FragmentDefinitionNode, getNullableType, GraphQLError, isListType, Kind, OperationDefinitionNode, SelectionSetNode,
} from 'graphql';
import { ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { MAX_ROW_LIMIT } from '../aggregates/aggregate.inputs';
import { MAX_PAGE_SIZE } from '../common/pagination';

/**
 * Protection against abusive queries, checked before anything runs: a cost estimate (roughly the
 * number of values a response could hold), a depth limit and an alias limit. Aggregates are the
 * gateway's denial-of-service surface; the statement timeout bounds what slips through.
 */
export interface QueryCostLimits {
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
}

export const DEFAULT_QUERY_COST_LIMITS: QueryCostLimits = { maxCost: 1_000_000, maxDepth: 12, maxAliases: 30 };

/**
 * Arguments that size a list, with the largest value their validation accepts: a larger one is
 * counted at that maximum so that it gets validation's clearer BAD_USER_INPUT.
 */
const SIZE_ARGS: Record<'first' | 'last' | 'limit', number> = { first: MAX_PAGE_SIZE, last: MAX_PAGE_SIZE, limit: MAX_ROW_LIMIT };

/** Lists whose size an ancestor's argument already counted (connection nodes, aggregate rows). */
const SIZED_BY_ANCESTOR = new Set(['nodes', 'rows']);

/**
 * Expected sizes of lists without a size argument: the children of a province (≈100 communes
 * since 2025), the measures of a row (at most 20, counted once: a row's cost is its fields). Others
 * (a unit's services, level histories, links...) count DEFAULT_LIST_SIZE.
 */
const LIST_SIZES: Record<string, number> = {
  'Unit.children': 100,
  'AggregateRow.measures': 1,
  'Kpi.trend': 36,
  'PlanCompliance.units': 100,
};
const DEFAULT_LIST_SIZE = 10;

function sizeFrom(args: Record<string, unknown>): number | undefined {
  for (const [a, max] of Object.entries(SIZE_ARGS)) if (typeof args[a] === 'number') return Math.min(args[a] as number, max);
  const q = args.query as Record<string, unknown> | undefined;
  if (q && typeof q.limit === 'number') return Math.min(q.limit, MAX_ROW_LIMIT);
  return undefined;
}

/** Each field costs 1 plus its children, times the list size it can return. Introspection is free (bounded by the schema). */
export const costEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (type.name.startsWith('__') || field.name.startsWith('__')) return 0;
  let n = sizeFrom(args);
  if (n === undefined) {
    const list = isListType(getNullableType(field.type));
    n = !list || SIZED_BY_ANCESTOR.has(field.name) ? 1 : LIST_SIZES[`${type.name}.${field.name}`] ?? DEFAULT_LIST_SIZE;
  }
  return 1 + n * childComplexity;
};

/** Depth of the deepest field and number of aliased fields, fragments expanded, introspection skipped. */
export function measureShape(doc: DocumentNode, operation: OperationDefinitionNode): { depth: number; aliases: number } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let aliases = 0;
  const visit = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
    if (!set) return depth;
    let max = depth;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value.startsWith('__')) continue;
        if (s.alias) aliases += 1;
        max = Math.max(max, visit(s.selectionSet, depth + 1, seen));
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        max = Math.max(max, visit(s.selectionSet, depth, seen));
      } else {
        const name = s.name.value;
        const frag = fragments.get(name);
        if (!frag || seen.has(name)) continue;
        max = Math.max(max, visit(frag.selectionSet, depth, new Set([...seen, name])));
      }
    }
    return max;
  };
  const depth = visit(operation.selectionSet, 0, new Set());
  return { depth, aliases };
}

function tooCostly(message: string, extra: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COSTLY', ...extra, http: { status: 400 } } });
}

/** Apollo plugin: rejects a resolved operation over the limits before execution (so before any SQL). */
export function queryCostPlugin(limits: QueryCostLimits = DEFAULT_QUERY_COST_LIMITS): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (!operation) return;
          const shape = measureShape(document, operation);
          if (shape.depth > limits.maxDepth) {
            throw tooCostly(`Query depth ${shape.depth} exceeds the limit of ${limits.maxDepth}: flatten the query.`, { depth: shape.depth, maxDepth: limits.maxDepth });
          }
          if (shape.aliases > limits.maxAliases) {
            throw tooCostly(`The query uses ${shape.aliases} aliases, more than the ${limits.maxAliases} allowed: split it.`, { aliases: shape.aliases, maxAliases: limits.maxAliases });
          }
          let cost: number;
          try {
            cost = getComplexity({ schema, query: document, operationName: request.operationName ?? undefined, variables: request.variables ?? {}, estimators: [costEstimator] });
          } catch {
            // Invalid variables: execution refuses them with BAD_USER_INPUT before any resolver runs.
            return;
          }
          if (cost > limits.maxCost) {
            throw tooCostly(
              `Query cost ${cost} exceeds the limit of ${limits.maxCost} (about one unit per value returned; lists count at their page size or limit): lower first/limit, select fewer fields, or split the query.`,
              { cost, maxCost: limits.maxCost },
            );
          }
        },
      };
    },
  };
}
