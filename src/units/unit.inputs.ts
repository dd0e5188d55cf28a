import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { UnitKind } from './unit.entity';

@InputType({ description: 'Filters for units; all given filters must hold.' })
export class UnitFilter {
  @Field(() => UnitKind, { nullable: true })
  @IsOptional()
  kind?: UnitKind;

  @Field({ nullable: true, description: 'Exact statistical or agency code.' })
  @IsOptional() @IsString() @Length(1, 32)
  code?: string;

  @Field({ nullable: true, description: 'Part of the current or a former name, accent- and case-insensitive: "tay ninh" finds "Tây Ninh", "thua thien hue" finds Huế (code 46, Tỉnh Thừa Thiên Huế until 2024-12-31).' })
  @IsOptional() @IsString() @Length(1, 100)
  name?: string;

  @Field(() => ID, { nullable: true, description: 'Only the children of this unit (by id).' })
  @IsOptional() @MaxLength(12)
  parentId?: string;

  @Field({ nullable: true, description: 'Only the children of the unit with this code (valid at validAt, or today).' })
  @IsOptional() @IsString() @Length(1, 32)
  parentCode?: string;

  /** No class-validator decorator: the LocalDate scalar is the one owner of a date's form. */
  @Field(() => LocalDateScalar, { nullable: true, description: 'Only units that exist on this date.' })
  validAt?: string;
}
