import { Entity, Index, ManyToOne, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { Sourced } from '../provenance/sourced.entity';
import { Unit } from '../units/unit.entity';

/** A unit's yearly plan for its online services (kế hoạch), which it must issue by a deadline. */
@ObjectType({ description: "A unit's yearly plan for its online public services." })
@Entity({ tableName: 'plan' })
@Unique({ properties: ['unit', 'year'] })
@Index({ properties: ['year'] })
export class Plan extends Sourced {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Unit, { ref: true })
  unit!: Ref<Unit>;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  year!: number;

  @Field({ nullable: true, description: 'Document number, e.g. "123/KH-UBND". Null while not issued.' })
  @Property({ type: 'string', length: 64, nullable: true })
  documentNumber?: string;

  @Field({ nullable: true })
  @Property({ type: 'text', nullable: true })
  title?: string;

  @Field(() => LocalDateScalar, { nullable: true })
  @Property({ type: 'date', nullable: true })
  issuedOn?: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'The deadline set for issuing it.' })
  @Property({ type: 'date', nullable: true })
  dueOn?: string;
}
