import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LocalDateScalar, YearMonthScalar } from '../common/scalars';
import { Indicator, Target } from '../plans/target.entity';
import { Source } from '../provenance/source.entity';
import { Period, RatioParts, UnitRef } from './aggregate.types';
import { LevelView, UnitView } from './dimensions';

@ObjectType({ simpleResolvers: true, description: 'An indicator judged against one target.' })
export class TargetAssessment extends RatioParts {
  @Field(() => Target)
  target!: Target;

  @Field(() => Float, { nullable: true, description: 'The value judged: over eligible services only when the target says so (eligibleOnly), else the KPI value.' })
  value!: number | null;


  @Field(() => Boolean, { nullable: true, description: 'Whether the value meets the threshold (a value exactly at it meets at_least and at_most); null without a value.' })
  met!: boolean | null;

  @Field(() => Float, { nullable: true, description: 'Percentage points short of the threshold (0 when met); null without a value.' })
  gapPoints!: number | null;

  @Field({ description: "Whether the target's deadline is before the KPI's date." })
  deadlinePassed!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'The indicator over one period of the trend.' })
export class KpiPoint extends RatioParts {
  @Field(() => Period)
  period!: Period;

  @Field(() => Float, { nullable: true })
  value!: number | null;

}

@ObjectType({ simpleResolvers: true, description: 'An indicator for one unit (the nation, a ministry, a province, a commune) against the targets that apply to it.' })
export class Kpi extends RatioParts {
  @Field(() => Indicator)
  indicator!: Indicator;

  @Field(() => UnitRef)
  unit!: UnitRef;

  @Field(() => Float, { nullable: true, description: 'Null when the denominator is 0 (no data).' })
  value!: number | null;


  @Field(() => YearMonthScalar, { nullable: true, description: 'Period of a flow indicator.' })
  from!: string | null;

  @Field(() => YearMonthScalar, { nullable: true })
  to!: string | null;

  @Field(() => LocalDateScalar, { description: 'Date of a stock indicator (the last day of the period for flows): units, peers and deadlines are read on it.' })
  asOf!: string;

  @Field(() => LevelView, { nullable: true })
  levels!: LevelView | null;

  @Field(() => UnitView)
  unitView!: UnitView;

  @Field(() => [TargetAssessment], { description: 'Targets for this indicator whose scope includes the unit\'s kind, by deadline.' })
  targets!: TargetAssessment[];

  @Field(() => Int, { nullable: true, description: 'Rank among units of the same kind with a value (1 = highest; ties share a rank); null without a value.' })
  rank!: number | null;

  @Field(() => Int, { description: 'Units of the same kind with a value.' })
  peerCount!: number;

  @Field(() => [KpiPoint], { description: 'The indicator over the previous periods, oldest first, ending with the period of `to` / `asOf` (stocks on the last day of each period).' })
  trend!: KpiPoint[];

  @Field({ description: 'CURRENT_UNITS: figures reached the unit through a partial merge.' })
  includesPartialMerges!: boolean;

  @Field(() => [Source])
  sources!: Source[];
}
