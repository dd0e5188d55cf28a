import { Migration } from '@mikro-orm/migrations';

const FLOW_COUNTS = `"rows" int not null, "received" bigint not null, "received_online" bigint not null, "received_postal" bigint not null,
  "resolved_on_time" bigint not null, "resolved_late" bigint not null, "with_fee" bigint not null, "paid_online" bigint not null, "synced_national" bigint not null`;

const TABLES = ['filing_rollup_procedure', 'filing_rollup_unit'] as const;

/**
 * Rollups for the aggregate shapes the first ones left to the base tables (issue 11), refreshed
 * with the others by src/aggregates/rollup.service.ts (same cells, same dirty list):
 * - `filing_rollup_procedure`: monthly filing counts per procedure for the whole nation (no unit
 *   key, only the reporting unit's kind as reported and today), for group by procedure. Keyed by
 *   a top-level unit it would be as large as filing_stat wherever provinces report each procedure.
 * - `filing_rollup_unit`: monthly filing counts per reporting unit (every procedure summed), read
 *   through unit_map like the base tables, so it answers every unit tier (communes). `l1_id` is
 *   kept to refresh it by (month, top-level unit) cell like the other flow rollups.
 * Both are watched by the data version (the trigger every table gets, see Migration20261206000000_data_version).
 */
export class Migration20261207000000_shape_rollups extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "filing_rollup_procedure" ("month" date not null, "source_id" int not null,
      "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null,
      "procedure_id" int not null, "sector_id" int not null, "essential" boolean not null, "eligible" boolean not null, ${FLOW_COUNTS});`);
    this.addSql(`create index "filing_rollup_procedure_month_index" on "filing_rollup_procedure" ("month");`);
    this.addSql(`create table "filing_rollup_unit" ("month" date not null, "source_id" int not null, "unit_id" int not null, "l1_id" int not null, ${FLOW_COUNTS});`);
    this.addSql(`create index "filing_rollup_unit_month_index" on "filing_rollup_unit" ("month");`);
    this.addSql(`create index "filing_rollup_unit_l1_id_month_index" on "filing_rollup_unit" ("l1_id", "month");`);
    for (const t of TABLES) {
      this.addSql(`create trigger data_changed after insert or update or delete or truncate on "${t}" for each statement execute function data_changed();`);
    }
    // Existing facts: the next refresh recomputes every flow rollup, these included.
    this.addSql(`insert into rollup_dirty (kind, unit_id) select 'flow', 0 where exists (select 1 from filing_stat);`);
  }

  override async down(): Promise<void> {
    for (const t of TABLES) this.addSql(`drop table if exists "${t}";`);
  }

}
