import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, NonEmptyArray } from 'type-graphql';
import { AggregateResolver, AggregateRowResolver } from '../aggregates/aggregate.resolver';
import { KpiResolver } from '../aggregates/kpi.resolver';
import { PlanComplianceResolver } from '../aggregates/plan-compliance.resolver';
import { FilingStatResolver } from '../filings/filing.resolver';
import { IngestResolver } from '../ingest/ingest.resolver';
import { PlanResolver } from '../plans/plan.resolver';
import { TargetResolver } from '../plans/target.resolver';
import { ProcedureResolver } from '../procedures/procedure.resolver';
import { IngestRunResolver } from '../provenance/source.resolver';
import { ServiceLevelResolver, ServiceResolver } from '../services/service.resolver';
import { FactRevisionResolver, FilingStatRevisionResolver, SourceResolver } from '../sources/source.resolver';
import { SyncResolver } from '../sync/sync.resolver';
import { UnitResolver } from '../units/unit.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  UnitResolver, ProcedureResolver, ServiceResolver, ServiceLevelResolver, FilingStatResolver, PlanResolver,
  TargetResolver, SourceResolver, IngestRunResolver, IngestResolver, AggregateResolver, AggregateRowResolver,
  KpiResolver, PlanComplianceResolver, FactRevisionResolver, FilingStatRevisionResolver, SyncResolver,
];

export async function createSchema(): Promise<GraphQLSchema> {
  // validate: type-graphql 2 leaves class-validator off unless asked.
  return buildSchema({ resolvers, validate: { forbidUnknownValues: false }, emitSchemaFile: false });
}

export const SCHEMA_HEADER = '# Generated from the code by `npm run schema:emit`. Do not edit: CI checks it (`npm run schema:check`).\n\n';

/** The SDL as committed in schema/schema.graphql: sorted, so diffs show real changes only. */
export function printSortedSchema(schema: GraphQLSchema): string {
  return SCHEMA_HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
}
