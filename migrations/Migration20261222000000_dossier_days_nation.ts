import { Migration } from '@mikro-orm/migrations';

/**
 * A national processing-days histogram (issue 13, item 1: "processing time by month" missed its
 * 0.1× target at 0.123×). dossier_days_rollup_l1 is keyed by source and top-level unit, and each
 * province is its own feed, so a national month summed about 4,000 rows: 49,035 for 2024 in the
 * national world (6.3M dossiers). Summed over sources and top-level units, 2024 is 1,219 rows.
 *
 * - `dossier_days_rollup_nation`: per resolution month and reporting unit kind (as reported and
 *   today), the histogram of processing days (same buckets as dossier_days_rollup_l1: 365 pools
 *   365 or more), with the dossiers, their exact total days and the largest.
 * - `dossier_days_sources_nation`: the sources with a row in that month and kind (792 rows for
 *   2024), so that an answer read from the histogram names exactly the sources the per-source
 *   rollup would (its `sources` list).
 *
 * Both are derived from dossier_days_rollup_l1 by src/aggregates/rollup.service.ts for the months a
 * refreshed (source, top-level unit) cell held before or holds after its refresh. Watched by the
 * data version.
 */
export class Migration20261222000000_dossier_days_nation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "dossier_days_rollup_nation" ("month" date not null, "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null,
      "days" int not null, "dossiers" bigint not null, "total_days" bigint not null, "max_days" int not null);`);
    this.addSql(`create index "dossier_days_rollup_nation_month_index" on "dossier_days_rollup_nation" ("month");`);
    this.addSql(`comment on table "dossier_days_rollup_nation" is 'dossier_days_rollup_l1 summed over sources and top-level units; its sources are in dossier_days_sources_nation. Derived by rollup.service.ts: do not write.';`);
    this.addSql(`create table "dossier_days_sources_nation" ("month" date not null, "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null,
      "source_id" int not null);`);
    this.addSql(`create index "dossier_days_sources_nation_month_index" on "dossier_days_sources_nation" ("month");`);
    this.addSql(`comment on table "dossier_days_sources_nation" is 'The sources of dossier_days_rollup_nation''s rows, per month and unit kinds. Derived by rollup.service.ts: do not write.';`);
    // Existing histograms: summed from the monthly rollup (cells listed stale are recomputed, with their months, at the next refresh).
    this.addSql(`insert into "dossier_days_rollup_nation" (month, unit_kind, cur_unit_kind, days, dossiers, total_days, max_days)
      select month, unit_kind, cur_unit_kind, days, sum(dossiers), sum(total_days), max(max_days)
      from "dossier_days_rollup_l1" group by 1, 2, 3, 4 order by 1;`);
    this.addSql(`insert into "dossier_days_sources_nation" (month, unit_kind, cur_unit_kind, source_id)
      select distinct month, unit_kind, cur_unit_kind, source_id from "dossier_days_rollup_l1" order by 1;`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dossier_days_sources_nation";`);
    this.addSql(`drop table if exists "dossier_days_rollup_nation";`);
  }

}
