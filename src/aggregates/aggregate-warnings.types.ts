import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { YearMonthScalar } from '../common/scalars';
import { UnitRef } from './aggregate.types';
import { AggregateMeasure, POOLED_DAYS_FROM } from './measures';

/** What an aggregate warns about: answers that are right but easy to misread. */
export enum AggregateWarningCode {
  CODE_MEANT_OTHER_UNIT = 'code_meant_other_unit',
  UNITS_WITHOUT_DATA = 'units_without_data',
  COVERAGE_ENDS_BEFORE_PERIOD = 'coverage_ends_before_period',
  PERCENTILE_IN_TOP_BUCKET = 'percentile_in_top_bucket',
}
registerEnumType(AggregateWarningCode, {
  name: 'AggregateWarningCode',
  description: 'Kinds of aggregate warning.',
  valuesConfig: {
    CODE_MEANT_OTHER_UNIT: {
      description: 'A filter code (filter.unitCodes or filter.provinceCodes) is read on filter.unitsAt, but during the period it was borne, '
        + 'for some or all of it, by another unit (codes are reused after mergers: 80 was Long An until 2025-06-30 and is the new Tây Ninh since '
        + '2025-07-01). `units` lists the units that bore the code in the period; filter on them with unitIds, or set unitsAt to a date in the period.',
    },
    UNITS_WITHOUT_DATA: {
      description: 'Grouped by UNIT or PROVINCE: units of that tier in scope (valid during the period, as reported; open today, in today\'s units; '
        + 'within the unit and province filters) have no row in the answer. `count` says how many, `unitCodes` the first few.',
    },
    COVERAGE_ENDS_BEFORE_PERIOD: {
      description: 'The last month with filing data among the rows (`until`, also coverage.lastMonthWithData) is before the last month of the period: '
        + 'the later months are not zero, they are not reported yet.',
    },
    PERCENTILE_IN_TOP_BUCKET: {
      description: `A processing-time percentile (\`measure\`) was read from the rollup, whose top bucket pools every dossier of ${POOLED_DAYS_FROM} days or more, `
        + 'and fell in that bucket in `count` rows: there the value is a lower bound, and the true percentile lies between it and the largest '
        + 'processing time of the row\'s dossiers (`atMost`: the largest over those rows). Everywhere else percentiles are exact. '
        + 'preferRollups: false reads the dossiers themselves (exact, slower).',
    },
  },
});

@ObjectType({ simpleResolvers: true, description: 'Something the client should know to read an aggregate right: a code, a standalone English message and machine-readable details.' })
export class AggregateWarning {
  @Field(() => AggregateWarningCode)
  code!: AggregateWarningCode;

  @Field({ description: 'Standalone English explanation, for people; programs read `code` and the details.' })
  message!: string;

  @Field(() => String, { nullable: true, description: 'The input field concerned ("query.filter.unitCodes", "query.period"), if any.' })
  field?: string | null;

  @Field(() => [String], { nullable: true, description: 'CODE_MEANT_OTHER_UNIT: the code concerned; UNITS_WITHOUT_DATA: the first codes without data (by code).' })
  unitCodes?: string[] | null;

  @Field(() => [UnitRef], { nullable: true, description: 'CODE_MEANT_OTHER_UNIT: the units that bore the code during the period (named as on their last day in it), with their validity.' })
  units?: UnitRef[] | null;

  @Field(() => UnitRef, { nullable: true, description: 'CODE_MEANT_OTHER_UNIT: the unit the filter resolved to (the code on filter.unitsAt); null if none.' })
  resolvedUnit?: UnitRef | null;

  @Field(() => Int, { nullable: true, description: 'UNITS_WITHOUT_DATA: how many units in scope have no row.' })
  count?: number | null;

  @Field(() => YearMonthScalar, { nullable: true, description: 'COVERAGE_ENDS_BEFORE_PERIOD: the last month with data.' })
  until?: string | null;

  @Field(() => AggregateMeasure, { nullable: true, description: 'PERCENTILE_IN_TOP_BUCKET: the percentile measure concerned.' })
  measure?: AggregateMeasure | null;

  @Field(() => Int, { nullable: true, description: 'PERCENTILE_IN_TOP_BUCKET: days the true percentile can be at most (the largest processing time in the rows concerned).' })
  atMost?: number | null;
}
