import { Migration } from '@mikro-orm/migrations';

/**
 * Federation (issue 3): sources configured from the registry file, with their schedule, coverage,
 * health and the cursor state of their last good sync; and the compact per-dossier store that
 * lets a dossier feed be aggregated incrementally.
 */
export class Migration20261125000000_sources extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "source_status" as enum ('healthy', 'degraded', 'failing');`);
    this.addSql(`alter table "source"
      add column "schedule" varchar(120) null,
      add column "unit_codes" text[] null,
      add column "options" jsonb not null default '{}',
      add column "credentials" jsonb null,
      add column "status" "source_status" null,
      add column "last_attempt_at" timestamptz null,
      add column "last_success_at" timestamptz null,
      add column "last_rows" int null,
      add column "last_error" text null,
      add column "consecutive_failures" int not null default 0,
      add column "sync_state" jsonb not null default '{}';`);
    this.addSql(`comment on column "source"."credentials" is 'Names of the environment variables holding the secrets (never the secrets).';`);
    this.addSql(`comment on column "source"."sync_state" is 'Cursor state of the last successful sync (feed position, months synced); written in the same transaction as its data.';`);

    // One row per dossier a feed served, in its latest version: enough to recompute the monthly
    // filing statistics of any (unit, procedure, month) group when dossiers arrive or change.
    // Partitioned by source so a feed's first sync COPYs straight into its own partition and an
    // incremental recompute scans only that feed's rows. No foreign keys (like filing_stat): the
    // connector resolves every code before writing, and FK triggers would halve bulk-load speed.
    this.addSql(`create table "dossier" (
      "source_id" int not null,
      "code" varchar(64) not null,
      "unit_id" int not null,
      "procedure_id" int not null,
      "month" date not null,
      "modified" bigint not null,
      "flags" smallint not null,
      constraint "dossier_pkey" primary key ("source_id", "code")
    ) partition by list ("source_id");`);
    this.addSql(`comment on table "dossier" is 'Latest version of each dossier a feed served (MaHoSo = code); one partition per source (dossier_s<id>), created by the sync.';`);
    this.addSql(`comment on column "dossier"."modified" is 'NgayCapNhat as the number yyyyMMddHHmmss (Asia/Ho_Chi_Minh): a later version replaces an earlier one.';`);
    this.addSql(`comment on column "dossier"."flags" is 'bits 0-1 channel (1 in person, 2 online, 3 postal); 2 resolved on time; 3 resolved late; 4 fee; 5 paid online; 6 synced to DVCQG.';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dossier";`);
    this.addSql(`alter table "source" drop column "schedule", drop column "unit_codes", drop column "options", drop column "credentials",
      drop column "status", drop column "last_attempt_at", drop column "last_success_at", drop column "last_rows", drop column "last_error",
      drop column "consecutive_failures", drop column "sync_state";`);
    this.addSql(`drop type if exists "source_status";`);
  }

}
