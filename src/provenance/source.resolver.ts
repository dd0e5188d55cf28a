import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Args, ArgsType, Ctx, Field, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { GatewayContext } from '../server/context';
import { redactAddresses } from '../sources/address-redaction';
import { IngestRun } from './ingest-run.entity';
import { Source } from './source.entity';

@ArgsType()
class RunsArgs {
  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 64)
  sourceCode?: string;

  @Field(() => Int, { defaultValue: 20, description: 'Most recent first, at most 200.' })
  @IsInt() @Min(1) @Max(200)
  last: number = 20;
}

// The sources query lives in src/sources/source.resolver.ts (with health, freshness and runs).
@Resolver(() => IngestRun)
export class IngestRunResolver {
  @Query(() => [IngestRun], { description: 'Recent ingest runs, newest first.' })
  ingestRuns(@Args() { sourceCode, last }: RunsArgs, @Ctx() ctx: GatewayContext) {
    return ctx.em.find(IngestRun, sourceCode ? { source: { code: sourceCode } } : {}, { orderBy: { id: 'desc' }, limit: last });
  }

  @FieldResolver(() => Source)
  source(@Root() run: IngestRun, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.sourceById.load(run.source.id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Why the run was rejected, failed or abandoned. Callers without an API key see addresses in it (URLs, IP addresses) redacted.',
  })
  error(@Root() run: IngestRun, @Ctx() ctx: GatewayContext): string | null {
    if (!run.error) return null;
    return ctx.caller ? run.error : redactAddresses(run.error);
  }
}
