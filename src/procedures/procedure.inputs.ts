import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { ProcedureTier } from './procedure.entity';

@InputType()
export class ProcedureFilter {
  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 32)
  code?: string;

  @Field({ nullable: true, description: 'Part of the name, case-sensitive as stored.' })
  @IsOptional() @IsString() @Length(1, 100)
  name?: string;

  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 64)
  sectorCode?: string;

  @Field(() => ProcedureTier, { nullable: true })
  @IsOptional()
  tier?: ProcedureTier;

  @Field({ nullable: true })
  @IsOptional() @IsBoolean()
  essential?: boolean;

  @Field({ nullable: true })
  @IsOptional() @IsBoolean()
  eligibleFullOnline?: boolean;
}
