import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ValidateNested } from 'class-validator';
import { GatewayContext } from '../server/context';
import { AggregateInput } from './aggregate.inputs';
import { AggregateOutcome, AggregateService } from './aggregate.service';
import { AggregateWarningsService } from './aggregate-warnings.service';
import { AggregateWarning } from './aggregate-warnings.types';
import { AggregateResult, AggregateRow, MeasureValue } from './aggregate.types';
import { AggregateMeasure } from './measures';
import { aggregateDistribution } from './distribution.service';
import { DistributionGroup } from './distribution.types';

@ArgsType()
class AggregateArgs {
  @Field(() => AggregateInput)
  @ValidateNested()
  query!: AggregateInput;
}

@Resolver(() => AggregateResult)
export class AggregateResolver {
  @Query(() => AggregateResult, {
    description: 'Any measure by any dimension: counts and the indicators (ratios of sums, with numerator and denominator; see AggregateMeasure '
      + 'and docs/domain.md, "Indicators"), over a period or on a date, '
      + 'as reported or in today\'s units. One SQL statement; answered from rollups when they cover the query.',
  })
  aggregate(@Args() { query }: AggregateArgs, @Ctx() ctx: GatewayContext): Promise<AggregateResult> {
    return new AggregateService(ctx.sql, ctx.em, ctx.config.statementTimeoutMs).aggregate(query);
  }

  // A field resolver, not part of the aggregate's statement: only clients that select warnings
  // pay for their checks, so the plain table keeps its one statement.
  @FieldResolver(() => [AggregateWarning], {
    description: 'Machine-readable warnings about reading this answer: a filter code that named another unit during the period '
      + '(CODE_MEANT_OTHER_UNIT), units in scope without rows (UNITS_WITHOUT_DATA, when grouped by UNIT or PROVINCE), figures that end before '
      + 'the period does (COVERAGE_ENDS_BEFORE_PERIOD), a processing-time percentile read in the rollup\'s pooled top bucket, with its bound '
      + '(PERCENTILE_IN_TOP_BUCKET). Empty when nothing is worth saying. Computed only when selected.',
  })
  warnings(@Root() result: AggregateResult, @Ctx() ctx: GatewayContext): Promise<AggregateWarning[]> {
    const outcome = result as AggregateOutcome;
    const aggregates = new AggregateService(ctx.sql, ctx.em, ctx.config.statementTimeoutMs);
    return new AggregateWarningsService(ctx.sql, ctx.config.statementTimeoutMs, (spec) => aggregates.run(spec))
      .warnings({ spec: outcome.spec, rows: outcome.rows, truncated: outcome.truncated, coverage: outcome.coverage });
  }

  // A field resolver too: the statistics cost a second pass over the rows, paid only when selected.
  @FieldResolver(() => [DistributionGroup], {
    description: 'A ratio measure (one of `measures`) across the units of each group: one DistributionGroup per combination of the groupBy '
      + 'dimensions other than UNIT (or PROVINCE, when UNIT is not grouped on), over every row before the limit (after `having`). Each '
      + 'gives the ratio of sums (a big province weighs more) beside the distribution of the units\' own rates (each unit counts once: '
      + 'mean of unit rates, median, quartiles, min and max with their units); the two are different numbers. Needs UNIT or PROVINCE in '
      + 'groupBy (BAD_USER_INPUT otherwise). Computed only when selected.',
  })
  distribution(
    @Root() result: AggregateResult, @Arg('measure', () => AggregateMeasure) measure: AggregateMeasure, @Ctx() ctx: GatewayContext,
  ): Promise<DistributionGroup[]> {
    const aggregates = new AggregateService(ctx.sql, ctx.em, ctx.config.statementTimeoutMs);
    return aggregateDistribution((result as AggregateOutcome).spec, measure, (spec) => aggregates.run(spec));
  }
}

@Resolver(() => AggregateRow)
export class AggregateRowResolver {
  @FieldResolver(() => MeasureValue, {
    nullable: true,
    description: 'One measure by name, for typed columns through aliases (`rate: value(measure: ON_TIME_RATE) { value }`); null unless the query asked for it.',
  })
  value(@Root() row: AggregateRow, @Arg('measure', () => AggregateMeasure) measure: AggregateMeasure): MeasureValue | null {
    return row.byMeasure.get(measure) ?? null;
  }
}
