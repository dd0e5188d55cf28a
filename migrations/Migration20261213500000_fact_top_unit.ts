import { Migration } from '@mikro-orm/migrations';

/**
 * Past one machine (issue 12, item 5): `filing_stat` and `plan` carry their reporting unit's
 * top-level ancestor (a province or a ministry: unit_map.l1_id, as reported) and hold it in every
 * key, the column Citus would distribute the facts by (docs/operations.md, "Past one machine";
 * test/scaleout/catalog.test.ts enforces it for every fact and rollup table).
 *
 * - The key becomes (unit_id, month, procedure_id, l1_id): the unit decides l1_id, so it is as
 *   unique as before, and lookups by unit and period use its prefix as they did. Its index
 *   entries keep their size (three 4-byte columns and the 8-byte header round up to 24 bytes, as
 *   do four); a row grows by 8 bytes (68 bytes of data round up to 72), about 9%.
 * - `plan`: unique (unit_id, year, l1_id) and primary key (id, l1_id), as unique as before
 *   (nothing references plan.id; the entity keeps id as its key).
 * - The fact writer fills it (src/ingest/fact-upsert.ts: `topUnit` of FILING_TABLE, from
 *   unit_map in the same INSERT ... SELECT, set-based). NOT NULL: a writer that forgets it fails
 *   instead of writing a fact no shard would hold.
 * - A unit moved under another top-level unit (the reference data corrects a parent) takes its
 *   facts, and its descendants', along: a statement trigger on `unit`, named to run after
 *   unit_map's refresh (triggers of one event run in name order), rewrites l1_id where it
 *   differs, for the moved subtrees only. Reference loads that change no parent cost one EXISTS.
 * - The backfill rewrites every row once; the rollup triggers on update are off meanwhile (the
 *   counts do not change, and their transition tables would hold the whole table).
 */
export class Migration20261213500000_fact_top_unit extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "filing_stat" add column "l1_id" int null;`);
    this.addSql(`alter table "filing_stat" disable trigger "filing_stat_rollup_upd_new", disable trigger "filing_stat_rollup_upd_old";`);
    this.addSql(`update "filing_stat" f set "l1_id" = m."l1_id" from "unit_map" m where m."unit_id" = f."unit_id";`);
    this.addSql(`alter table "filing_stat" enable trigger "filing_stat_rollup_upd_new", enable trigger "filing_stat_rollup_upd_old";`);
    this.addSql(`alter table "filing_stat" alter column "l1_id" set not null;`);
    this.addSql(`alter table "filing_stat" drop constraint "filing_stat_pkey", add constraint "filing_stat_pkey" primary key ("unit_id", "month", "procedure_id", "l1_id");`);
    this.addSql(`alter table "plan" add column "l1_id" int null;`);
    this.addSql(`update "plan" p set "l1_id" = m."l1_id" from "unit_map" m where m."unit_id" = p."unit_id";`);
    this.addSql(`alter table "plan" alter column "l1_id" set not null;`);
    this.addSql(`alter table "plan" drop constraint "plan_unit_id_year_unique", add constraint "plan_unit_id_year_unique" unique ("unit_id", "year", "l1_id");`);
    this.addSql(`alter table "plan" drop constraint "plan_pkey", add constraint "plan_pkey" primary key ("id", "l1_id");`);
    this.addSql(`comment on column "plan"."l1_id" is 'The unit''s top-level ancestor (unit_map.l1_id): the distribution column on Citus. Filled by the fact writer; follows unit moves (trigger unit_top_unit_moves).';`);
    this.addSql(`comment on column "filing_stat"."l1_id" is 'The reporting unit''s top-level ancestor (unit_map.l1_id): the distribution column on Citus. Filled by the fact writer; follows unit moves (trigger unit_top_unit_moves).';`);

    this.addSql(`create function "facts_follow_unit_moves"() returns trigger language plpgsql as $fn$
    begin
      if exists (select 1 from changed_new n join changed_old o on o.id = n.id where n.parent_id is distinct from o.parent_id) then
        create temp table moved_units on commit drop as
          select d.unit_id, d.l1_id from unit_map d
          join changed_new n on n.id in (d.unit_id, d.ministry_id, d.province_id, d.department_id, d.district_id, d.commune_id)
          join changed_old o on o.id = n.id
          where n.parent_id is distinct from o.parent_id;
        update filing_stat f set l1_id = m.l1_id from moved_units m where m.unit_id = f.unit_id and f.l1_id <> m.l1_id;
        update plan p set l1_id = m.l1_id from moved_units m where m.unit_id = p.unit_id and p.l1_id <> m.l1_id;
        drop table moved_units;
      end if;
      return null;
    end
    $fn$;`);
    // "unit_top_unit_moves" sorts after "unit_map_upd": unit_map is current when this runs.
    this.addSql(`create trigger "unit_top_unit_moves" after update on "unit" referencing old table as changed_old new table as changed_new
      for each statement execute function facts_follow_unit_moves();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "unit_top_unit_moves" on "unit";`);
    this.addSql(`drop function if exists "facts_follow_unit_moves"();`);
    this.addSql(`alter table "plan" drop constraint "plan_pkey", add constraint "plan_pkey" primary key ("id");`);
    this.addSql(`alter table "plan" drop constraint "plan_unit_id_year_unique", add constraint "plan_unit_id_year_unique" unique ("unit_id", "year");`);
    this.addSql(`alter table "plan" drop column "l1_id";`);
    this.addSql(`alter table "filing_stat" drop constraint "filing_stat_pkey", add constraint "filing_stat_pkey" primary key ("unit_id", "month", "procedure_id");`);
    this.addSql(`alter table "filing_stat" drop column "l1_id";`);
  }

}
