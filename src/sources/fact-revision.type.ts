import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar, JSONObjectScalar } from '../common/scalars';
import { FactType, RevisionReason } from '../provenance/fact-revision.entity';

/** A fact_revision row as GraphQL shows it; its source and runs resolve through the request's loaders. */
@ObjectType('FactRevision', {
  description: 'A value a fact no longer shows: replaced by a correction (CORRECTED), or reported by a source that lost to one of higher precedence (OUTRANKED). Nothing a source said is thrown away.',
})
export class FactRevisionType {
  @Field(() => ID)
  id!: string;

  @Field(() => FactType)
  factType!: FactType;

  @Field(() => JSONObjectScalar, { description: 'The fact\'s key, by ids, e.g. {"month":"2021-03-01","unitId":12,"procedureId":3}.' })
  key!: Record<string, unknown>;

  @Field(() => RevisionReason)
  reason!: RevisionReason;

  @Field(() => JSONObjectScalar, { description: 'The values that source reported, e.g. {"received":12,"receivedOnline":5,...}.' })
  value!: Record<string, unknown>;

  @Field(() => DateTimeScalar, { description: 'When the revision was recorded.' })
  recordedAt!: Date;

  valueSourceId!: number;
  valueRunId!: number | null;
  runId!: number;
}

export interface FactRevisionRow {
  id: string;
  fact_type: FactType;
  fact_key: Record<string, unknown>;
  reason: RevisionReason;
  value: Record<string, unknown>;
  value_source_id: number;
  value_run_id: number | null;
  run_id: number;
  recorded_at: Date;
}

export function toRevision(r: FactRevisionRow): FactRevisionType {
  return Object.assign(new FactRevisionType(), {
    id: String(r.id), factType: r.fact_type, key: r.fact_key, reason: r.reason, value: r.value, recordedAt: r.recorded_at,
    valueSourceId: r.value_source_id, valueRunId: r.value_run_id, runId: r.run_id,
  });
}

export const REVISION_COLUMNS = 'id, fact_type, fact_key, reason, value, value_source_id, value_run_id, run_id, recorded_at';
