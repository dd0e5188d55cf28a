import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ValidateNested } from 'class-validator';
import { GatewayContext } from '../server/context';
import { AggregateInput } from './aggregate.inputs';
import { AggregateService } from './aggregate.service';
import { AggregateResult, AggregateRow, MeasureValue } from './aggregate.types';
import { AggregateMeasure } from './measures';

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
