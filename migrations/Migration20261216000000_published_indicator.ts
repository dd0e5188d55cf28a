import { Migration } from '@mikro-orm/migrations';

/**
 * Published indicators (issue 13, item 3): a figure a document made public (a monthly report of
 * the national portal, a ministry's or province's own report), kept beside the detail the gateway
 * computes the same indicator from. A fact like the others: recorded with its source and run
 * (provenance), written through the ingest core (src/ingest), corrections kept in fact_revision.
 *
 * Keyed by (unit, indicator, period or date, document): the same figure pushed again changes
 * nothing, and two documents publishing the same period are two facts (a report and its revision
 * both stay readable). A period is a month, a quarter or a year (period_start its first day,
 * period_end its last); a stock indicator is published on a date (grain 'date', start = end).
 */
export class Migration20261216000000_published_indicator extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter type "fact_type" add value if not exists 'published_indicator';`);
    this.addSql(`create table "published_indicator" (
      "id" serial primary key,
      "source_id" int not null references "source" ("id") on update cascade,
      "run_id" int not null references "ingest_run" ("id") on update cascade,
      "updated_at" timestamptz not null default now(),
      "unit_id" int not null references "unit" ("id") on update cascade,
      "indicator" "indicator" not null,
      "period_grain" varchar(8) not null check ("period_grain" in ('month', 'quarter', 'year', 'date')),
      "period_start" date not null,
      "period_end" date not null,
      "document_number" varchar(64) not null,
      "value" numeric(7,6) not null check ("value" >= 0 and "value" <= 1),
      "document_date" date not null,
      "document_title" text null,
      "document_url" text null,
      constraint "published_indicator_key" unique ("unit_id", "indicator", "period_grain", "period_start", "document_number"),
      check ("period_end" >= "period_start")
    );`);
    // Readers ask by unit and a range of periods (publishedVsComputed), or by indicator and period (targetCompliance).
    this.addSql(`create index "published_indicator_indicator_period" on "published_indicator" ("indicator", "period_grain", "period_start");`);
    this.addSql(`create index "published_indicator_run" on "published_indicator" ("run_id");`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "published_indicator";`);
  }
}
