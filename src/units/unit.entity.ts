import { Entity, Enum, Formula, Index, ManyToOne, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { renamedSql, UnitNode } from './unit-row.mapper';

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

  @Field({
    description: 'The name on the date the unit was read for: `at` of unit(code, at), `validAt` of units(filter), `at` of children, '
      + 'the date of its child for parent, the last day of the plan year for a plan\'s unit, the first day of the month for a filing statistic\'s unit, the last day of a predecessor and the first of a successor; otherwise today\'s name (for a closed '
      + 'unit, the name it closed with). Renames without a code change keep the unit (Thừa Thiên Huế became the city of Huế on '
      + '2025-01-01, code 46 throughout): see nameAt and names.',
  })
  @Property({ type: 'text' })
  name!: string;

  /**
   * Whether the unit has former names (unit_name). Read with the unit so that the many units
   * never renamed answer `name` at a date without another statement.
   */
  @Formula((alias) => renamedSql(`${alias}`), { type: 'boolean', hidden: true })
  renamed?: boolean;

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

/** A unit read for a date: `name` then answers the name valid on that date. */
export type UnitReadAt<U extends UnitNode = UnitNode> = U & { readonly readAt?: string };

/**
 * A copy of `unit` read for `date`: the date cannot be set on the unit itself, which the request's
 * loaders share between everyone who reads the unit, possibly for other dates. A shallow copy of
 * the node's few fields, not a view with the unit as its prototype: every object V8 makes a
 * prototype leaves its fast shape (readAt was 3.1% of a unit lookup's CPU profile, the most of any
 * function of ours; bench:execution).
 */
export function readAt<U extends UnitNode>(unit: U, date: string | undefined | null): UnitReadAt<U> {
  if (!date) return unit;
  return { ...unit, readAt: date };
}
