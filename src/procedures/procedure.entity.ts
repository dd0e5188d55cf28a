import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Sourced } from '../provenance/sourced.entity';
import { Sector } from './sector.entity';

export enum ProcedureTier {
  CENTRAL = 'central',
  PROVINCE = 'province',
  DISTRICT = 'district',
  COMMUNE = 'commune',
}
registerEnumType(ProcedureTier, { name: 'ProcedureTier', description: 'The tier of government that carries a procedure out.' });

/** An administrative procedure (thủ tục hành chính) of the national catalogue. */
@ObjectType({ description: 'An administrative procedure (TTHC) of the national catalogue.' })
@Entity({ tableName: 'procedure' })
export class Procedure extends Sourced {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field({ description: 'National catalogue code, e.g. "1.001612" (opaque).' })
  @Property({ type: 'string', length: 32, unique: true })
  code!: string;

  @Field()
  @Property({ type: 'text' })
  name!: string;

  @ManyToOne(() => Sector, { ref: true })
  @Index()
  sector!: Ref<Sector>;

  @Field(() => ProcedureTier)
  @Enum({ items: () => ProcedureTier, nativeEnumName: 'procedure_tier' })
  tier!: ProcedureTier;

  @Field({ description: 'Whether the procedure can be provided fully online (the "eligible services" of the 2021 target).' })
  @Property({ type: 'boolean', default: true })
  eligibleFullOnline: boolean = true;

  @Field({ description: 'One of the 25 essential services of Đề án 06 (Decision 06/QĐ-TTg, 2022).' })
  @Property({ type: 'boolean', default: false })
  essential: boolean = false;
}
