import { ApolloServerPlugin } from '@apollo/server';
import {
  DirectiveNode, DocumentNode, FieldNode, FragmentDefinitionNode, getNamedType, getNullableType, GraphQLCompositeType, GraphQLError,
  GraphQLField, GraphQLSchema, isCompositeType, isInterfaceType, isListType, isObjectType, Kind, OperationDefinitionNode,
  SchemaMetaFieldDef, SelectionSetNode, TypeMetaFieldDef, TypeNameMetaFieldDef, valueFromASTUntyped, ValueNode,
} from 'graphql';
import { MAX_ROW_LIMIT } from '../aggregates/aggregate.inputs';
import { MAX_PAGE_SIZE } from '../common/pagination';
import { GatewayContext } from './context';

/**
 * Protection against abusive queries, checked after validation and before anything runs: a cost
 * estimate (roughly the number of values a response could hold), a depth limit and an alias limit.
 * Aggregates are the gateway's denial-of-service surface; the statement timeout bounds what slips
 * through.
 *
 * The measure is one pass over the operation in which every named fragment is measured once and
 * then reused: a fragment spread twice by each of 30 nested fragments is 2^30 fields once expanded,
 * which a walk that expands spreads takes minutes to count (and blocks the event loop meanwhile),
 * but which this pass counts in 30 steps. Introspection fields count like any other: `__Type.fields`
 * nests without end, so they are not "bounded by the schema".
 */
export interface QueryLimits {
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
  /** Off: `__schema`, `__type` and the federation `_service` SDL are refused to callers without an API key. */
  introspection: boolean;
}

/** What one operation would cost, fragments expanded (counted as if each spread were written out). */
export interface OperationMeasure {
  cost: number;
  /** Deepest field nesting, the operation's root fields at depth 1. */
  depth: number;
  /** Aliased fields, each spread of a fragment counting its aliases again. */
  aliases: number;
  /** Fields that reveal the schema: `__schema`, `__type`, `_service`. */
  schemaFields: number;
  /** How many times each fragment's selection set was walked: 1 for every fragment the operation reaches. */
  fragmentVisits: Map<string, number>;
  /** Whether a variable's value entered the measure (a size, @skip/@include): if not, it holds for any variables. */
  readsVariables: boolean;
}

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
 * (a unit's services, level histories, links, introspection's types and fields...) count
 * DEFAULT_LIST_SIZE.
 */
const LIST_SIZES: Record<string, number> = {
  'Unit.children': 100,
  'AggregateRow.measures': 1,
  'Kpi.trend': 36,
  'PlanCompliance.units': 100,
  'TargetCompliance.units': 100,
};
const DEFAULT_LIST_SIZE = 10;

/** Root fields that reveal the schema (the federation SDL as much as introspection does). */
const SCHEMA_FIELDS = new Set(['__schema', '__type', '_service']);

type Variables = Record<string, unknown>;

/** Reads a value node as sent, variables substituted (valueFromASTUntyped over the request's variables). */
type ReadValue = (node: ValueNode) => unknown;

/** Whether a value node holds a variable anywhere in it. */
function holdsVariable(node: ValueNode): boolean {
  if (node.kind === Kind.VARIABLE) return true;
  if (node.kind === Kind.LIST) return node.values.some(holdsVariable);
  if (node.kind === Kind.OBJECT) return node.fields.some((f) => holdsVariable(f.value));
  return false;
}

/** Sub-measure of a selection set, relative to it: reused for each spread of a fragment. */
interface SetMeasure {
  cost: number;
  depth: number;
  aliases: number;
  schemaFields: number;
}

const EMPTY: SetMeasure = { cost: 0, depth: 0, aliases: 0, schemaFields: 0 };

/** An argument's value as sent (literal or variable, uncoerced), else the field's default. */
function argumentValue(field: FieldNode, def: GraphQLField<unknown, unknown> | undefined, name: string, read: ReadValue): unknown {
  const node = field.arguments?.find((a) => a.name.value === name);
  if (node) return read(node.value);
  return def?.args.find((a) => a.name === name)?.defaultValue;
}

/** The list size a field's arguments ask for (first, last, limit, or an aggregate query's limit), capped at what validation allows. */
function sizeFromArguments(field: FieldNode, def: GraphQLField<unknown, unknown> | undefined, read: ReadValue): number | undefined {
  for (const [name, max] of Object.entries(SIZE_ARGS)) {
    const v = argumentValue(field, def, name, read);
    if (typeof v === 'number') return Math.min(Math.max(v, 0), max);
  }
  const q = argumentValue(field, def, 'query', read) as Record<string, unknown> | undefined;
  if (q && typeof q === 'object' && typeof q.limit === 'number') return Math.min(Math.max(q.limit, 0), MAX_ROW_LIMIT);
  return undefined;
}

/** How many values one field may multiply its children by. */
function listSize(parent: GraphQLCompositeType, field: FieldNode, def: GraphQLField<unknown, unknown> | undefined, read: ReadValue): number {
  const sized = sizeFromArguments(field, def, read);
  if (sized !== undefined) return sized;
  if (!def || !isListType(getNullableType(def.type)) || SIZED_BY_ANCESTOR.has(def.name)) return 1;
  return LIST_SIZES[`${parent.name}.${def.name}`] ?? DEFAULT_LIST_SIZE;
}

/** `@skip(if: true)` or `@include(if: false)`: the selection does not run, so it costs nothing. */
function isSkipped(directives: readonly DirectiveNode[] | undefined, read: ReadValue): boolean {
  for (const d of directives ?? []) {
    if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    const value = arg ? read(arg.value) : undefined;
    if (typeof value !== 'boolean') continue; // invalid: validation or execution refuses it
    if ((d.name.value === 'skip') === value) return true;
  }
  return false;
}

/** The definition of a field, meta fields included (they are on no type's field map). */
function fieldDefinition(schema: GraphQLSchema, parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/** Adds the measure of a fragment's selections to the selection set that spreads it (a spread adds no depth). */
function add(into: SetMeasure, m: SetMeasure): void {
  into.cost += m.cost;
  into.depth = Math.max(into.depth, m.depth);
  into.aliases += m.aliases;
  into.schemaFields += m.schemaFields;
}

/**
 * Measures the operation in one pass. Each field costs 1 plus its children, times the list size it
 * can return; selections of a fragment or inline fragment add up (an upper bound where type
 * conditions exclude each other). A named fragment is read on its own type condition, so its
 * measure does not depend on where it is spread: it is computed on first use and reused, keyed by
 * name (validation has already rejected cycles and unknown fragments).
 */
export function measureOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables = {}): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const vars: Variables = { ...variableDefaults(operation), ...variables };
  let readsVariables = false;
  const read: ReadValue = (node) => {
    if (!readsVariables && holdsVariable(node)) readsVariables = true;
    return valueFromASTUntyped(node, vars);
  };
  const memo = new Map<string, SetMeasure>();
  const fragmentVisits = new Map<string, number>();

  const fragmentMeasure = (name: string): SetMeasure => {
    const known = memo.get(name);
    if (known) return known;
    const frag = fragments.get(name);
    const type = frag ? schema.getType(frag.typeCondition.name.value) : undefined;
    // Stored before the walk so that a cycle (which validation rejects) could not recurse.
    memo.set(name, EMPTY);
    fragmentVisits.set(name, (fragmentVisits.get(name) ?? 0) + 1);
    const m = frag && type && isCompositeType(type) ? measureSet(frag.selectionSet, type) : EMPTY;
    memo.set(name, m);
    return m;
  };

  const measureSet = (set: SelectionSetNode, parent: GraphQLCompositeType): SetMeasure => {
    const total: SetMeasure = { ...EMPTY };
    for (const s of set.selections) {
      if (isSkipped(s.directives, read)) continue;
      if (s.kind === Kind.FIELD) {
        const def = fieldDefinition(schema, parent, s.name.value);
        const child = def && s.selectionSet ? getNamedType(def.type) : undefined;
        const inner = child && isCompositeType(child) && s.selectionSet ? measureSet(s.selectionSet, child) : EMPTY;
        total.cost += 1 + listSize(parent, s, def, read) * inner.cost;
        total.depth = Math.max(total.depth, 1 + inner.depth);
        total.aliases += (s.alias ? 1 : 0) + inner.aliases;
        total.schemaFields += (SCHEMA_FIELDS.has(s.name.value) ? 1 : 0) + inner.schemaFields;
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const type = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) add(total, measureSet(s.selectionSet, type));
      } else {
        add(total, fragmentMeasure(s.name.value));
      }
    }
    return total;
  };

  const root = schema.getRootType(operation.operation);
  const m = root ? measureSet(operation.selectionSet, root) : EMPTY;
  return { ...m, fragmentVisits, readsVariables };
}

/** Defaults the operation declares for its variables, used when the request leaves them out. */
function variableDefaults(operation: OperationDefinitionNode): Variables {
  const out: Variables = {};
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue) out[v.variable.name.value] = valueFromASTUntyped(v.defaultValue);
  }
  return out;
}

function tooCostly(message: string, extra: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COSTLY', ...extra, http: { status: 400 } } });
}

/** Refuses an operation over a limit (or reading the schema while that is switched off); returns normally otherwise. */
export function checkOperation(m: OperationMeasure, limits: QueryLimits, hasKey: boolean): void {
  if (!limits.introspection && !hasKey && m.schemaFields > 0) {
    throw new GraphQLError('Introspection is switched off on this gateway; callers with an API key may still read the schema.', {
      extensions: { code: 'INTROSPECTION_DISABLED', http: { status: 400 } },
    });
  }
  if (m.depth > limits.maxDepth) {
    throw tooCostly(`Query depth ${m.depth} exceeds the limit of ${limits.maxDepth}: flatten the query.`, { depth: m.depth, maxDepth: limits.maxDepth });
  }
  if (m.aliases > limits.maxAliases) {
    throw tooCostly(`The query uses ${m.aliases} aliases, more than the ${limits.maxAliases} allowed: split it.`, { aliases: m.aliases, maxAliases: limits.maxAliases });
  }
  if (m.cost > limits.maxCost) {
    // A fragment bomb's cost can pass 2^1024; "Infinity" is no number to print.
    const cost = Number.isFinite(m.cost) ? m.cost : Number.MAX_VALUE;
    throw tooCostly(
      `Query cost ${cost} exceeds the limit of ${limits.maxCost} (about one unit per value returned; lists count at their page size or limit): lower first/limit, select fewer fields, or split the query.`,
      { cost, maxCost: limits.maxCost },
    );
  }
}

/** Apollo plugin: rejects a resolved operation over the limits before execution (so before any SQL). */
export function queryCostPlugin(limits: QueryLimits): ApolloServerPlugin<GatewayContext> {
  // Measures that hold for any variables, per parsed document and operation (Apollo hands the same
  // DocumentNode for the same text, and its document cache bounds how many live): a dashboard's
  // document is measured once, not on every request (0.8% of a unit lookup's CPU profile).
  const measures = new WeakMap<DocumentNode, Map<OperationDefinitionNode, { schema: GraphQLSchema; measure: OperationMeasure }>>();
  const measureOf = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables): OperationMeasure => {
    const known = measures.get(document)?.get(operation);
    if (known?.schema === schema) return known.measure;
    const measure = measureOperation(schema, document, operation, variables);
    if (!measure.readsVariables) {
      const byOperation = measures.get(document) ?? new Map();
      byOperation.set(operation, { schema, measure });
      measures.set(document, byOperation);
    }
    return measure;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation, contextValue }) {
          if (!operation) return;
          checkOperation(measureOf(schema, document, operation, request.variables ?? {}), limits, contextValue.caller !== undefined);
        },
      };
    },
  };
}
