import { IsDateString, IsOptional, IsString, Length, Matches } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { LocalDateScalar, YearMonthScalar } from '../common/scalars';

@InputType()
export class FilingStatFilter {
  @Field({ nullable: true, description: 'The unit holding this code on `unitAt` (default: the first day of `from`, else today).' })
  @IsOptional() @IsString() @Length(1, 32)
  unitCode?: string;

  @Field(() => LocalDateScalar, { nullable: true })
  @IsOptional() @IsDateString({ strict: true })
  unitAt?: string;

  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 32)
  procedureCode?: string;

  @Field(() => YearMonthScalar, { nullable: true, description: 'First month, inclusive.' })
  @IsOptional() @Matches(/^\d{4}-\d{2}$/)
  from?: string;

  @Field(() => YearMonthScalar, { nullable: true, description: 'Last month, inclusive.' })
  @IsOptional() @Matches(/^\d{4}-\d{2}$/)
  to?: string;
}
