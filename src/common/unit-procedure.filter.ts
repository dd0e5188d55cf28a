import { IsOptional, IsString, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { LocalDateScalar } from './scalars';

/** Filters shared by facts keyed by unit and procedure (services, filing statistics). */
@InputType()
export abstract class UnitProcedureFilter {
  @Field({ nullable: true, description: 'The unit holding this code on `unitAt` (codes are reused after mergers).' })
  @IsOptional() @IsString() @Length(1, 32)
  unitCode?: string;

  @Field(() => LocalDateScalar, { nullable: true })
  unitAt?: string;

  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 32)
  procedureCode?: string;
}
