import { Migration } from '@mikro-orm/migrations';

/**
 * `source.kind` becomes text (issue 9, one pipeline): a new kind of source is a connector file
 * and an entry of src/connectors/connector-registry.ts, which the registry file is checked
 * against; a PostgreSQL enum would also need ALTER TYPE ... ADD VALUE per kind, which cannot be
 * used in the transaction that adds it. The check keeps kinds to the registry's spelling.
 */
export class Migration20261205000000_source_kind_text extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "source" alter column "kind" type text using "kind"::text;`);
    this.addSql(`alter table "source" add constraint "source_kind_check" check ("kind" ~ '^[a-z][a-z0-9_]{0,31}$');`);
    this.addSql(`drop type "source_kind";`);
    this.addSql(`comment on column "source"."kind" is 'reference, push, import, or the kind of a connector (src/connectors/connector-registry.ts).';`);
  }

  override async down(): Promise<void> {
    this.addSql(`create type "source_kind" as enum ('reference', 'push', 'import', 'dvcqg', 'dossier_feed', 'stats_export');`);
    this.addSql(`alter table "source" drop constraint "source_kind_check";`);
    this.addSql(`alter table "source" alter column "kind" type "source_kind" using "kind"::"source_kind";`);
  }
}
