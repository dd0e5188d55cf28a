import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LocalDateScalar, YearMonthScalar } from '../common/scalars';
import { Indicator, Target } from '../plans/target.entity';
import { Source } from '../provenance/source.entity';
import { Period, RatioParts, UnitRef } from './aggregate.types';
import { LevelView, UnitView } from './dimensions';

@ObjectType({ simpleResolvers: true, description: 'An indicator judged against one target in force on the KPI\'s date (asOf).' })
export class TargetAssessment extends RatioParts {
  @Field(() => Target)
  target!: Target;

  @Field(() => Float, { nullable: true, description: 'The value judged: over eligible services only when the target says so (eligibleOnly), else the KPI value.' })
  value!: number | null;


  @Field(() => Boolean, { nullable: true, description: 'Whether the value meets the threshold (a value exactly at it meets at_least and at_most); null without a value.' })
  met!: boolean | null;

  @Field(() => Float, { nullable: true, description: 'Percentage points short of the threshold (0 when met); null without a value.' })
  gapPoints!: number | null;

  @Field({
    description: "Whether the target's deadline is before the KPI's date: always false here, since a target is judged only while in force (through its deadline).",
    deprecationReason: 'Only targets in force are judged, so the deadline has never passed; an ended target is listed in Kpi.targetsNotInForce.',
  })
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

  @Field(() => [TargetAssessment], {
    description: 'The targets that apply on asOf, judged: those for this indicator whose scope (scopeKinds) includes the unit\'s kind and '
      + 'that are in force on asOf, by deadline. In force means from the target\'s periodStart (when given) through its deadline, both '
      + 'included. For a stock target set "by" a deadline (Resolution 17/NQ-CP: 30% of services at level 4 by the end of 2020), met '
      + 'before the deadline says whether the unit is already there and on the deadline it is the judgment; after the deadline the '
      + 'target no longer applies (later targets took over), and its judgment is read by asking with asOf on the deadline. For '
      + 'PLAN_ISSUED, only the targets of the plan year asked. Targets outside their period are never judged: see targetsNotInForce.',
  })
  targets!: TargetAssessment[];

  @Field(() => [Target], {
    description: 'Targets for this indicator whose scope includes the unit\'s kind but that are not in force on asOf (not yet begun, or '
      + 'past their deadline), by deadline: listed so the answer says what exists, never judged, so never reported as missed.',
  })
  targetsNotInForce!: Target[];

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
