import { Migration } from '@mikro-orm/migrations';

/**
 * `service_stock_rollup_nation_sector` (issue 11, level share by sector): the service counts of
 * service_stock_rollup_sector summed over its top-level units (no unit key but the reporting
 * unit's kinds), run-length encoded over [valid_from, valid_to). Recomputed whole from that one
 * after each stock refresh by src/aggregates/rollup.service.ts. Watched by the data version.
 */
export class Migration20261211000001_nation_sector_stock_rollup extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "service_stock_rollup_nation_sector" ("valid_from" date not null, "valid_to" date null,
      "source_id" int not null, "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null,
      "eligible" boolean not null, "taxonomy" "level_taxonomy" not null, "level" varchar(8) not null, "integrated" boolean null,
      "sector_id" int not null, "essential" boolean not null, "services" int not null);`);
    this.addSql(`create index "service_stock_rollup_nation_sector_span_index" on "service_stock_rollup_nation_sector" using gist (daterange("valid_from", "valid_to"));`);
    // Existing facts: the next refresh recomputes every stock rollup, this one included.
    this.addSql(`insert into rollup_dirty (kind, unit_id) select 'stock', 0 where exists (select 1 from service_level);`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "service_stock_rollup_nation_sector";`);
  }

}
