import { Entity, Index, ManyToOne, PrimaryKey, Ref, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Procedure } from '../procedures/procedure.entity';
import { Sourced } from '../provenance/sourced.entity';
import { Unit } from '../units/unit.entity';

/** One unit offering one procedure. Its online level is a history (ServiceLevel). */
@ObjectType({ description: 'A public service: one unit offering one procedure, with an online level that changes over time.' })
@Entity({ tableName: 'service' })
@Unique({ properties: ['unit', 'procedure'] })
export class Service extends Sourced {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Unit, { ref: true })
  unit!: Ref<Unit>;

  @ManyToOne(() => Procedure, { ref: true })
  @Index()
  procedure!: Ref<Procedure>;
}
