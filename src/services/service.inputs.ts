import { IsOptional, IsString, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { UnitProcedureFilter } from '../common/unit-procedure.filter';

@InputType({ description: 'Services of a unit (read at unitAt, default today), a procedure, a sector.' })
export class ServiceFilter extends UnitProcedureFilter {
  @Field({ nullable: true })
  @IsOptional() @IsString() @Length(1, 64)
  sectorCode?: string;
}
