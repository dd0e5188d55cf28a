import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { FilingStat } from '../filings/filing-stat.entity';
import { FactType, RevisionReason } from '../provenance/fact-revision.entity';
import { IngestRun } from '../provenance/ingest-run.entity';
import { Source } from '../provenance/source.entity';
import { GatewayContext } from '../server/context';
import { FactRevisionType } from './fact-revision.type';
import { redactAddresses, redactedOrigin } from './address-redaction';
import { filingKey } from './source.loader';
import { nextRun, SourceService } from './source.service';

@ArgsType()
class LastArgs {
  @Field(() => Int, { defaultValue: 10, description: 'Most recent first, at most 100.' })
  @IsInt() @Min(1) @Max(100)
  last: number = 10;
}

@ArgsType()
class RevisionArgs {
  @Field({ nullable: true, description: 'Only values this source reported.' })
  @IsOptional() @IsString() @Length(1, 64)
  sourceCode?: string;

  @Field(() => FactType, { nullable: true })
  @IsOptional() @IsIn(Object.values(FactType))
  factType?: FactType;

  @Field(() => RevisionReason, { nullable: true })
  @IsOptional() @IsIn(Object.values(RevisionReason))
  reason?: RevisionReason;

  @Field(() => Int, { defaultValue: 50, description: 'Most recent first, at most 500.' })
  @IsInt() @Min(1) @Max(500)
  last: number = 50;
}

@Resolver(() => Source)
export class SourceResolver {
  @Query(() => [Source], { description: 'Every data source, ordered by code, with its health and freshness.' })
  sources(@Ctx() ctx: GatewayContext) {
    return new SourceService(ctx.em).list();
  }

  @Query(() => Source, { nullable: true, description: 'One source by code.' })
  source(@Arg('code') code: string, @Ctx() ctx: GatewayContext) {
    return new SourceService(ctx.em).get(code);
  }

  @FieldResolver(() => [IngestRun], { description: 'The source\'s last ingest runs (syncs, pushes, imports), newest first.' })
  runs(@Root() source: Source, @Args() { last }: LastArgs, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.runsBySource.load(`${source.id}|${last}`);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Where the source is pulled from. Callers with an API key see the full URL; others see only its scheme, with host and port redacted (e.g. "http://***:****"), since the address of an upstream system is internal.',
  })
  baseUrl(@Root() source: Source, @Ctx() ctx: GatewayContext): string | null {
    if (!source.baseUrl) return null;
    return ctx.caller ? source.baseUrl : redactedOrigin(source.baseUrl);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Why the last sync failed; null once a sync succeeds. Callers without an API key see addresses in it (URLs, IP addresses) redacted.',
  })
  lastError(@Root() source: Source, @Ctx() ctx: GatewayContext): string | null {
    if (!source.lastError) return null;
    return ctx.caller ? source.lastError : redactAddresses(source.lastError);
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: 'When the schedule next fires (null: synced on demand only, or not synced).' })
  nextSyncAt(@Root() source: Source, @Ctx() ctx: GatewayContext) {
    // With SYNC_SCHEDULES off no schedule fires, whatever the registry says.
    return ctx.config.syncSchedules ? nextRun(source.schedule) : null;
  }

  @Query(() => [FactRevisionType], { description: 'Replaced and outranked values, newest first: what sources said that the facts no longer show.' })
  factRevisions(@Args() args: RevisionArgs, @Ctx() ctx: GatewayContext) {
    return new SourceService(ctx.em).revisions(args);
  }
}

@Resolver(() => FactRevisionType)
export class FactRevisionResolver {
  @FieldResolver(() => Source, { description: 'The source that reported this value.' })
  source(@Root() r: FactRevisionType, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.sourceById.load(r.valueSourceId);
  }

  @FieldResolver(() => IngestRun, { nullable: true, description: 'The run that brought this value.' })
  valueRun(@Root() r: FactRevisionType, @Ctx() ctx: GatewayContext) {
    return r.valueRunId === null ? null : ctx.loaders.runById.load(r.valueRunId);
  }

  @FieldResolver(() => IngestRun, { description: 'The run that replaced this value, or in which it lost.' })
  recordedBy(@Root() r: FactRevisionType, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.runById.load(r.runId);
  }
}

/** Adds the revisions of a filing statistic (another resolver class for the same type). */
@Resolver(() => FilingStat)
export class FilingStatRevisionResolver {
  @FieldResolver(() => [FactRevisionType], { description: 'Values this statistic had before corrections, and values other sources reported that lost on precedence; oldest first.' })
  revisions(@Root() stat: FilingStat, @Ctx() ctx: GatewayContext) {
    const month = (stat.month as unknown) instanceof Date ? (stat.month as unknown as Date).toISOString().slice(0, 10) : String(stat.month).slice(0, 10);
    return ctx.loaders.filingRevisions.load(filingKey(month, stat.unit.id, stat.procedure.id));
  }
}
