import { IsString, Length } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Mutation, ObjectType, registerEnumType, Resolver } from 'type-graphql';
import { badUserInput, forbidden, unauthenticated } from '../common/errors';
import { IngestRun } from '../provenance/ingest-run.entity';
import { Source } from '../provenance/source.entity';
import { GatewayContext } from '../server/context';
import { requestSync, SyncRequestStatus } from './sync.runtime';

export enum SyncState {
  SUCCEEDED = 'succeeded',
  REJECTED = 'rejected',
  FAILED = 'failed',
  BUSY = 'busy',
  QUEUED = 'queued',
  RUNNING = 'running',
}
registerEnumType(SyncState, {
  name: 'SyncState',
  description: 'SUCCEEDED: applied; REJECTED: the source sent rows that break the rules, nothing written; FAILED: the source could not be read, nothing written; BUSY: this source is being synced elsewhere; QUEUED / RUNNING: not finished yet (see the source\'s runs).',
});

@ObjectType({ description: 'What an on-demand sync did.' })
export class SyncResult {
  @Field(() => SyncState)
  state!: SyncState;

  @Field(() => Source, { description: 'The source, with its health after the run.' })
  source!: Source;

  @Field(() => IngestRun, { nullable: true, description: 'The run, once it exists.' })
  run?: IngestRun;

  @Field({ nullable: true, description: 'Why it did not succeed.' })
  error?: string;

  @Field({ nullable: true, description: 'The job in the queue, when the sync went through it.' })
  jobId?: string;
}

@ArgsType()
class SyncArgs {
  @Field({ description: 'The source code, e.g. "dvcqg", "igate-80".' })
  @IsString() @Length(1, 64)
  code!: string;

  @Field({ defaultValue: true, description: 'Wait for the run to finish (up to two minutes).' })
  wait: boolean = true;

  @Field({ defaultValue: false, description: 'Read the source from its beginning instead of from the saved cursor.' })
  full: boolean = false;
}

@Resolver()
export class SyncResolver {
  @Mutation(() => SyncResult, { description: 'Syncs one source now (needs an API key scoped to the whole nation, "*"). A run writes everything it read, or nothing.' })
  async syncSource(@Args() { code, wait, full }: SyncArgs, @Ctx() ctx: GatewayContext): Promise<SyncResult> {
    if (!ctx.caller) throw unauthenticated();
    if (!ctx.caller.unitCodes.includes('*')) throw forbidden(`The key ${ctx.caller.name} may not sync sources: that needs a key scoped to the whole nation (*).`);
    const rt = ctx.services.sync;
    if (!rt) throw badUserInput('This gateway process does not sync sources.');
    if (!rt.sync.has(code)) throw badUserInput(`Unknown source ${code}`, [{ field: 'code', reason: `no source ${code} in the registry (${rt.sync.sources.map((s) => s.code).join(', ')})` }]);
    const result = await requestSync(rt, code, { wait, full });
    ctx.em.clear();
    const source = await ctx.em.findOneOrFail(Source, { code });
    const run = result.outcome?.runId ? await ctx.em.findOne(IngestRun, result.outcome.runId) : null;
    return { state: result.status as SyncRequestStatus as SyncState, source, run: run ?? undefined, error: result.error, jobId: result.jobId };
  }
}
