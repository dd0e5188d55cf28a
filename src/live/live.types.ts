import { ArrayMaxSize, ArrayUnique, IsEnum, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { AggregateFilter, PeriodRange } from '../aggregates/aggregate.inputs';
import { UnitRef } from '../aggregates/aggregate.types';
import { AggregateMeasure } from '../aggregates/measures';
import { YearMonthScalar } from '../common/scalars';
import { Indicator } from '../plans/target.entity';
import { FactType } from '../provenance/fact-revision.entity';
import { Source } from '../provenance/source.entity';
import { UnitKind } from '../units/unit.entity';

/**
 * What a `figuresChanged` subscriber asks about, in the words of the aggregate and kpi queries
 * (their input types and enums): a unit scope (`unitTier` and `filter`'s unit and province
 * filters), a period, and the figures (indicators, measures or fact kinds; none: every kind).
 */
@ArgsType()
export class FiguresChangedArgs {
  @Field(() => UnitKind, { defaultValue: UnitKind.PROVINCE, description: 'Tier of `filter.unitCodes`/`unitIds`, as in `aggregate`.' })
  @IsEnum(UnitKind)
  unitTier: UnitKind = UnitKind.PROVINCE;

  @Field(() => AggregateFilter, {
    nullable: true,
    description: 'The units, as in `aggregate` (`unitCodes`, `unitIds`, `unitsAt`, `provinceCodes`; none: the whole nation). Events are per '
      + 'top-level unit (province or ministry), month and fact kind: a commune hears of changes in its province. Filters finer than that '
      + '(sectors, procedures, levels...) are refused: narrow the refetch instead.',
  })
  @IsOptional() @ValidateNested()
  filter?: AggregateFilter;

  @Field(() => PeriodRange, { nullable: true, description: 'Months of filing figures to hear about (default: every month). Stock figures (service levels, plans) and dossiers (processing times, open dossiers) are not listed by month: their changes always count.' })
  @IsOptional() @ValidateNested()
  period?: PeriodRange;

  @Field(() => [Indicator], { nullable: true, description: 'The indicators shown (their fact kinds are listened to).' })
  @IsOptional() @ArrayMaxSize(20) @ArrayUnique() @IsEnum(Indicator, { each: true })
  indicators?: Indicator[];

  @Field(() => [AggregateMeasure], { nullable: true, description: 'The aggregate measures shown (their fact kinds are listened to).' })
  @IsOptional() @ArrayMaxSize(30) @ArrayUnique() @IsEnum(AggregateMeasure, { each: true })
  measures?: AggregateMeasure[];

  @Field(() => [FactType], { nullable: true, description: 'Fact kinds, directly. Without indicators, measures or kinds: every kind.' })
  @IsOptional() @ArrayMaxSize(10) @ArrayUnique() @IsEnum(FactType, { each: true })
  kinds?: FactType[];
}

@ArgsType()
export class SourceStatusChangedArgs {
  @Field({ nullable: true, description: 'One source by code; none: every source.' })
  @IsOptional() @IsString() @Length(1, 64)
  source?: string;
}

@ObjectType({ description: 'What changed in one fact kind, within what the subscription asked about.' })
export class FactKindChange {
  @Field(() => FactType)
  kind!: FactType;

  @Field(() => [UnitRef], { nullable: true, description: 'Top-level units (provinces, ministries) whose figures changed, as reported and in today\'s units, each named as it was last; null: every unit in scope.' })
  units!: UnitRef[] | null;

  @Field(() => [YearMonthScalar], { nullable: true, description: 'Months whose filing figures changed, within the period asked; null: not listed (stocks, dossiers, a change to every month, or too many months for one notification: see firstMonth and lastMonth).' })
  months!: string[] | null;

  @Field(() => YearMonthScalar, { nullable: true, description: 'First month changed (within the period asked); null with months null: not by month.' })
  firstMonth!: string | null;

  @Field(() => YearMonthScalar, { nullable: true })
  lastMonth!: string | null;
}

@ObjectType({ description: 'Figures a subscription asked about changed: refetch them. One event per commit at most; commits in a burst are coalesced into one.' })
export class FiguresChange {
  @Field({ description: 'The data version after the last commit covered (the response cache and ETags key by it): a refetch answers from at least this version.' })
  dataVersion!: string;

  @Field(() => Int, { description: 'Commits covered by this event (more than 1 when they came in a burst).' })
  commits!: number;

  @Field({ description: 'The gateway lost its database notifications for a while: changes may have gone unheard, so everything in scope counts as changed.' })
  missed!: boolean;

  @Field(() => [FactKindChange])
  changes!: FactKindChange[];
}

@ObjectType({ description: 'Sources whose status or freshness changed (a sync started, succeeded or failed, a push landed).' })
export class SourceStatusChange {
  @Field({ description: 'The data version after the last commit covered.' })
  dataVersion!: string;

  @Field(() => Int)
  commits!: number;

  @Field({ description: 'Notifications were lost for a while: every source is listed.' })
  missed!: boolean;

  @Field(() => [Source], { description: 'The sources as they are now, by code.' })
  sources!: Source[];
}
