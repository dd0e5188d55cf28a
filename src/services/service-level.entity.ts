import { Entity, Enum, ManyToOne, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { Sourced } from '../provenance/sourced.entity';
import { Service } from './service.entity';

export enum LevelTaxonomy {
  DECREE_43 = 'decree43',
  DECREE_42 = 'decree42',
}
registerEnumType(LevelTaxonomy, {
  name: 'LevelTaxonomy',
  description: 'decree43: levels 1-4 (Decree 43/2011, until 2022); decree42: info/partial/full (Decree 42/2022).',
});

/** The levels each taxonomy allows, as sources report them. */
export const LEVELS: Record<LevelTaxonomy, readonly string[]> = {
  [LevelTaxonomy.DECREE_43]: ['1', '2', '3', '4'],
  [LevelTaxonomy.DECREE_42]: ['info', 'partial', 'full'],
};

/** A service's online level as a source reported it, in force from `validFrom` until the next row. */
@ObjectType({ description: 'An online level as reported, in its own taxonomy, in force from a date until the next report.' })
@Entity({ tableName: 'service_level' })
@Unique({ properties: ['service', 'validFrom'] })
export class ServiceLevel extends Sourced {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Service, { ref: true, deleteRule: 'cascade' })
  service!: Ref<Service>;

  @Field(() => LevelTaxonomy)
  @Enum({ items: () => LevelTaxonomy, nativeEnumName: 'level_taxonomy' })
  taxonomy!: LevelTaxonomy;

  @Field({ description: 'The level in its taxonomy: "1".."4" (decree43) or "info" | "partial" | "full" (decree42).' })
  @Property({ type: 'string', length: 8 })
  level!: string;

  @Field(() => LocalDateScalar)
  @Property({ type: 'date' })
  validFrom!: string;

  @Field({ nullable: true, description: 'Whether the service is integrated on the national portal (DVCQG), when the source says.' })
  @Property({ type: 'boolean', nullable: true })
  integratedNational?: boolean;
}
