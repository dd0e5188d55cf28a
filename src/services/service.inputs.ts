import { IsDateString, IsOptional, IsString, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';

@InputType()
export class ServiceFilter {
  @Field({ nullable: true, description: 'Services of the unit holding this code on `unitAt` (default today).' })
  @IsOptional() @IsString() @Length(1, 32)
  unitCode?: string;

  @Field(() => LocalDateScalar, { nullable: true })
  @IsOptional() @IsDateString({ strict: true })
  unitAt?: string;

  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 32)
  procedureCode?: string;

  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 64)
  sectorCode?: string;
}
