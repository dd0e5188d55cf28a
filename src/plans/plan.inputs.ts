import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { Indicator } from './target.entity';

@InputType()
export class PlanFilter {
  @Field({ nullable: true, description: 'The unit holding this code on `unitAt` (default: 1 January of `year`, else today).' })
  @IsOptional() @IsString() @Length(1, 32)
  unitCode?: string;

  @Field(() => LocalDateScalar, { nullable: true })
  unitAt?: string;

  @Field(() => Int, { nullable: true })
  @IsOptional() @IsInt() @Min(2000) @Max(2100)
  year?: number;
}

@InputType()
export class TargetFilter {
  @Field(() => Indicator, { nullable: true })
  @IsOptional()
  indicator?: Indicator;
}
