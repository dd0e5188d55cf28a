import { Migration } from '@mikro-orm/migrations';

/**
 * `filing_rollup_nation_sector` (issue 11): monthly filing counts per sector for the whole nation
 * (no unit key, the reporting unit's kinds), summed from filing_rollup_procedure by
 * src/aggregates/rollup.service.ts when that one is refreshed. Sector × month read 144k rows of
 * filing_rollup_sector for 2024 at 10M filing rows (one per top-level unit too); here 1,200.
 * Watched by the data version like every table (Migration20261206000000_data_version).
 */
export class Migration20261207000001_nation_sector_rollup extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "filing_rollup_nation_sector" ("month" date not null, "source_id" int not null,
      "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null,
      "sector_id" int not null, "essential" boolean not null, "eligible" boolean not null,
      "rows" int not null, "received" bigint not null, "received_online" bigint not null, "received_postal" bigint not null,
      "resolved_on_time" bigint not null, "resolved_late" bigint not null, "with_fee" bigint not null, "paid_online" bigint not null, "synced_national" bigint not null);`);
    this.addSql(`create index "filing_rollup_nation_sector_month_index" on "filing_rollup_nation_sector" ("month");`);
    this.addSql(`create trigger data_changed after insert or update or delete or truncate on "filing_rollup_nation_sector" for each statement execute function data_changed();`);
    // Existing facts: the next refresh recomputes every flow rollup, this one included.
    this.addSql(`insert into rollup_dirty (kind, unit_id) select 'flow', 0 where exists (select 1 from filing_stat);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "filing_rollup_nation_sector";`);
  }

}
