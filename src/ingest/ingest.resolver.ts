import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { badUserInput, forbidden, unauthenticated } from '../common/errors';
import { IngestRun } from '../provenance/ingest-run.entity';
import { GatewayContext } from '../server/context';
import { IngestBatchInput } from './ingest.inputs';
import { BatchRejected, IngestService } from './ingest.service';
import { IngestResultType } from './ingest.types';

/** Strips the class instances type-graphql builds into plain rows for the ingest core. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

@Resolver()
export class IngestResolver {
  @Mutation(() => IngestResultType, {
    description: 'Pushes a batch of facts (needs an API key scoped to the units it writes). Written whole in one transaction, or rejected whole with every problem listed in extensions.problems.',
  })
  async ingest(@Arg('batch', () => IngestBatchInput) batch: IngestBatchInput, @Ctx() ctx: GatewayContext): Promise<IngestResultType> {
    if (!ctx.caller) throw unauthenticated();
    try {
      const result = await new IngestService(ctx.sql, ctx.services.metrics).ingest(plain(batch), {
        sourceId: ctx.caller.sourceId,
        kind: 'push',
        caller: ctx.caller,
        maxRows: ctx.config.maxBatchRows,
        years: ctx.config,
      });
      const run = await ctx.em.findOneOrFail(IngestRun, result.runId);
      return { ...result, run };
    } catch (e) {
      if (e instanceof BatchRejected) {
        const more = e.total > e.problems.length ? ` (first ${e.problems.length} listed)` : '';
        const message = `${e.message}${more}; nothing was written`;
        throw e.kind === 'forbidden' ? forbidden(message, e.problems) : badUserInput(message, e.problems);
      }
      throw e;
    }
  }
}
