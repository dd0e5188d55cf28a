import { IsOptional, ValidateNested } from 'class-validator';
import { GraphQLResolveInfo } from 'graphql';
import { Args, ArgsType, Ctx, Field, FieldResolver, Info, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs } from '../common/pagination';
import { Procedure } from '../procedures/procedure.entity';
import { Provenance, provenanceOf } from '../provenance/provenance.type';
import { GatewayContext } from '../server/context';
import { readAt, Unit } from '../units/unit.entity';
import { FilingStat } from './filing-stat.entity';
import { FilingStatFilter } from './filing.inputs';
import { FilingService } from './filing.service';
import { FilingStatNode } from './filing-row.mapper';
import { asSourced } from '../procedures/procedure-row.mapper';

@ObjectType()
export class FilingStatConnection extends Connection(FilingStat) {}

@ArgsType()
class FilingStatsArgs extends PageArgs {
  @Field(() => FilingStatFilter, { nullable: true })
  @IsOptional() @ValidateNested()
  filter?: FilingStatFilter;
}

@Resolver(() => FilingStat)
export class FilingStatResolver {
  @Query(() => FilingStatConnection, { description: 'Monthly filing statistics, ordered by month, unit, procedure.' })
  filingStats(@Args() { filter, ...page }: FilingStatsArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    return new FilingService(ctx.sql, ctx.loaders).list(filter ?? {}, page, info);
  }

  @FieldResolver(() => Unit, { description: 'The unit that reported the counts, named as on the first day of the month.' })
  async unit(@Root() stat: FilingStatNode, @Ctx() ctx: GatewayContext) {
    const unit = await ctx.loaders.unitById.load(stat.unit.id);
    return unit ? readAt(unit, String(stat.month).slice(0, 10)) : unit;
  }

  @FieldResolver(() => Procedure)
  procedure(@Root() stat: FilingStatNode, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.procedureById.load(stat.procedure.id);
  }

  @FieldResolver(() => Provenance)
  provenance(@Root() stat: FilingStatNode, @Ctx() ctx: GatewayContext) {
    return provenanceOf(asSourced(stat), ctx);
  }
}
