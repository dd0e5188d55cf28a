import { Migration } from '@mikro-orm/migrations';

/**
 * `filing_rollup_procedure_year` (issue 11, group by procedure): filing_rollup_procedure summed
 * by calendar year (`month` is the year's first day; `first_month` and `last_month` the months
 * with data it holds, for the answer's coverage). A year by procedure reads 4,000 rows here at 10M
 * filing rows, 48,000 in the monthly rollup. Recomputed by src/aggregates/rollup.service.ts after
 * the monthly one, for the years of the months refreshed. Watched by the data version.
 */
export class Migration20261211000002_procedure_year_rollup extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "filing_rollup_procedure_year" ("month" date not null, "source_id" int not null,
      "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null,
      "procedure_id" int not null, "sector_id" int not null, "essential" boolean not null, "eligible" boolean not null,
      "first_month" date not null, "last_month" date not null,
      "rows" int not null, "received" bigint not null, "received_online" bigint not null, "received_postal" bigint not null,
      "resolved_on_time" bigint not null, "resolved_late" bigint not null, "with_fee" bigint not null, "paid_online" bigint not null, "synced_national" bigint not null);`);
    this.addSql(`create index "filing_rollup_procedure_year_month_index" on "filing_rollup_procedure_year" ("month");`);
    // Existing facts, from the monthly rollup (cells listed stale there are recomputed, years with them, at the next refresh):
    // a full flow rebuild would take minutes at national scale.
    const counts = 'received, received_online, received_postal, resolved_on_time, resolved_late, with_fee, paid_online, synced_national';
    this.addSql(`insert into "filing_rollup_procedure_year" (month, source_id, unit_kind, cur_unit_kind, procedure_id, sector_id, essential, eligible,
        first_month, last_month, rows, ${counts})
      select date_trunc('year', month)::date, source_id, unit_kind, cur_unit_kind, procedure_id, sector_id, essential, eligible,
        min(month), max(month), sum(rows), ${counts.split(', ').map((c) => `sum(${c})`).join(', ')}
      from "filing_rollup_procedure" group by 1, 2, 3, 4, 5, 6, 7, 8 order by 1;`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "filing_rollup_procedure_year";`);
  }

}
