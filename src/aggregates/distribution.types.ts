import { Field, Float, Int, ObjectType } from 'type-graphql';
import { AggregateDimensions, UnitRef } from './aggregate.types';

/**
 * The two national figures a ratio can give, which reports confuse: the ratio of sums (every
 * dossier or service counts once, so a big province weighs more) and the mean of the units' own
 * rates (every unit counts once, however small). Both are given, each under its own name.
 */
const RATIO_OF_SUMS = 'The ratio of sums: the units\' numerators summed over their denominators summed (the figure of the whole, as the '
  + 'measure itself is computed). A big unit weighs more than a small one; it differs from Distribution.meanOfUnitRates, where each unit counts once.';

@ObjectType({ simpleResolvers: true, description: `${RATIO_OF_SUMS} Value null when the denominator is 0.` })
export class RatioValue {
  @Field(() => Float, { nullable: true, description: 'numerator / denominator; null when the denominator is 0.' })
  value!: number | null;

  @Field(() => Float)
  numerator!: number;

  @Field(() => Float)
  denominator!: number;
}

@ObjectType({ simpleResolvers: true, description: 'The lowest or highest unit rate, and every unit holding it (ties listed, by code).' })
export class DistributionExtreme {
  @Field(() => Float)
  value!: number;

  @Field(() => [UnitRef])
  units!: UnitRef[];
}

@ObjectType({
  simpleResolvers: true,
  description: 'Statistics of the units\' own rates, each unit counting once whatever its size (computed in SQL). NOT the ratio of sums: '
    + 'meanOfUnitRates is the average of the units\' values, which the ratio of sums (RatioValue) is not; a big province pulls the ratio '
    + 'of sums towards its rate, while it weighs as much as the smallest in the mean, the median and the quartiles. Units without a value '
    + '(no data, or a zero denominator) are counted in unitsWithoutValue and left out of every statistic.',
})
export class Distribution {
  @Field(() => Int)
  unitsWithValue!: number;

  @Field(() => Int)
  unitsWithoutValue!: number;

  @Field(() => Float, { nullable: true, description: 'Mean of unit rates: the average of the units\' values, each unit once (not the ratio of sums).' })
  meanOfUnitRates!: number | null;

  @Field(() => Float, { nullable: true, description: 'Median of the unit rates (percentile_cont(0.5): the mean of the two middle values when their count is even).' })
  median!: number | null;

  @Field(() => Float, { nullable: true, description: 'First quartile of the unit rates, percentile_cont(0.25): linear interpolation, as Excel\'s QUARTILE.INC.' })
  lowerQuartile!: number | null;

  @Field(() => Float, { nullable: true, description: 'Third quartile of the unit rates, percentile_cont(0.75): linear interpolation, as Excel\'s QUARTILE.INC.' })
  upperQuartile!: number | null;

  @Field(() => DistributionExtreme, { nullable: true, description: 'Lowest unit rate and its units; null when no unit has a value.' })
  min!: DistributionExtreme | null;

  @Field(() => DistributionExtreme, { nullable: true, description: 'Highest unit rate and its units; null when no unit has a value.' })
  max!: DistributionExtreme | null;
}

@ObjectType({
  simpleResolvers: true,
  description: 'A ratio measure across the units of one group of an aggregate (one combination of the groupBy dimensions other than UNIT '
    + 'or PROVINCE): the ratio of sums beside the distribution of the units\' own rates, which are different numbers.',
})
export class DistributionGroup {
  @Field(() => AggregateDimensions, { description: 'The group: the groupBy dimensions other than the one the units are read on (that one is null).' })
  dimensions!: AggregateDimensions;

  @Field(() => RatioValue, { description: RATIO_OF_SUMS })
  ratioOfSums!: RatioValue;

  @Field(() => Distribution, { description: 'The units\' own rates, each unit counting once: mean of unit rates, median, quartiles, min and max.' })
  unitRates!: Distribution;
}
