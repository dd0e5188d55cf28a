import { Migration } from '@mikro-orm/migrations';

/**
 * The national portal's own Decision 766 scores (issue 13, item 2): per unit and period (a month,
 * a quarter or a year), each group's points and the total with the portal's rank, as the portal
 * published them, synced by the DVCQG connector (part index766) and shown beside what the gateway
 * computes. Provenance like the facts: the source and run that wrote each row.
 */
export class Migration20261216000100_published_index_score extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "published_index_score" (
      "id" serial primary key,
      "source_id" int not null references "source" ("id") on update cascade,
      "run_id" int not null references "ingest_run" ("id") on update cascade,
      "updated_at" timestamptz not null default now(),
      "unit_id" int not null references "unit" ("id") on update cascade,
      "period_grain" varchar(8) not null check ("period_grain" in ('month', 'quarter', 'year')),
      "period_start" date not null,
      "period_end" date not null,
      "component" varchar(32) not null,
      "points" numeric(6,2) not null check ("points" >= 0 and "points" <= 100),
      "rank" int null,
      constraint "published_index_score_key" unique ("unit_id", "period_grain", "period_start", "component")
    );`);
    this.addSql(`create index "published_index_score_period" on "published_index_score" ("period_grain", "period_start");`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "published_index_score";`);
  }
}
