import { IsOptional, ValidateNested } from 'class-validator';
import { GraphQLResolveInfo } from 'graphql';
import { Args, ArgsType, Ctx, Field, FieldResolver, Info, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs } from '../common/pagination';
import { Provenance, provenanceOf } from '../provenance/provenance.type';
import { GatewayContext } from '../server/context';
import { readAt, Unit } from '../units/unit.entity';
import { Plan } from './plan.entity';
import { PlanFilter } from './plan.inputs';
import { PlanService } from './plan.service';

@ObjectType()
export class PlanConnection extends Connection(Plan) {}

@ArgsType()
class PlansArgs extends PageArgs {
  @Field(() => PlanFilter, { nullable: true })
  @IsOptional() @ValidateNested()
  filter?: PlanFilter;
}

@Resolver(() => Plan)
export class PlanResolver {
  @Query(() => PlanConnection, { description: 'Yearly plans, ordered by year and unit.' })
  plans(@Args() { filter, ...page }: PlansArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    return new PlanService(ctx.em).list(filter ?? {}, page, info);
  }

  @FieldResolver(() => Unit, { description: 'The unit the plan belongs to, named as on the last day of the plan year (a rename during a later year does not rename old plans).' })
  async unit(@Root() plan: Plan, @Ctx() ctx: GatewayContext) {
    const unit = await ctx.loaders.unitById.load(plan.unit.id);
    return unit ? readAt(unit, `${plan.year}-12-31`) : unit;
  }

  @FieldResolver(() => Provenance)
  provenance(@Root() plan: Plan, @Ctx() ctx: GatewayContext) {
    return provenanceOf(plan, ctx);
  }
}
