import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar, YearMonthScalar } from '../common/scalars';
import { RatioParts, UnitRef } from '../aggregates/aggregate.types';
import { LevelView, UnitView } from '../aggregates/dimensions';
import { Indicator } from '../plans/target.entity';
import { Source } from '../provenance/source.entity';

export enum ValueSource {
  COMPUTED = 'computed',
  PUBLISHED = 'published',
}
registerEnumType(ValueSource, {
  name: 'ValueSource',
  description: 'Which value of an indicator is read: the one the gateway computes from detail, or the one a document published.',
  valuesConfig: {
    COMPUTED: { description: 'Computed from the facts (service levels, filing counts) as docs/domain.md, "Indicators", defines it.' },
    PUBLISHED: { description: 'As a document published it (a published indicator: see publishedVsComputed); the latest document for the exact period or date asked.' },
  },
});

export enum PublishedGrain {
  MONTH = 'month',
  QUARTER = 'quarter',
  YEAR = 'year',
  DATE = 'date',
}
registerEnumType(PublishedGrain, {
  name: 'PublishedGrain',
  description: 'How a published figure is dated: a month, a quarter or a year (flow indicators), or a date (stock indicators).',
});

@ObjectType({ simpleResolvers: true, description: 'The period (or date) a figure was published for.' })
export class PublishedPeriodRef {
  @Field(() => PublishedGrain)
  grain!: PublishedGrain;

  @Field({ description: 'As the interchange format writes it: 2024-05, 2024-Q2, 2024, or the date 2024-06-30.' })
  label!: string;

  @Field(() => LocalDateScalar, { description: 'First day (the date itself for a stock).' })
  start!: string;

  @Field(() => LocalDateScalar, { description: 'Last day.' })
  end!: string;
}

@ObjectType({ simpleResolvers: true, description: 'The document that published a figure.' })
export class PublishedDocument {
  @Field({ description: 'Its number, e.g. "45/BC-VPCP".' })
  number!: string;

  @Field(() => LocalDateScalar)
  date!: string;

  @Field(() => String, { nullable: true })
  title!: string | null;

  @Field(() => String, { nullable: true })
  url!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A published figure beside the value the gateway computes for the same unit, indicator and period from detail.' })
export class PublishedComparison extends RatioParts {
  @Field(() => Indicator)
  indicator!: Indicator;

  @Field(() => PublishedPeriodRef)
  period!: PublishedPeriodRef;

  @Field(() => Float, { description: 'The published value, a fraction (0.85 for 85%).' })
  published!: number;

  @Field(() => PublishedDocument)
  document!: PublishedDocument;

  @Field(() => Source, { description: 'Who reported the published figure (push, import, or the national portal).' })
  source!: Source;

  @Field(() => Float, { nullable: true, description: 'Computed from detail over the same period (flows) or on the same date (stocks): numerator / denominator; null without detail (a zero denominator).' })
  computed!: number | null;

  @Field(() => Float, { nullable: true, description: 'published − computed, in percentage points (positive: the document says more than the detail gives), exact to 1e-9; null without a computed value.' })
  differencePoints!: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether |differencePoints| is more than tolerancePoints (a difference exactly at the tolerance is within it); null without a computed value.' })
  beyondTolerance!: boolean | null;
}

@ObjectType({ simpleResolvers: true, description: 'How many published figures reconcile with the detail.' })
export class PublishedCounts {
  @Field(() => Int, { description: 'Published figures in the answer.' })
  figures!: number;

  @Field(() => Int, { description: 'Within the tolerance of the computed value.' })
  withinTolerance!: number;

  @Field(() => Int, { description: 'Further than the tolerance from the computed value.' })
  beyondTolerance!: number;

  @Field(() => Int, { description: 'Without a computed value to compare with (no detail).' })
  withoutComputed!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Every figure published for a unit in a period (or on a date), each beside the value computed from detail.' })
export class PublishedVsComputed {
  @Field(() => UnitRef)
  unit!: UnitRef;

  @Field(() => YearMonthScalar, { nullable: true, description: 'First month of the window figures were looked for in.' })
  from!: string | null;

  @Field(() => YearMonthScalar, { nullable: true, description: 'Last month of the window.' })
  to!: string | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'The date stock figures were looked for on, when asOf was given.' })
  asOf!: string | null;

  @Field(() => LevelView, { nullable: true })
  levels!: LevelView | null;

  @Field(() => UnitView)
  unitView!: UnitView;

  @Field(() => Float, { description: 'The tolerance applied, in percentage points (the argument, else PUBLISHED_TOLERANCE_POINTS).' })
  tolerancePoints!: number;

  @Field(() => [PublishedComparison], { description: 'By indicator, then period start, coarser grain first, then document date and number.' })
  comparisons!: PublishedComparison[];

  @Field(() => PublishedCounts)
  counts!: PublishedCounts;

  @Field(() => [Source], { description: 'Sources whose facts fed the computed values.' })
  sources!: Source[];
}
