import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { GatewayContext } from '../server/context';
import { TargetFilter } from './plan.inputs';
import { PlanService } from './plan.service';
import { Target } from './target.entity';

@Resolver(() => Target)
export class TargetResolver {
  @Query(() => [Target], { description: 'Targets (domain.md section 7), ordered by deadline.' })
  targets(@Arg('filter', () => TargetFilter, { nullable: true }) filter: TargetFilter | undefined, @Ctx() ctx: GatewayContext) {
    return new PlanService(ctx.em).targets(filter ?? {});
  }
}
