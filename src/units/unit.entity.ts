import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';

export enum UnitKind {
  NATION = 'nation',
  MINISTRY = 'ministry',
  PROVINCE = 'province',
  DEPARTMENT = 'department',
  DISTRICT = 'district',
  COMMUNE = 'commune',
}
registerEnumType(UnitKind, {
  name: 'UnitKind',
  description: 'Kinds of administrative unit. Units have validity dates: the 2025 reform (Resolution 202/2025/QH15) turned 63 provinces '
    + 'into 34 and 10,047 communes into 3,321 and abolished the districts; the units it changed closed on 30 June 2025 and their '
    + 'successors opened on 1 July 2025, linked by lineage (full or partial), and the units it left unchanged continue. '
    + 'See docs/domain.md, "Administrative units".',
  valuesConfig: {
    NATION: { description: 'Việt Nam as a whole.' },
    MINISTRY: { description: 'A ministry or ministry-level agency of the Government (restructured on 1 March 2025).' },
    PROVINCE: { description: 'A province or centrally-run city (GSO code of 2 digits): 63 until 30 June 2025, 34 from 1 July 2025.' },
    DEPARTMENT: { description: 'A provincial department (Sở).' },
    DISTRICT: { description: 'A district-tier unit (GSO code of 3 digits); the tier was abolished on 1 July 2025.' },
    COMMUNE: { description: 'A commune, ward or township (GSO code of 5 digits).' },
  },
});

/**
 * One administrative unit for the span of its existence. Codes are reused after mergers (the new
 * Tây Ninh holds old Long An's code 80), so a unit is identified by its code and validity dates,
 * and a reform closes units and opens new ones instead of renaming in place.
 */
@ObjectType({ description: 'An administrative unit (nation, ministry, province, department, district, commune) valid over a span of dates.' })
@Entity({ tableName: 'unit' })
@Unique({ properties: ['code', 'validFrom'] })
export class Unit {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field({ description: 'Statistical code (GSO: province 2 digits, district 3, commune 5) or agency code. Reused across mergers: read it with the validity dates.' })
  @Property({ type: 'string', length: 32 })
  code!: string;

  @Field()
  @Property({ type: 'text' })
  name!: string;

  /** Accent-folded name for matching "Tay Ninh" to "Tây Ninh". */
  @Property({ type: 'text', hidden: true })
  nameSearch!: string;

  @Field(() => UnitKind)
  @Enum({ items: () => UnitKind, nativeEnumName: 'unit_kind' })
  @Index()
  kind!: UnitKind;

  @ManyToOne(() => Unit, { nullable: true, ref: true, deleteRule: 'restrict' })
  @Index()
  parent?: Ref<Unit>;

  @Field(() => LocalDateScalar, { nullable: true, description: 'First day the unit exists (null: before the catalogue starts).' })
  @Property({ type: 'date', nullable: true })
  validFrom?: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Last day the unit exists (null: still exists).' })
  @Property({ type: 'date', nullable: true })
  validTo?: string;
}
