import { IsDateString, IsEnum, IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Int, Query, Resolver } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { Indicator } from '../plans/target.entity';
import { GatewayContext } from '../server/context';
import { UnitKind } from '../units/unit.entity';
import { PeriodRange } from './aggregate.inputs';
import { LevelView, UnitView } from './dimensions';
import { TargetComplianceService } from './target-compliance.service';
import { TargetCompliance } from './target-compliance.types';

@ArgsType()
class TargetComplianceArgs {
  @Field({ nullable: true, description: 'A target code (e.g. "NQ17-2020-LEVEL4"): every unit judged against it. Give it or `indicator` (both: they must agree).' })
  @IsOptional() @IsString() @Length(1, 64)
  target?: string;

  @Field(() => Indicator, { nullable: true, description: 'Every target of the indicator whose scope (scopeKinds) includes the tier.' })
  @IsOptional() @IsEnum(Indicator)
  indicator?: Indicator;

  @Field(() => PeriodRange, { nullable: true, description: 'Flow indicators: the months summed (period.to required).' })
  @IsOptional() @ValidateNested()
  period?: PeriodRange;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Stock indicators: the date (default: end of period, else today). Refused for flow indicators.' })
  @IsOptional() @IsDateString({ strict: true })
  asOf?: string;

  @Field(() => UnitKind, { defaultValue: UnitKind.PROVINCE, description: 'PROVINCE or MINISTRY.' })
  @IsEnum(UnitKind)
  tier: UnitKind = UnitKind.PROVINCE;

  @Field(() => UnitView, { defaultValue: UnitView.AS_REPORTED })
  @IsEnum(UnitView)
  unitView: UnitView = UnitView.AS_REPORTED;

  @Field(() => LevelView, { nullable: true, description: 'Required for indicators reading service levels.' })
  @IsOptional() @IsEnum(LevelView)
  levels?: LevelView;

  @Field(() => Int, { nullable: true, description: 'PLAN_ISSUED only: the plan year (default: the year of the date).' })
  @IsOptional() @IsInt() @Min(2000) @Max(2100)
  planYear?: number;
}

@Resolver()
export class TargetComplianceResolver {
  @Query(() => TargetCompliance, {
    description: 'Every unit of a tier judged against a target (or every target of an indicator) on a date or over a period: each unit '
      + 'MET, MISSED, NOT_IN_FORCE or NO_DATA with its value, gap and rank, units without data included; counts per status and per '
      + 'target; and the ratio of sums beside the distribution of the unit rates (mean, median, quartiles, extremes), which differ.',
  })
  targetCompliance(@Args() args: TargetComplianceArgs, @Ctx() ctx: GatewayContext): Promise<TargetCompliance> {
    return new TargetComplianceService(ctx.sql, ctx.em, ctx.config.statementTimeoutMs).targetCompliance(args);
  }
}
