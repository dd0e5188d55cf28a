import { Migration } from '@mikro-orm/migrations';

/**
 * `service_stock_rollup_online_filings` (issue 11, "services with online filings"): the service
 * counts of service_stock_rollup_l1 (same keys, run-length encoded over [valid_from, valid_to)),
 * with one more key: `last_online`, the last month up to the date with an online dossier for the
 * service (its unit and procedure in filing_stat), null when none yet. Only online levels (3, 4,
 * partial, full) carry it; other spans keep it null and are not split.
 *
 * Online services on the period's last day d with an online dossier in the months [a, month of d]
 * are then those whose row on d has last_online >= a: one range lookup, where the base tables
 * look for a filing per online service (0.975 of the hand-written SQL at 10M filing rows).
 * Refreshed by src/aggregates/rollup.service.ts by top-level unit, when that unit's service
 * levels or its filings change. Watched by the data version (data_version_watch_all).
 */
export class Migration20261211000000_online_filing_rollup extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "service_stock_rollup_online_filings" ("valid_from" date not null, "valid_to" date null,
      "source_id" int not null, "l1_id" int not null, "cur_l1_id" int not null, "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null,
      "partial_kinds" "unit_kind"[] not null, "eligible" boolean not null, "taxonomy" "level_taxonomy" not null, "level" varchar(8) not null,
      "integrated" boolean null, "last_online" date null, "services" int not null);`);
    this.addSql(`create index "service_stock_rollup_online_filings_span_index" on "service_stock_rollup_online_filings" using gist (daterange("valid_from", "valid_to"));`);
    this.addSql(`create index "service_stock_rollup_online_filings_l1_id_index" on "service_stock_rollup_online_filings" ("l1_id");`);
    // Existing facts: the next refresh recomputes every stock rollup, this one included.
    this.addSql(`insert into rollup_dirty (kind, unit_id) select 'stock', 0 where exists (select 1 from service_level);`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "service_stock_rollup_online_filings";`);
  }

}
