import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar, YearMonthScalar } from '../common/scalars';
import { Indicator, Target } from '../plans/target.entity';
import { Source } from '../provenance/source.entity';
import { UnitKind } from '../units/unit.entity';
import { RatioParts, UnitRef } from './aggregate.types';
import { LevelView, UnitView } from './dimensions';
import { Distribution, RatioValue } from './distribution.types';

export enum ComplianceStatus {
  MET = 'met',
  MISSED = 'missed',
  NOT_IN_FORCE = 'not_in_force',
  NO_DATA = 'no_data',
}
registerEnumType(ComplianceStatus, {
  name: 'ComplianceStatus',
  description: 'A unit against a target on the answer\'s date.',
  valuesConfig: {
    MET: { description: 'The value meets the threshold (a value exactly at it meets), the target in force.' },
    MISSED: { description: 'The value falls short of the threshold, the target in force (gapPoints says by how much).' },
    NOT_IN_FORCE: { description: 'The unit has a value but the target is not in force on the date (not yet begun, or past its deadline): never judged.' },
    NO_DATA: { description: 'No value to judge: no figures, or a zero denominator (for an eligibleOnly target, no eligible service).' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'How many units a target finds met, missed or without data (0 met and 0 missed when it is not in force).' })
export class TargetTally {
  @Field(() => Target)
  target!: Target;

  @Field({ description: 'Whether the target is in force on asOf (from its periodStart through its deadline).' })
  inForce!: boolean;

  @Field(() => Int)
  met!: number;

  @Field(() => Int)
  missed!: number;

  @Field(() => Int, { description: 'Units without a value for this target (for an eligibleOnly target: without an eligible service).' })
  withoutData!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Units by status against the primary target.' })
export class ComplianceCounts {
  @Field(() => Int, { description: 'Every unit of the tier in scope.' })
  units!: number;

  @Field(() => Int, { description: 'Units with a value.' })
  withData!: number;

  @Field(() => Int, { description: 'Units without a value (no figures, or a zero denominator).' })
  withoutData!: number;

  @Field(() => Int)
  met!: number;

  @Field(() => Int)
  missed!: number;

  @Field(() => Int, { description: 'Units with data and no primary target in force (without a primary target: every unit with data).' })
  notInForce!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A unit against one target.' })
export class TargetJudgment extends RatioParts {
  @Field(() => Target)
  target!: Target;

  @Field(() => ComplianceStatus)
  status!: ComplianceStatus;

  @Field(() => Float, { nullable: true, description: 'The value judged: over eligible services only when the target says so (eligibleOnly), else the unit\'s value.' })
  value!: number | null;

  @Field(() => Float, { nullable: true, description: 'Percentage points short of the threshold (0 when met); null unless MET or MISSED.' })
  gapPoints!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'One unit of the tier against the targets.' })
export class UnitCompliance extends RatioParts {
  @Field(() => UnitRef)
  unit!: UnitRef;

  @Field(() => Float, { nullable: true, description: 'The indicator for the unit (a ratio of sums over its own figures); null without data.' })
  value!: number | null;

  @Field(() => Int, { nullable: true, description: 'Rank among the units with a value (1 = highest; ties share a rank); null without a value.' })
  rank!: number | null;

  @Field(() => ComplianceStatus, { description: 'Against primaryTarget: NO_DATA without a value to judge, NOT_IN_FORCE when no target is in force.' })
  status!: ComplianceStatus;

  @Field(() => Float, { nullable: true, description: 'Percentage points short of primaryTarget (0 when met); null otherwise.' })
  gapPoints!: number | null;

  @Field(() => [TargetJudgment], { description: 'One per entry of TargetCompliance.targets, in the same order.' })
  judgments!: TargetJudgment[];

  @Field({ description: 'CURRENT_UNITS: figures reached the unit through a partial merge.' })
  includesPartialMerges!: boolean;
}

@ObjectType({
  simpleResolvers: true,
  description: 'Two national figures that differ: ratioOfSums is the tier\'s figure as the indicator defines it (every service or dossier '
    + 'counts once, so a big province weighs more); unitRates describes the units\' own values, each unit counting once (the "average '
    + 'of the provinces" some reports quote is unitRates.meanOfUnitRates, not ratioOfSums).',
})
export class RatioSummary {
  @Field(() => RatioValue, { description: 'The sum of the units\' numerators over the sum of their denominators: the nation\'s figure for the tier.' })
  ratioOfSums!: RatioValue;

  @Field(() => Distribution, { description: 'Statistics of the units\' own values, each unit counting once: mean of unit rates, median, quartiles, min and max.' })
  unitRates!: Distribution;
}

@ObjectType({ simpleResolvers: true, description: 'Every unit of a tier judged against a target (or every target of an indicator) on a date or over a period.' })
export class TargetCompliance {
  @Field(() => Indicator)
  indicator!: Indicator;

  @Field(() => UnitKind)
  tier!: UnitKind;

  @Field(() => UnitView)
  unitView!: UnitView;

  @Field(() => LevelView, { nullable: true })
  levels!: LevelView | null;

  @Field(() => YearMonthScalar, { nullable: true, description: 'Period of a flow indicator.' })
  from!: string | null;

  @Field(() => YearMonthScalar, { nullable: true })
  to!: string | null;

  @Field(() => LocalDateScalar, { description: 'Date of a stock indicator (the last day of the period for flows): units and targets in force are read on it.' })
  asOf!: string;

  @Field(() => Target, { nullable: true, description: 'What `status` is judged against: `target` when given, else the first target in force on asOf (by deadline), else null.' })
  primaryTarget!: Target | null;

  @Field(() => [TargetTally], { description: 'The targets considered (`target`, or those of the indicator whose scope includes the tier), by deadline, in force or not.' })
  targets!: TargetTally[];

  @Field(() => [UnitCompliance], {
    description: 'Every unit of the tier in scope (as reported: valid on asOf, or during the period for flows; CURRENT_UNITS: open today), '
      + 'with or without data, by rank (1 = highest value), units without a value last, then by code.',
  })
  units!: UnitCompliance[];

  @Field(() => ComplianceCounts)
  counts!: ComplianceCounts;

  @Field(() => RatioSummary, { description: 'The ratio of sums beside the distribution of the unit rates (mean, median, quartiles, extremes): different numbers.' })
  summary!: RatioSummary;

  @Field(() => [Source])
  sources!: Source[];
}
