import { Entity, Enum, Index, ManyToOne, PrimaryKeyProp, Property, Ref } from '@mikro-orm/core';
import { registerEnumType } from 'type-graphql';
import { Unit } from './unit.entity';

export enum LineageType {
  FULL = 'full',
  PARTIAL = 'partial',
}
registerEnumType(LineageType, {
  name: 'LineageType',
  description: 'full: the whole predecessor went into the successor; partial: only part of it (its figures need a weight to move).',
});

/** A predecessor → successor link created by a merger or split. */
@Entity({ tableName: 'unit_lineage' })
export class UnitLineage {
  [PrimaryKeyProp]?: ['predecessor', 'successor'];

  @ManyToOne(() => Unit, { primary: true, ref: true, deleteRule: 'cascade' })
  predecessor!: Ref<Unit>;

  @ManyToOne(() => Unit, { primary: true, ref: true, deleteRule: 'cascade' })
  @Index()
  successor!: Ref<Unit>;

  @Enum({ items: () => LineageType, nativeEnumName: 'lineage_type' })
  type!: LineageType;

  @Property({ type: 'date' })
  effectiveOn!: string;
}
