import { Entity, ManyToOne, PrimaryKey, PrimaryKeyProp, Property, Ref } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { YearMonthScalar } from '../common/scalars';
import { Procedure } from '../procedures/procedure.entity';
import { IngestRun } from '../provenance/ingest-run.entity';
import { Source } from '../provenance/source.entity';
import { Sourced } from '../provenance/sourced.entity';
import { Unit } from '../units/unit.entity';

/**
 * Dossier counts for one unit, procedure and month: the national-scale fact table (~10M rows).
 * In the database the key is (unit_id, month, procedure_id): a sync writes one province's units
 * at a time into one region of the index, and reads by unit and period use it (migration
 * Migration20261202000000_filing_key); narrow integer columns keep rows small.
 */
@ObjectType({ description: 'Dossier (hồ sơ) counts for one unit, procedure and month.' })
@Entity({ tableName: 'filing_stat' })
export class FilingStat implements Sourced {
  [PrimaryKeyProp]?: ['month', 'unit', 'procedure'];

  @Field(() => YearMonthScalar)
  @PrimaryKey({ type: 'date' })
  month!: string;

  // No foreign keys on this table: ingest resolves every code before writing, and FK triggers
  // cost more than half of bulk-write time (npm run bench:ingest).
  @ManyToOne(() => Unit, { primary: true, ref: true, createForeignKeyConstraint: false })
  unit!: Ref<Unit>;

  @ManyToOne(() => Procedure, { primary: true, ref: true, createForeignKeyConstraint: false })
  procedure!: Ref<Procedure>;

  @ManyToOne(() => Source, { ref: true, createForeignKeyConstraint: false })
  source!: Ref<Source>;

  @ManyToOne(() => IngestRun, { ref: true, createForeignKeyConstraint: false })
  run!: Ref<IngestRun>;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();

  @Field(() => Int, { description: 'Dossiers received through every channel.' })
  @Property({ type: 'integer' })
  received!: number;

  @Field(() => Int)
  @Property({ type: 'integer' })
  receivedOnline!: number;

  @Field(() => Int, { description: 'Received through the public postal service (BCCI).' })
  @Property({ type: 'integer', default: 0 })
  receivedPostal: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer', default: 0 })
  resolvedOnTime: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer', default: 0 })
  resolvedLate: number = 0;

  @Field(() => Int, { description: 'Dossiers with a fee obligation.' })
  @Property({ type: 'integer', default: 0 })
  withFee: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer', default: 0 })
  paidOnline: number = 0;

  @Field(() => Int, { description: 'Dossiers synchronised to the national portal (DVCQG).' })
  @Property({ type: 'integer', default: 0 })
  syncedNational: number = 0;

  @Field(() => Int, { description: 'Received in person: received less online and postal.' })
  get receivedInPerson(): number {
    return this.received - this.receivedOnline - this.receivedPostal;
  }
}
