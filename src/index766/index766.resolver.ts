import { IsEnum, IsString, Length } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Query, Resolver } from 'type-graphql';
import { GatewayContext } from '../server/context';
import { UnitKind } from '../units/unit.entity';
import { Index766Service } from './index766.service';
import { Index766 } from './index766.types';

@ArgsType()
class Index766Args {
  @Field(() => UnitKind, { defaultValue: UnitKind.PROVINCE, description: 'PROVINCE or MINISTRY.' })
  @IsEnum(UnitKind)
  tier: UnitKind = UnitKind.PROVINCE;

  @Field({ description: 'A month YYYY-MM, a quarter YYYY-Qn or a year YYYY, from the decision (June 2022) on.' })
  @IsString() @Length(1, 16)
  period!: string;
}

@Resolver()
export class Index766Resolver {
  @Query(() => Index766, {
    description: 'The Decision 766/QĐ-TTg index of every province or ministry for a month, quarter or year: the five groups with each '
      + 'criterion computed from the facts where the data allows (NOT_SUPPORTED with the reason otherwise), the total of the computed '
      + 'part and the rank, beside the national portal\'s published scores. Weights: data/reference/index-766.json; docs/index-766.md.',
  })
  index766(@Args() args: Index766Args, @Ctx() ctx: GatewayContext): Promise<Index766> {
    return new Index766Service(ctx.sql, ctx.em, ctx.config.statementTimeoutMs).index(args);
  }
}
