import { Migration } from '@mikro-orm/migrations';

/**
 * filing_stat's key leads with the unit: (unit_id, month, procedure_id) replaces
 * (month, unit_id, procedure_id) plus the (unit_id, month) index. A sync writes the facts of one
 * province's units at a time; with the month first those rows landed all over the key index (one
 * spot per month), and the two indexes cost about half of each new fact's insert (bench:sync).
 * Reads by unit and period use the new key; period scans across all units read the table, as the
 * rollups answer those.
 */
export class Migration20261202000000_filing_key extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "filing_stat" drop constraint "filing_stat_pkey";`);
    this.addSql(`alter table "filing_stat" add constraint "filing_stat_pkey" primary key ("unit_id", "month", "procedure_id");`);
    this.addSql(`drop index if exists "filing_stat_unit_id_month_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "filing_stat" drop constraint "filing_stat_pkey";`);
    this.addSql(`alter table "filing_stat" add constraint "filing_stat_pkey" primary key ("month", "unit_id", "procedure_id");`);
    this.addSql(`create index "filing_stat_unit_id_month_index" on "filing_stat" ("unit_id", "month");`);
  }

}
