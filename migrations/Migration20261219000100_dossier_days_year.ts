import { Migration } from '@mikro-orm/migrations';

/**
 * `dossier_days_rollup_l1_year` (issue 13, processing times over whole years): the monthly
 * processing-days histogram (dossier_days_rollup_l1) summed by calendar year (`month` the year's
 * first day; `first_month` and `last_month` the resolution months it holds, for the answer's
 * coverage). A year by province reads about 12 times fewer rows: 2024's histogram of the national
 * world by province is about 60k rows by month (63 provinces × 12 months × ~80 day counts).
 * Recomputed by src/aggregates/rollup.service.ts after the monthly one, per (source, top-level
 * unit) cell. Watched by the data version.
 */
export class Migration20261219000100_dossier_days_year extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "dossier_days_rollup_l1_year" ("month" date not null, "source_id" int not null,
      "l1_id" int not null, "cur_l1_id" int not null, "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null, "partial_kinds" "unit_kind"[] not null,
      "days" int not null, "first_month" date not null, "last_month" date not null, "dossiers" int not null, "total_days" bigint not null, "max_days" int not null);`);
    this.addSql(`create index "dossier_days_rollup_l1_year_month_index" on "dossier_days_rollup_l1_year" ("month");`);
    this.addSql(`create index "dossier_days_rollup_l1_year_source_l1_index" on "dossier_days_rollup_l1_year" ("source_id", "l1_id");`);
    this.addSql(`comment on table "dossier_days_rollup_l1_year" is 'dossier_days_rollup_l1 summed by calendar year. Derived by rollup.service.ts: do not write.';`);
    // Existing histograms: summed from the monthly rollup (cells listed stale are recomputed at the next refresh).
    this.addSql(`insert into "dossier_days_rollup_l1_year" (month, source_id, l1_id, cur_l1_id, unit_kind, cur_unit_kind, partial_kinds, days,
        first_month, last_month, dossiers, total_days, max_days)
      select date_trunc('year', month)::date, source_id, l1_id, cur_l1_id, unit_kind, cur_unit_kind, partial_kinds, days,
        min(month), max(month), sum(dossiers), sum(total_days), max(max_days)
      from "dossier_days_rollup_l1" group by 1, 2, 3, 4, 5, 6, 7, 8 order by 1;`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dossier_days_rollup_l1_year";`);
  }

}
