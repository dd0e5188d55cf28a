import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Sourced } from '../provenance/sourced.entity';

/** A field of administration (lĩnh vực), e.g. "Hộ tịch" (civil status), "Đất đai" (land). */
@ObjectType({ description: 'A sector (lĩnh vực) grouping procedures, e.g. "Hộ tịch".' })
@Entity({ tableName: 'sector' })
export class Sector extends Sourced {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field()
  @Property({ type: 'string', length: 64, unique: true })
  code!: string;

  @Field()
  @Property({ type: 'text' })
  name!: string;
}
