import { Migration } from '@mikro-orm/migrations';

/**
 * Dossier-level measures (issue 13, item 1): two rollups of the dossier store's days
 * (Migration20261218000000_dossier_days), keyed by top-level unit like filing_rollup_l1, so that
 * processing times and dossiers in progress or overdue read a few thousand rows instead of the
 * 6.3M dossiers of the national world. Both are recomputed by src/aggregates/rollup.service.ts
 * per (source, top-level unit) cell: the dossier stage lists the cells a run changed in
 * rollup_dirty (kind 'dossier', with the source: a cell is recomputed from that source's
 * partition alone, dossier_s<id>, which has no index on units).
 *
 * - `dossier_days_rollup_l1`: a histogram of processing days (resolved_on - received_on) of the
 *   dossiers resolved in each month (`month`: the month of resolved_on), per source and
 *   top-level unit (as reported and today, with the reporting unit's kinds and partial merges).
 *   `days` is exact below 365; 365 pools every dossier of 365 days or more (an open top bucket),
 *   with `total_days` (exact sum, for the mean) and `max_days` (largest in the row: the bound of
 *   a percentile read in the top bucket).
 * - `dossier_open_rollup_l1`: dossiers in progress and overdue over [valid_from, valid_to),
 *   run-length encoded as the service stock rollups are, so a date reads one row per key.
 */
export class Migration20261219000000_dossier_rollups extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "rollup_dirty" drop constraint if exists "rollup_dirty_kind_check";`);
    this.addSql(`alter table "rollup_dirty" add constraint "rollup_dirty_kind_check" check ("kind" in ('flow', 'stock', 'dossier'));`);
    this.addSql(`alter table "rollup_dirty" add column "source_id" int null;`);
    this.addSql(`comment on table "rollup_dirty" is 'Cells whose rollups are stale: flow (month, unit), stock (unit) or dossier (source, unit); unit_id 0 means every unit (of the source, for dossier; every source when source_id is null).';`);

    const unitKeys = `"l1_id" int not null, "cur_l1_id" int not null, "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null, "partial_kinds" "unit_kind"[] not null`;
    this.addSql(`create table "dossier_days_rollup_l1" ("month" date not null, "source_id" int not null, ${unitKeys},
      "days" int not null, "dossiers" int not null, "total_days" bigint not null, "max_days" int not null);`);
    this.addSql(`create index "dossier_days_rollup_l1_month_index" on "dossier_days_rollup_l1" ("month");`);
    this.addSql(`create index "dossier_days_rollup_l1_source_l1_index" on "dossier_days_rollup_l1" ("source_id", "l1_id");`);
    this.addSql(`comment on table "dossier_days_rollup_l1" is 'Processing days of resolved dossiers by resolution month, source and top-level unit; days 365 pools 365 or more. Derived by rollup.service.ts: do not write.';`);

    this.addSql(`create table "dossier_open_rollup_l1" ("valid_from" date not null, "valid_to" date null, "source_id" int not null, ${unitKeys},
      "in_progress" int not null, "overdue" int not null);`);
    this.addSql(`create index "dossier_open_rollup_l1_span_index" on "dossier_open_rollup_l1" using gist (daterange("valid_from", "valid_to"));`);
    this.addSql(`create index "dossier_open_rollup_l1_source_l1_index" on "dossier_open_rollup_l1" ("source_id", "l1_id");`);
    this.addSql(`comment on table "dossier_open_rollup_l1" is 'Dossiers in progress and overdue at the end of each day of [valid_from, valid_to), by source and top-level unit. Derived by rollup.service.ts: do not write.';`);

    // Dossiers already stored: the next refresh computes both rollups from them (an empty store lists nothing).
    this.addSql(`insert into rollup_dirty (kind, unit_id) select 'dossier', 0 where exists (select 1 from dossier);`);
    this.addSql(`select data_version_watch_all();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "dossier_open_rollup_l1";`);
    this.addSql(`drop table if exists "dossier_days_rollup_l1";`);
    this.addSql(`delete from rollup_dirty where kind = 'dossier';`);
    this.addSql(`alter table "rollup_dirty" drop column "source_id";`);
    this.addSql(`alter table "rollup_dirty" drop constraint if exists "rollup_dirty_kind_check";`);
    this.addSql(`alter table "rollup_dirty" add constraint "rollup_dirty_kind_check" check ("kind" in ('flow', 'stock'));`);
  }

}
