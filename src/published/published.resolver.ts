import { IsEnum, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Float, Query, Resolver } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { IndicatorReadArgs } from '../aggregates/kpi.resolver';
import { Indicator } from '../plans/target.entity';
import { GatewayContext } from '../server/context';
import { PublishedService } from './published.service';
import { PublishedVsComputed } from './published.types';

@ArgsType()
class PublishedVsComputedArgs extends IndicatorReadArgs {
  @Field({ defaultValue: 'VN', description: 'The unit whose published figures are compared: VN, a ministry, province or commune code.' })
  @IsString() @Length(1, 32)
  unitCode: string = 'VN';

  @Field(() => LocalDateScalar, { nullable: true, description: 'Date the code is read on (codes are reused after mergers). Default: asOf, else the last day of period.' })
  unitAt?: string;

  @Field(() => Indicator, { nullable: true, description: 'Only this indicator (default: every published indicator).' })
  @IsOptional() @IsEnum(Indicator)
  indicator?: Indicator;

  @Field(() => Float, { nullable: true, description: 'Overrides PUBLISHED_TOLERANCE_POINTS: a difference beyond this many percentage points is flagged.' })
  @IsOptional() @IsNumber({ maxDecimalPlaces: 4 }) @Min(0) @Max(100)
  tolerancePoints?: number;
}

@Resolver()
export class PublishedResolver {
  @Query(() => PublishedVsComputed, {
    description: 'The figures documents published for a unit (period: flows whose month, quarter or year lies in it, stocks dated in it; '
      + 'asOf: stocks published on that date), each beside the value computed from detail for the same period or date, the difference '
      + 'in percentage points (published − computed) and a flag beyond the tolerance. docs/index-766.md, "Published versus computed".',
  })
  publishedVsComputed(@Args() args: PublishedVsComputedArgs, @Ctx() ctx: GatewayContext): Promise<PublishedVsComputed> {
    return new PublishedService(ctx.sql, ctx.em, ctx.config.statementTimeoutMs).publishedVsComputed(args, ctx.config.publishedTolerancePoints);
  }
}
