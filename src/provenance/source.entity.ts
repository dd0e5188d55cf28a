import { ArrayType, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';

export enum SourceKind {
  REFERENCE = 'reference',
  PUSH = 'push',
  IMPORT = 'import',
  DVCQG = 'dvcqg',
  DOSSIER_FEED = 'dossier_feed',
  STATS_EXPORT = 'stats_export',
}
registerEnumType(SourceKind, {
  name: 'SourceKind',
  description: 'How a source delivers data: bundled reference data, integrator push, file import, the national portal API, a one-stop dossier feed, a statistics export.',
});

export enum SourceStatus {
  HEALTHY = 'healthy',
  DEGRADED = 'degraded',
  FAILING = 'failing',
}
registerEnumType(SourceStatus, {
  name: 'SourceStatus',
  description: 'healthy: the last sync succeeded; degraded: it failed (the last good data is kept, see lastError); failing: several consecutive syncs failed.',
});

/** Where facts come from. Every fact row names its source, so every figure can be traced. */
@ObjectType({ description: 'A data source: a portal, an integrator, a file import or the bundled reference data.' })
@Entity({ tableName: 'source' })
export class Source {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field({ description: 'Stable identifier, e.g. "dvcqg", "igate-80", "push:hcm-lgsp".' })
  @Property({ type: 'string', length: 64, unique: true })
  code!: string;

  @Field()
  @Property({ type: 'text' })
  name!: string;

  @Field(() => SourceKind)
  // Text in the database (a check on its spelling), so that a new connector kind needs no migration.
  @Enum({ items: () => SourceKind })
  kind!: SourceKind;

  /** Higher wins when two sources report the same fact (see README, conflicts). */
  @Field(() => Int, { description: 'When two sources report the same fact, the higher precedence wins; the other value is kept as a revision.' })
  @Property({ type: 'integer', default: 0 })
  precedence: number = 0;

  /** Where the source is pulled from; shown through SourceResolver.baseUrl, redacted to anonymous callers. */
  @Property({ type: 'text', nullable: true })
  baseUrl?: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field({ nullable: true, description: 'When the source is synced on its own: a cron expression (Asia/Ho_Chi_Minh time). Null for sources that push or are imported.' })
  @Property({ type: 'string', length: 120, nullable: true })
  schedule?: string;

  @Field(() => [String], { nullable: true, name: 'units', description: 'Codes of the units (provinces) the source covers, with everything below them; ["*"] for the whole nation.' })
  @Property({ type: ArrayType, nullable: true })
  unitCodes?: string[];

  /** Connector options from the registry file (page sizes, time limits, first month...). */
  @Property({ type: 'json', default: '{}' })
  options: Record<string, unknown> = {};

  /** Names of the environment variables holding the secrets, never the secrets themselves. */
  @Property({ type: 'json', nullable: true })
  credentials?: Record<string, string>;

  @Field(() => SourceStatus, { nullable: true, description: 'Health of the last syncs; null until the source is first synced.' })
  @Enum({ items: () => SourceStatus, nativeEnumName: 'source_status', nullable: true })
  status?: SourceStatus;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the last sync started.' })
  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the last successful sync finished: how fresh the data is.' })
  @Property({ type: 'timestamptz', nullable: true })
  lastSuccessAt?: Date;

  @Field(() => Int, { nullable: true, description: 'Records read from the source by the last successful sync.' })
  @Property({ type: 'integer', nullable: true })
  lastRows?: number;

  /** Why the last sync failed; shown through SourceResolver.lastError, addresses redacted to anonymous callers. */
  @Property({ type: 'text', nullable: true })
  lastError?: string;

  @Field(() => Int, { description: 'Syncs failed in a row (0 after a success).' })
  @Property({ type: 'integer', default: 0 })
  consecutiveFailures: number = 0;

  /** Cursor state of the last successful sync; written with its data, in one transaction. */
  @Property({ type: 'json', default: '{}' })
  syncState: Record<string, unknown> = {};
}
