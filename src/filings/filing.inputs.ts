import { IsOptional, Matches } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { YearMonthScalar } from '../common/scalars';
import { UnitProcedureFilter } from '../common/unit-procedure.filter';

@InputType({ description: 'Filing statistics of a unit (read at unitAt, default the first day of `from`, else today), a procedure, a period.' })
export class FilingStatFilter extends UnitProcedureFilter {
  @Field(() => YearMonthScalar, { nullable: true, description: 'First month, inclusive.' })
  @IsOptional() @Matches(/^\d{4}-\d{2}$/)
  from?: string;

  @Field(() => YearMonthScalar, { nullable: true, description: 'Last month, inclusive.' })
  @IsOptional() @Matches(/^\d{4}-\d{2}$/)
  to?: string;
}
