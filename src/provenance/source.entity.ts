import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

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
  @Enum({ items: () => SourceKind, nativeEnumName: 'source_kind' })
  kind!: SourceKind;

  /** Higher wins when two sources report the same fact (see README, conflicts). */
  @Field(() => Int, { description: 'When two sources report the same fact, the higher precedence wins; the other value is kept as a revision.' })
  @Property({ type: 'integer', default: 0 })
  precedence: number = 0;

  @Field({ nullable: true })
  @Property({ type: 'text', nullable: true })
  baseUrl?: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
