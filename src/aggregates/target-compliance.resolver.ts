import { IsEnum, IsOptional, IsString, Length } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Query, Resolver } from 'type-graphql';
import { Indicator } from '../plans/target.entity';
import { GatewayContext } from '../server/context';
import { UnitKind } from '../units/unit.entity';
import { IndicatorReadArgs } from './kpi.resolver';
import { TargetComplianceService } from './target-compliance.service';
import { TargetCompliance } from './target-compliance.types';
import { ValueSource } from '../published/published.types';

@ArgsType()
class TargetComplianceArgs extends IndicatorReadArgs {
  @Field({ nullable: true, description: 'A target code (e.g. "NQ17-2020-LEVEL4"): every unit judged against it. Give it or `indicator` (both: they must agree).' })
  @IsOptional() @IsString() @Length(1, 64)
  target?: string;

  @Field(() => Indicator, { nullable: true, description: 'Every target of the indicator whose scope (scopeKinds) includes the tier.' })
  @IsOptional() @IsEnum(Indicator)
  indicator?: Indicator;

  @Field(() => UnitKind, { defaultValue: UnitKind.PROVINCE, description: 'PROVINCE or MINISTRY.' })
  @IsEnum(UnitKind)
  tier: UnitKind = UnitKind.PROVINCE;

  @Field(() => ValueSource, {
    defaultValue: ValueSource.COMPUTED,
    description: 'COMPUTED: values from detail. PUBLISHED: the value the latest document published for exactly the period (a month, quarter '
      + 'or year) or date asked (AS_REPORTED only); numerator/denominator are then the value in millionths over 1,000,000, and '
      + 'summary.ratioOfSums is null (a published rate has no parts), and `levels` is not needed (the document counted the levels).',
  })
  @IsEnum(ValueSource)
  valueSource: ValueSource = ValueSource.COMPUTED;
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
