import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { Source } from './source.entity';

export enum RunKind {
  REFERENCE = 'reference',
  PUSH = 'push',
  IMPORT = 'import',
  SYNC = 'sync',
}
registerEnumType(RunKind, { name: 'RunKind' });

export enum RunStatus {
  RUNNING = 'running',
  SUCCEEDED = 'succeeded',
  REJECTED = 'rejected',
  FAILED = 'failed',
  ABANDONED = 'abandoned',
}
registerEnumType(RunStatus, {
  name: 'RunStatus',
  description:
    'rejected: the batch failed validation and nothing was written; failed: an error stopped it and nothing was written; ' +
    'abandoned: the process running it died (crash, kill, lost database) and nothing was written.',
});

/** One ingest: a pushed batch, an imported file, a sync of a source, or the reference load. */
@ObjectType({ description: 'One ingest run: what it read, wrote and rejected, and how it ended.' })
@Entity({ tableName: 'ingest_run' })
@Index({ properties: ['source', 'startedAt'] })
export class IngestRun {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Source, { ref: true })
  source!: Ref<Source>;

  @Field(() => RunKind)
  @Enum({ items: () => RunKind, nativeEnumName: 'run_kind' })
  kind!: RunKind;

  @Field(() => RunStatus)
  @Enum({ items: () => RunStatus, nativeEnumName: 'run_status' })
  status: RunStatus = RunStatus.RUNNING;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  startedAt: Date = new Date();

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  finishedAt?: Date;

  @Field(() => Int)
  @Property({ type: 'integer', default: 0 })
  rowsRead: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer', default: 0 })
  rowsWritten: number = 0;

  @Field(() => Int)
  @Property({ type: 'integer', default: 0 })
  rowsRejected: number = 0;

  @Field({ nullable: true, description: 'Why the run was rejected, failed or abandoned.' })
  @Property({ type: 'text', nullable: true })
  error?: string;

  /** pg_backend_pid() of the connection holding the run's transaction (the abandoned-run sweep checks it is still there). */
  @Property({ type: 'integer', nullable: true })
  backendPid?: number;

  /** That backend's start time: pids are reused, pid and start are not. */
  @Property({ type: 'timestamptz', nullable: true })
  backendStart?: Date;

  /** Free-form detail: file name, API key name, page cursors. */
  @Property({ type: 'json', nullable: true })
  detail?: Record<string, unknown>;
}
