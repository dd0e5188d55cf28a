import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsBoolean, IsEnum, IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Matches, Max, Min,
  ValidateNested,
} from 'class-validator';
import { Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { LocalDateScalar, YearMonthScalar } from '../common/scalars';
import { UnitKind } from '../units/unit.entity';
import { AggregateDimension, LevelView, PeriodGrain, UnitView } from './dimensions';
import { AggregateMeasure } from './measures';

export const DEFAULT_ROW_LIMIT = 100;
export const MAX_ROW_LIMIT = 5000;
export const MAX_MEASURES = 20;
/** Longest list of codes or ids a filter takes. */
export const MAX_FILTER_VALUES = 1000;

export enum ComparisonOperator {
  GT = 'gt',
  GTE = 'gte',
  LT = 'lt',
  LTE = 'lte',
  EQ = 'eq',
  NE = 'ne',
}
registerEnumType(ComparisonOperator, { name: 'ComparisonOperator', description: 'Comparison for `having`: >, >=, <, <=, =, <>.' });

export enum SortDirection {
  ASC = 'asc',
  DESC = 'desc',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

@InputType({ description: 'A range of months, both ends inclusive; either end may be left open.' })
export class PeriodRange {
  @Field(() => YearMonthScalar, { nullable: true, description: 'First month, inclusive.' })
  @IsOptional() @Matches(/^\d{4}-(0[1-9]|1[0-2])$/)
  from?: string;

  @Field(() => YearMonthScalar, { nullable: true, description: 'Last month, inclusive.' })
  @IsOptional() @Matches(/^\d{4}-(0[1-9]|1[0-2])$/)
  to?: string;
}

@InputType({ description: 'Filters on the dimensions (all given conditions must hold).' })
export class AggregateFilter {
  @Field(() => [String], { nullable: true, description: 'Units of kind `unitTier` holding these codes on `unitsAt`: figures of these units and of the units below them.' })
  @IsOptional() @ArrayMaxSize(MAX_FILTER_VALUES) @IsString({ each: true }) @Length(1, 32, { each: true })
  unitCodes?: string[];

  @Field(() => [ID], { nullable: true, description: 'Units of kind `unitTier` by id (unambiguous across mergers).' })
  @IsOptional() @ArrayMaxSize(MAX_FILTER_VALUES) @Matches(/^\d{1,9}$/, { each: true, message: 'each unit id must be a number' })
  unitIds?: string[];

  @Field(() => LocalDateScalar, { nullable: true, description: 'Date on which `unitCodes` and `provinceCodes` are read (codes are reused after mergers). Default: today.' })
  unitsAt?: string;

  @Field(() => [String], { nullable: true, description: 'Provinces holding these codes on `unitsAt`.' })
  @IsOptional() @ArrayMaxSize(MAX_FILTER_VALUES) @IsString({ each: true }) @Length(1, 32, { each: true })
  provinceCodes?: string[];

  @Field(() => [UnitKind], { nullable: true, description: 'Kinds of the reporting unit.' })
  @IsOptional() @ArrayMaxSize(10) @IsEnum(UnitKind, { each: true })
  unitKinds?: UnitKind[];

  @Field(() => [String], { nullable: true })
  @IsOptional() @ArrayMaxSize(MAX_FILTER_VALUES) @IsString({ each: true }) @Length(1, 64, { each: true })
  sectorCodes?: string[];

  @Field(() => [String], { nullable: true })
  @IsOptional() @ArrayMaxSize(MAX_FILTER_VALUES) @IsString({ each: true }) @Length(1, 32, { each: true })
  procedureCodes?: string[];

  @Field({ nullable: true, description: 'Only essential (true) or non-essential (false) procedures.' })
  @IsOptional() @IsBoolean()
  essential?: boolean;

  @Field({ nullable: true, description: 'Only procedures eligible (true) or not (false) for full online provision: the "eligible services" of targets.' })
  @IsOptional() @IsBoolean()
  eligible?: boolean;

  @Field(() => [String], { nullable: true, description: 'Levels in the taxonomy chosen by `levels` ("1".."4" or "info", "partial", "full").' })
  @IsOptional() @ArrayMaxSize(7) @IsIn(['1', '2', '3', '4', 'info', 'partial', 'full'], { each: true })
  levels?: string[];
}

@InputType({ description: 'A condition on a measure, applied to the grouped rows (SQL HAVING). A null value fails every condition.' })
export class MeasureCondition {
  @Field(() => AggregateMeasure)
  @IsEnum(AggregateMeasure)
  measure!: AggregateMeasure;

  @Field(() => ComparisonOperator)
  @IsEnum(ComparisonOperator)
  op!: ComparisonOperator;

  @Field(() => Float, { description: 'Compared with the value: a count, or a ratio as a fraction (0.3 for 30%).' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  value!: number;
}

@InputType({ description: 'One sort key: either a measure (nulls last) or a dimension of groupBy.' })
export class AggregateOrder {
  @Field(() => AggregateMeasure, { nullable: true })
  @IsOptional() @IsEnum(AggregateMeasure)
  measure?: AggregateMeasure;

  @Field(() => AggregateDimension, { nullable: true, description: 'Units sort by code (then validity), sectors and procedures by code.' })
  @IsOptional() @IsEnum(AggregateDimension)
  dimension?: AggregateDimension;

  @Field(() => SortDirection, { defaultValue: SortDirection.ASC })
  @IsEnum(SortDirection)
  direction: SortDirection = SortDirection.ASC;
}

@InputType({ description: 'An aggregate: measures grouped by dimensions, over a period (flows) or on a date (stocks).' })
export class AggregateInput {
  @Field(() => [AggregateMeasure])
  @ArrayMinSize(1) @ArrayMaxSize(MAX_MEASURES) @ArrayUnique() @IsEnum(AggregateMeasure, { each: true })
  measures!: AggregateMeasure[];

  @Field(() => [AggregateDimension], { nullable: true, description: 'No dimension: one row of totals.' })
  @IsOptional() @ArrayMaxSize(9) @ArrayUnique() @IsEnum(AggregateDimension, { each: true })
  groupBy?: AggregateDimension[];

  @Field(() => UnitKind, { defaultValue: UnitKind.PROVINCE, description: 'Tier of the UNIT dimension and of `filter.unitCodes`/`unitIds`.' })
  @IsEnum(UnitKind)
  unitTier: UnitKind = UnitKind.PROVINCE;

  @Field(() => PeriodGrain, { defaultValue: PeriodGrain.MONTH })
  @IsEnum(PeriodGrain)
  periodGrain: PeriodGrain = PeriodGrain.MONTH;

  @Field(() => PeriodRange, { nullable: true, description: 'Months flows are summed over (default: every month). Stock measures without an asOf are taken on its last day.' })
  @IsOptional() @ValidateNested()
  period?: PeriodRange;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Date stock measures (service counts, level shares, integration) are taken on. Refused for flow-only queries. Default: the last day of the period, else today.' })
  asOf?: string;

  @Field(() => LevelView, { nullable: true, description: 'Level taxonomy: required when a measure, dimension or filter reads service levels.' })
  @IsOptional() @IsEnum(LevelView)
  levels?: LevelView;

  @Field(() => UnitView, { defaultValue: UnitView.AS_REPORTED })
  @IsEnum(UnitView)
  unitView: UnitView = UnitView.AS_REPORTED;

  @Field(() => AggregateFilter, { nullable: true })
  @IsOptional() @ValidateNested()
  filter?: AggregateFilter;

  @Field(() => [MeasureCondition], { nullable: true })
  @IsOptional() @ArrayMaxSize(10) @ValidateNested({ each: true })
  having?: MeasureCondition[];

  @Field(() => [AggregateOrder], { nullable: true, description: 'Default: the groupBy dimensions in order, ascending.' })
  @IsOptional() @ArrayMaxSize(10) @ValidateNested({ each: true })
  orderBy?: AggregateOrder[];

  @Field(() => Int, { defaultValue: DEFAULT_ROW_LIMIT, description: `Rows returned, at most ${MAX_ROW_LIMIT}; totalRows tells how many there were.` })
  @IsInt() @Min(1) @Max(MAX_ROW_LIMIT)
  limit: number = DEFAULT_ROW_LIMIT;

  @Field({ defaultValue: false, description: 'Grouped by UNIT or PROVINCE alone: also return, with null measures, the units in scope without data '
    + '(as reported, those valid during the period; in today\'s units, those open today; within the unit and province filters), so that a missing unit '
    + 'is not mistaken for an absent one. They count in totalRows and the limit, sort last by measure, and fail every `having` condition.' })
  @IsBoolean()
  includeEmptyUnits: boolean = false;

  @Field({ defaultValue: true, description: 'Answer from precomputed rollups when they cover the query (same results, faster); false reads the base tables.' })
  @IsBoolean()
  preferRollups: boolean = true;
}
