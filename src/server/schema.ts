import { buildSubgraphSchema } from '@apollo/subgraph';
import DataLoader from 'dataloader';
import {
  GraphQLInputType, GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isListType, isNonNullType, isObjectType, lexicographicSortSchema, parse, printSchema,
} from 'graphql';
import { buildSchema, createResolversMap, getMetadataStorage, NonEmptyArray } from 'type-graphql';
import { argumentValidator } from '../common/argument-validator';
import { badUserInput } from '../common/errors';
import { AggregateResolver, AggregateRowResolver } from '../aggregates/aggregate.resolver';
import { KpiResolver } from '../aggregates/kpi.resolver';
import { PlanComplianceResolver } from '../aggregates/plan-compliance.resolver';
import { TargetComplianceResolver } from '../aggregates/target-compliance.resolver';
import { FilingStatResolver } from '../filings/filing.resolver';
import { IngestResolver } from '../ingest/ingest.resolver';
import { LiveResolver } from '../live/live.resolver';
import { PlanResolver } from '../plans/plan.resolver';
import { PublishedResolver } from '../published/published.resolver';
import { Index766Resolver } from '../index766/index766.resolver';
import { TargetResolver } from '../plans/target.resolver';
import { ProcedureResolver } from '../procedures/procedure.resolver';
import { IngestRunResolver } from '../provenance/source.resolver';
import { ServiceLevelResolver, ServiceResolver } from '../services/service.resolver';
import { FactRevisionResolver, FilingStatRevisionResolver, SourceResolver } from '../sources/source.resolver';
import { SyncResolver } from '../sync/sync.resolver';
import { UnitResolver } from '../units/unit.resolver';
import { GatewayContext } from './context';
import { ProblemList } from './input-hygiene.plugin';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  UnitResolver, ProcedureResolver, ServiceResolver, ServiceLevelResolver, FilingStatResolver, PlanResolver,
  TargetResolver, SourceResolver, IngestRunResolver, IngestResolver, AggregateResolver, AggregateRowResolver,
  KpiResolver, PlanComplianceResolver, TargetComplianceResolver, FactRevisionResolver, FilingStatRevisionResolver, SyncResolver,
  LiveResolver, PublishedResolver, Index766Resolver,
];

/** Entities a federation router may ask this subgraph for, by id (`@key(fields: "id")`), through the request's loaders. */
type Reference = { id: string };
const load = (loader: (ctx: GatewayContext) => DataLoader<number, unknown>) => (ref: Reference, ctx: GatewayContext) => loader(ctx).load(Number(ref.id));
const REFERENCES: Record<string, (ref: Reference, ctx: GatewayContext) => Promise<unknown>> = {
  Unit: load((c) => c.loaders.unitById),
  Procedure: load((c) => c.loaders.procedureById),
  Sector: load((c) => c.loaders.sectorById),
  Service: load((c) => c.loaders.serviceById),
  Source: load((c) => c.loaders.sourceById),
};

/** Largest id of an entity (integer primary keys): anything beyond is not an id of ours, and SQL would refuse it. */
const MAX_ENTITY_ID = 2_147_483_647;

/** Why a router's representation cannot name one of our entities, or undefined when it can. */
function referenceProblem(ref: unknown): string | undefined {
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) return 'must be an object { __typename, id }';
  const { __typename: type, id } = ref as Record<string, unknown>;
  if (typeof type !== 'string' || !Object.hasOwn(REFERENCES, type)) {
    return `unknown __typename ${JSON.stringify(typeof type === 'string' ? type.slice(0, 64) : type ?? null)} (entities: ${Object.keys(REFERENCES).join(', ')})`;
  }
  const text = typeof id === 'number' ? String(id) : id;
  if (typeof text !== 'string' || !/^[1-9]\d{0,9}$/.test(text) || Number(text) > MAX_ENTITY_ID) {
    return `id must be a positive whole number up to ${MAX_ENTITY_ID}, got ${JSON.stringify(typeof id === 'string' ? id.slice(0, 64) : id ?? null)}`;
  }
  return undefined;
}

/**
 * Checks `_entities(representations:)` before @apollo/subgraph resolves them: it answers an
 * unknown __typename with a plain Error (an internal error to the client), and `Number(id)` of a
 * malformed id reached SQL. Every bad representation is named, `representations[i]`.
 */
function withCheckedRepresentations(schema: GraphQLSchema): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  if (!field || !resolve) return schema;
  field.resolve = (source, args, context, info) => {
    const representations = (args as { representations?: unknown[] }).representations ?? [];
    const problems = new ProblemList();
    representations.forEach((ref, i) => {
      const reason = referenceProblem(ref);
      if (reason) problems.add(`representations[${i}]`, reason);
    });
    if (problems.total > 0) throw badUserInput(`${problems.total} bad entity representation(s)`, problems.list);
    return resolve(source, args, context, info);
  };
  return schema;
}

/**
 * type-graphql wants a PubSub as soon as there is a subscription, even when every one brings its
 * own `subscribe` (src/live/live.resolver.ts: LiveUpdates, per process, through the context).
 * There are no topics: this one refuses to be used.
 */
const NO_PUBSUB = {
  publish(): void {
    throw new Error('subscriptions subscribe through LiveUpdates (src/live/), not a PubSub');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('subscriptions subscribe through LiveUpdates (src/live/), not a PubSub');
  },
};

const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

/**
 * The schema, served as an Apollo Federation 2 subgraph: the types above carry `@key`, and the
 * router's `_service` and `_entities` fields come with it, so integrators can compose dvc-gateway
 * into their own supergraph. Everything else is the type-graphql schema unchanged.
 */
export async function createSchema(): Promise<GraphQLSchema> {
  // validate: type-graphql 2 leaves class-validator off unless asked; validateFn does what it
  // would do (the same rules and errors), without importing class-validator anew for each argument
  // (type-graphql's `await import()`: a require() per resolver call, 1.8% of a unit lookup's CPU
  // profile) and with a fast path for arguments that pass (common/argument-validator.ts).
  const schema = withPlainFieldsUnwrapped(await buildSchema({ resolvers, validate: { forbidUnknownValues: false }, validateFn: argumentValidator(), emitSchemaFile: false, pubSub: NO_PUBSUB }));
  const map = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [type, resolve] of Object.entries(REFERENCES)) map[type] = { ...map[type], __resolveReference: resolve };
  // The keys are added to the printed SDL (type-graphql's @Directive leaves types without fields
  // in the AST federation reads).
  const entities = new RegExp(`^type (${Object.keys(REFERENCES).join('|')}) \\{`, 'gm');
  const sdl = printSchema(schema).replace(entities, 'type $1 @key(fields: "id") {');
  return withCheckedRepresentations(withInternalEnumDefaults(buildSubgraphSchema([{ typeDefs: parse(`${FEDERATION_LINK}\n${sdl}`), resolvers: map as never }])));
}

/**
 * type-graphql gives every plain field (a property, no @FieldResolver) a resolver of its own that
 * runs the field's middlewares and then reads the property: an object and a call per field of
 * every answer, for a schema that has no middlewares. Without a resolver, graphql-js reads the
 * property itself, and compiled queries (compiled-execution.ts) inline the read: a 2,000-row
 * aggregate has 36,000 such fields. Unwrapped only where that is the same: no middleware, no
 * roles, and the property's name is the field's name (graphql's default reads the field's name).
 */
function withPlainFieldsUnwrapped(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  const classOf = new Map(storage.objectTypes.map((o) => [o.name, o.target]));
  for (const type of Object.values(schema.getTypeMap())) {
    const target = isObjectType(type) ? classOf.get(type.name) : undefined;
    if (!target || !isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.resolve) continue;
      // The field's declaration: on the class or one it extends (inherited fields), as type-graphql finds it.
      let declared;
      for (let c: unknown = target; c && c !== Function.prototype && !declared; c = Object.getPrototypeOf(c)) {
        declared = storage.fields.find((f) => f.target === c && f.schemaName === field.name);
      }
      if (!declared || declared.name !== declared.schemaName || declared.middlewares?.length || declared.roles?.length) continue;
      const hasResolver = storage.fieldResolvers.some((r) => r.getObjectType?.() === declared.target && r.methodName === declared.name);
      if (!hasResolver) field.resolve = undefined;
    }
  }
  return schema;
}

/**
 * Rebuilt from SDL, argument and input-field defaults hold enum *names* ("MONTH"), parsed before
 * the resolver map gave the enums their internal values ("month"); resolvers would get the name.
 * Turns every enum default back into the internal value.
 */
function withInternalEnumDefaults(schema: GraphQLSchema): GraphQLSchema {
  const internal = (type: GraphQLInputType, value: unknown): unknown => {
    if (value === undefined || value === null) return value;
    if (isNonNullType(type)) return internal(type.ofType, value);
    if (isListType(type)) return Array.isArray(value) ? value.map((v) => internal(type.ofType, v)) : internal(type.ofType, value);
    if (isEnumType(type) && typeof value === 'string') return type.getValue(value)?.value ?? value;
    if (isInputObjectType(type) && typeof value === 'object') {
      const fields = type.getFields();
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fields[k] ? internal(fields[k].type, v) : v]));
    }
    return value;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) for (const arg of field.args) arg.defaultValue = internal(arg.type, arg.defaultValue);
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) field.defaultValue = internal(field.type, field.defaultValue);
    }
  }
  return schema;
}

export const SCHEMA_HEADER = '# Generated from the code by `npm run schema:emit`. Do not edit: CI checks it (`npm run schema:check`).\n\n';

/** The SDL as committed in schema/schema.graphql: sorted, so diffs show real changes only. */
export function printSortedSchema(schema: GraphQLSchema): string {
  return SCHEMA_HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
}
