import { IsEnum, IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Int, Query, Resolver } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { Indicator } from '../plans/target.entity';
import { GatewayContext } from '../server/context';
import { PeriodRange } from './aggregate.inputs';
import { LevelView, PeriodGrain, UnitView } from './dimensions';
import { KpiService } from './kpi.service';
import { Kpi } from './kpi.types';

export const MAX_TREND_PERIODS = 36;

/**
 * The arguments an indicator is read with, whoever reads it (kpi for one unit, targetCompliance for
 * a tier): a period for flows, a date for stocks, the level taxonomy, the unit view, the plan year.
 */
@ArgsType()
export class IndicatorReadArgs {
  @Field(() => PeriodRange, { nullable: true, description: 'Flow indicators: the months summed (period.to required).' })
  @IsOptional() @ValidateNested()
  period?: PeriodRange;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Stock indicators: the date (default: end of period, else today). Refused for flow indicators.' })
  asOf?: string;

  @Field(() => LevelView, { nullable: true, description: 'Required for indicators reading service levels.' })
  @IsOptional() @IsEnum(LevelView)
  levels?: LevelView;

  @Field(() => UnitView, { defaultValue: UnitView.AS_REPORTED })
  @IsEnum(UnitView)
  unitView: UnitView = UnitView.AS_REPORTED;

  @Field(() => Int, { nullable: true, description: 'PLAN_ISSUED: the plan year (default: the year of the date).' })
  @IsOptional() @IsInt() @Min(2000) @Max(2100)
  planYear?: number;
}

@ArgsType()
class KpiArgs extends IndicatorReadArgs {
  @Field(() => Indicator)
  @IsEnum(Indicator)
  indicator!: Indicator;

  @Field({ defaultValue: 'VN', description: 'The unit in scope: VN for the nation, a ministry, province or commune code.' })
  @IsString() @Length(1, 32)
  unitCode: string = 'VN';

  @Field(() => LocalDateScalar, { nullable: true, description: "Date the code is read on (codes are reused after mergers). Default: the KPI's date; today with CURRENT_UNITS." })
  unitAt?: string;

  @Field(() => Int, { defaultValue: 6, description: `Periods in the trend, at most ${MAX_TREND_PERIODS} (0: none).` })
  @IsInt() @Min(0) @Max(MAX_TREND_PERIODS)
  trendPeriods: number = 6;

  @Field(() => PeriodGrain, { defaultValue: PeriodGrain.MONTH })
  @IsEnum(PeriodGrain)
  trendGrain: PeriodGrain = PeriodGrain.MONTH;
}

@Resolver()
export class KpiResolver {
  @Query(() => Kpi, { description: 'An indicator for a unit: value with numerator and denominator, the targets in force on its date (met, gap) and those that are not, rank among peers, trend.' })
  kpi(@Args() args: KpiArgs, @Ctx() ctx: GatewayContext): Promise<Kpi> {
    return new KpiService(ctx.sql, ctx.em, ctx.config.statementTimeoutMs).kpi(args);
  }
}
