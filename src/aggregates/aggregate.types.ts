import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar, LocalDateScalar, YearMonthScalar } from '../common/scalars';
import { Source } from '../provenance/source.entity';
import { UnitKind } from '../units/unit.entity';
import { LevelView, PeriodGrain, UnitView } from './dimensions';
import { AggregateMeasure } from './measures';

/**
 * A unit as an aggregate row names it. Deliberately not the Unit type: its relations would cost
 * statements per row; ask `unit(code, at)` to drill down.
 */
@ObjectType({ simpleResolvers: true, description: 'A unit named in an aggregate row (code, name and validity: codes are reused after mergers).' })
export class UnitRef {
  @Field(() => ID)
  id!: string;

  @Field()
  code!: string;

  @Field({ description: 'The name in force on the day the figures are read for: in an aggregate, the last day of the period (or asOf), '
    + "in today's units (CURRENT_UNITS) today's name; in plan compliance, the last day of the plan year (or asOf if earlier). "
    + 'A unit renamed without a code change (46: Tỉnh Thừa Thiên Huế until 2024-12-31, Thành phố Huế since) is named as it was then.' })
  name!: string;

  @Field(() => UnitKind)
  kind!: UnitKind;

  @Field(() => LocalDateScalar, { nullable: true })
  validFrom?: string | null;

  @Field(() => LocalDateScalar, { nullable: true })
  validTo?: string | null;
}

/** A unit row as the aggregates' SQL selects it (validity already formatted "YYYY-MM-DD"). */
export interface UnitRow {
  id: number | string;
  code: string;
  name: string;
  kind: UnitKind;
  valid_from: string | null;
  valid_to: string | null;
}

/** The UnitRef of a unit row: used by the KPI's unit, plan compliance and the warnings alike. */
export function unitRefOf(u: UnitRow): UnitRef {
  return { id: String(u.id), code: u.code, name: u.name, kind: u.kind, validFrom: u.valid_from, validTo: u.valid_to };
}

/** Id, code and name: how an aggregate row names a catalogue entry. */
@ObjectType({ simpleResolvers: true })
export abstract class CatalogueRef {
  @Field(() => ID)
  id!: string;

  @Field()
  code!: string;

  @Field()
  name!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A sector named in an aggregate row.' })
export class SectorRef extends CatalogueRef {}

@ObjectType({ simpleResolvers: true, description: 'A procedure named in an aggregate row.' })
export class ProcedureRef extends CatalogueRef {}

@ObjectType({ simpleResolvers: true, description: 'A month, quarter or year.' })
export class Period {
  @Field(() => PeriodGrain)
  grain!: PeriodGrain;

  @Field({ description: '"2025-07", "2025-Q3" or "2025".' })
  label!: string;

  @Field(() => LocalDateScalar)
  start!: string;

  @Field(() => LocalDateScalar, { description: 'Last day; stock measures of the row are taken on it.' })
  end!: string;
}

@ObjectType({ simpleResolvers: true, description: 'The dimension values of a row; those not in groupBy are null.' })
export class AggregateDimensions {
  @Field(() => UnitRef, { nullable: true })
  unit?: UnitRef | null;

  @Field(() => UnitRef, { nullable: true })
  province?: UnitRef | null;

  @Field(() => UnitKind, { nullable: true })
  unitKind?: UnitKind | null;

  @Field(() => SectorRef, { nullable: true })
  sector?: SectorRef | null;

  @Field(() => ProcedureRef, { nullable: true })
  procedure?: ProcedureRef | null;

  @Field(() => Boolean, { nullable: true })
  essential?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  eligible?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Level in the chosen taxonomy ("1".."4" or "info", "partial", "full"); null when unknown.' })
  level?: string | null;

  @Field(() => Period, { nullable: true })
  period?: Period | null;
}

/** The parts of a ratio of sums, shared by every type that reports an indicator. */
@ObjectType({ simpleResolvers: true })
export abstract class RatioParts {
  @Field(() => Float, { nullable: true })
  numerator!: number | null;

  @Field(() => Float, { nullable: true })
  denominator!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'A measure of a row. Counts have a value only; ratios also their numerator and denominator (value null when the denominator is 0).' })
export class MeasureValue extends RatioParts {
  @Field(() => AggregateMeasure)
  measure!: AggregateMeasure;

  @Field(() => Float, { nullable: true })
  value!: number | null;

}

@ObjectType({ simpleResolvers: true, description: 'One group of an aggregate.' })
export class AggregateRow {
  @Field(() => AggregateDimensions)
  dimensions!: AggregateDimensions;

  @Field(() => [MeasureValue], { description: 'The requested measures, in the order asked.' })
  measures!: MeasureValue[];

  @Field({ description: 'CURRENT_UNITS only: some figures reached the row through a partial merge whose successors differ at the tier grouped or filtered on (attributed by the documented rule).' })
  includesPartialMerges!: boolean;

  /** Measure values by measure, for the `value(measure:)` field. */
  byMeasure!: Map<AggregateMeasure, MeasureValue>;

  /**
   * Percentiles read in the processing-days rollup's pooled top bucket (their value a lower bound):
   * the row's largest processing time, which bounds them above (for the warnings; absent when exact).
   */
  upperBounds!: Map<AggregateMeasure, number>;
}

@ObjectType({ simpleResolvers: true, description: 'What the figures cover, and how fresh they are.' })
export class Coverage {
  @Field(() => YearMonthScalar, { nullable: true, description: 'First month of the period asked (null: open).' })
  from?: string | null;

  @Field(() => YearMonthScalar, { nullable: true, description: 'Last month of the period asked (null: open).' })
  to?: string | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Date stock measures were taken on (null when by PERIOD: the last day of each period).' })
  asOf?: string | null;

  @Field(() => YearMonthScalar, { nullable: true, description: 'First month with filing data among the rows.' })
  firstMonthWithData?: string | null;

  @Field(() => YearMonthScalar, { nullable: true, description: 'Last month with filing data among the rows.' })
  lastMonthWithData?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Last successful ingest run of the sources that fed the result.' })
  lastIngestAt?: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'The result of an aggregate query.' })
export class AggregateResult {
  @Field(() => [AggregateRow])
  rows!: AggregateRow[];

  @Field(() => Int, { description: 'Rows the query produced before the limit.' })
  totalRows!: number;

  @Field({ description: 'Whether rows were cut by the limit.' })
  truncated!: boolean;

  @Field(() => Coverage)
  coverage!: Coverage;

  @Field(() => [Source], { description: 'Sources whose facts fed the result.' })
  sources!: Source[];

  @Field(() => LevelView, { nullable: true, description: 'Level taxonomy used.' })
  levels?: LevelView | null;

  @Field(() => UnitView)
  unitView!: UnitView;

  @Field({ description: 'Whether precomputed rollups answered (results are identical either way, except a processing-time percentile read in the rollup\'s pooled top bucket: a lower bound there, which the warnings report as PERCENTILE_IN_TOP_BUCKET).' })
  answeredFromRollups!: boolean;
}
