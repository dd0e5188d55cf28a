import { BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { registerEnumType } from 'type-graphql';
import { IngestRun } from './ingest-run.entity';
import { Source } from './source.entity';

export enum FactType {
  SERVICE_LEVEL = 'service_level',
  FILING_STAT = 'filing_stat',
  PLAN = 'plan',
  /** A figure a document published (src/published). */
  PUBLISHED_INDICATOR = 'published_indicator',
  /** A Decision 766 score the national portal published (src/index766). */
  PUBLISHED_INDEX_SCORE = 'published_index_score',
  /**
   * The dossier store's dossiers (src/ingest/dossier-stage.ts), which the dossier measures read:
   * a kind of live update (a dossier's days can change without any filing). No revision is kept
   * of them: a dossier's latest version replaces the earlier one.
   */
  DOSSIER = 'dossier',
}
registerEnumType(FactType, { name: 'FactType' });

export enum RevisionReason {
  /** A later figure from the same or a higher-precedence source replaced this one. */
  CORRECTED = 'corrected',
  /** A lower-precedence source reported a different figure; it lost and is kept here. */
  OUTRANKED = 'outranked',
}
registerEnumType(RevisionReason, { name: 'RevisionReason' });

/**
 * The values a fact had before a correction, or a value that lost to a higher-precedence source:
 * nothing a source said is thrown away.
 */
@Entity({ tableName: 'fact_revision' })
@Index({ properties: ['factType', 'factKey'] })
export class FactRevision {
  @PrimaryKey({ type: BigIntType, autoincrement: true })
  id!: string;

  @Enum({ items: () => FactType, nativeEnumName: 'fact_type' })
  factType!: FactType;

  /** Natural key of the fact, e.g. {"unitId":12,"procedureId":3,"month":"2021-03-01"}. */
  @Property({ type: 'jsonb' })
  factKey!: Record<string, unknown>;

  @Enum({ items: () => RevisionReason, nativeEnumName: 'revision_reason' })
  reason!: RevisionReason;

  /** The value not (or no longer) in the fact table. */
  @Property({ type: 'jsonb' })
  value!: Record<string, unknown>;

  @ManyToOne(() => Source, { ref: true })
  valueSource!: Ref<Source>;

  @ManyToOne(() => IngestRun, { ref: true, nullable: true })
  valueRun?: Ref<IngestRun>;

  /** The run that caused the revision. */
  @ManyToOne(() => IngestRun, { ref: true })
  @Index()
  run!: Ref<IngestRun>;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  recordedAt: Date = new Date();
}
