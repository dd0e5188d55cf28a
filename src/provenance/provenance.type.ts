import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { GatewayContext } from '../server/context';
import { IngestRun } from './ingest-run.entity';
import { Source } from './source.entity';
import { Sourced } from './sourced.entity';

@ObjectType({ description: 'Where a fact comes from: the source that reported it, the run that wrote it, and when.' })
export class Provenance {
  @Field(() => Source)
  source!: Source;

  @Field(() => IngestRun)
  run!: IngestRun;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

/** Resolves a fact's provenance through the request's loaders (batched across rows). */
export async function provenanceOf(fact: Sourced, ctx: GatewayContext): Promise<Provenance> {
  const [source, run] = await Promise.all([ctx.loaders.sourceById.load(fact.source.id), ctx.loaders.runById.load(fact.run.id)]);
  return { source: source!, run: run!, updatedAt: fact.updatedAt };
}
