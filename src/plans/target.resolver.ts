import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { GatewayContext } from '../server/context';
import { TargetFilter } from './plan.inputs';
import { PlanService } from './plan.service';
import { Target } from './target.entity';

@Resolver(() => Target)
export class TargetResolver {
  @Query(() => [Target], {
    description: 'Targets set by law for the indicators (e.g. Resolution 17/NQ-CP: 30% of services at level 4 by the end of 2020), '
      + 'ordered by deadline. See docs/domain.md, "Targets and plans".',
  })
  targets(@Arg('filter', () => TargetFilter, { nullable: true }) filter: TargetFilter | undefined, @Ctx() ctx: GatewayContext) {
    return new PlanService(ctx.em).targets(filter ?? {});
  }
}
