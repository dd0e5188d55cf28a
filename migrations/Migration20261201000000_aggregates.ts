import { Migration } from '@mikro-orm/migrations';

/**
 * Aggregates (issue 4): a flattened unit hierarchy kept current by triggers, and the rollup
 * tables the aggregate engine answers from when a query's dimensions and filters allow it.
 */
export class Migration20261201000000_aggregates extends Migration {

  override async up(): Promise<void> {
    // Every unit with its ancestor of each kind, as reported and in today's units (following the
    // lineage), so aggregates group by any tier with plain equi-joins instead of recursion.
    this.addSql(`create table "unit_map" (
      "unit_id" int primary key,
      "kind" "unit_kind" not null, "valid_from" date null, "valid_to" date null,
      "nation_id" int null, "ministry_id" int null, "province_id" int null, "department_id" int null, "district_id" int null, "commune_id" int null,
      "l1_id" int not null,
      "cur_id" int not null, "cur_kind" "unit_kind" not null,
      "cur_nation_id" int null, "cur_ministry_id" int null, "cur_province_id" int null, "cur_department_id" int null, "cur_district_id" int null, "cur_commune_id" int null,
      "cur_l1_id" int not null,
      "partial_kinds" "unit_kind"[] not null default '{}');`);
    this.addSql(`comment on table "unit_map" is 'Derived from unit and unit_lineage by refresh_unit_map() (triggers): do not write.';`);
    this.addSql(`comment on column "unit_map"."l1_id" is 'Ancestor-or-self directly below the root (a province or ministry); the root itself for the root.';`);
    this.addSql(`comment on column "unit_map"."cur_id" is 'The unit today: lineage followed to an open unit, one successor per step (full link, else the successor keeping the code, else the lowest code).';`);
    this.addSql(`comment on column "unit_map"."partial_kinds" is 'Tiers at which partial merges make the attribution to cur_id a choice (successors differ at that tier).';`);

    this.addSql(`create or replace function "refresh_unit_map"() returns void language plpgsql as $fn$
    begin
      perform pg_advisory_xact_lock(hashtext('dvc-gateway:unit_map'));
      delete from unit_map;
      insert into unit_map
      with recursive
      up as (
        select u.id as unit_id, u.id as anc_id, u.kind as anc_kind, u.parent_id, 0 as depth from unit u
        union all
        select a.unit_id, p.id, p.kind, p.parent_id, a.depth + 1 from up a join unit p on p.id = a.parent_id where a.depth < 8
      ),
      tree as (
        select unit_id,
          (array_agg(anc_id order by depth) filter (where anc_kind = 'nation'))[1] as nation_id,
          (array_agg(anc_id order by depth) filter (where anc_kind = 'ministry'))[1] as ministry_id,
          (array_agg(anc_id order by depth) filter (where anc_kind = 'province'))[1] as province_id,
          (array_agg(anc_id order by depth) filter (where anc_kind = 'department'))[1] as department_id,
          (array_agg(anc_id order by depth) filter (where anc_kind = 'district'))[1] as district_id,
          (array_agg(anc_id order by depth) filter (where anc_kind = 'commune'))[1] as commune_id,
          coalesce((array_agg(anc_id order by depth desc))[2], (array_agg(anc_id order by depth desc))[1]) as l1_id
        from up group by unit_id
      ),
      pick as (
        select distinct on (l.predecessor_id) l.predecessor_id, l.successor_id
        from unit_lineage l join unit p on p.id = l.predecessor_id join unit s on s.id = l.successor_id
        order by l.predecessor_id, (l.type = 'full') desc, (s.code = p.code) desc, s.code, s.id
      ),
      chain as (
        select u.id as unit_id, u.id as at_id, u.valid_to, 0 as hops from unit u
        union all
        select c.unit_id, s.id, s.valid_to, c.hops + 1 from chain c join pick pk on pk.predecessor_id = c.at_id join unit s on s.id = pk.successor_id
        where c.valid_to is not null and c.hops < 8
      ),
      cur as (select distinct on (unit_id) unit_id, at_id as cur_id from chain order by unit_id, hops desc),
      reach as (
        select u.id as unit_id, u.id as at_id, u.valid_to, 0 as hops from unit u
        union all
        select r.unit_id, s.id, s.valid_to, r.hops + 1 from reach r join unit_lineage l on l.predecessor_id = r.at_id join unit s on s.id = l.successor_id
        where r.valid_to is not null and r.hops < 8
      ),
      ends as (
        select r.unit_id, r.at_id from reach r
        where r.valid_to is null or not exists (select 1 from unit_lineage l where l.predecessor_id = r.at_id)
      ),
      amb as (
        select e.unit_id, array_remove(array[
            case when count(distinct coalesce(t.nation_id, 0)) > 1 then 'nation'::unit_kind end,
            case when count(distinct coalesce(t.ministry_id, 0)) > 1 then 'ministry'::unit_kind end,
            case when count(distinct coalesce(t.province_id, 0)) > 1 then 'province'::unit_kind end,
            case when count(distinct coalesce(t.department_id, 0)) > 1 then 'department'::unit_kind end,
            case when count(distinct coalesce(t.district_id, 0)) > 1 then 'district'::unit_kind end,
            case when count(distinct coalesce(t.commune_id, 0)) > 1 then 'commune'::unit_kind end
          ], null) as partial_kinds
        from ends e join tree t on t.unit_id = e.at_id group by e.unit_id
      )
      select u.id, u.kind, u.valid_from, u.valid_to,
        t.nation_id, t.ministry_id, t.province_id, t.department_id, t.district_id, t.commune_id, t.l1_id,
        c.cur_id, cu.kind,
        ct.nation_id, ct.ministry_id, ct.province_id, ct.department_id, ct.district_id, ct.commune_id, ct.l1_id,
        coalesce(a.partial_kinds, '{}')
      from unit u join tree t on t.unit_id = u.id join cur c on c.unit_id = u.id join unit cu on cu.id = c.cur_id
      join tree ct on ct.unit_id = c.cur_id left join amb a on a.unit_id = u.id;
      -- Rollups are keyed by the tree: any that exist must be rebuilt (unit_id 0: everything).
      if exists (select 1 from filing_rollup_l1) or exists (select 1 from service_stock_rollup_l1) then
        insert into rollup_dirty (kind, unit_id) values ('flow', 0), ('stock', 0);
      end if;
    end
    $fn$;`);

    // Statement-level triggers: one refresh per statement that changed something (transition
    // tables tell), not one per row.
    this.addSql(`create or replace function "unit_map_on_change"() returns trigger language plpgsql as $fn$
    begin
      if exists (select 1 from changed) then perform refresh_unit_map(); end if;
      return null;
    end
    $fn$;`);
    this.addSql(`create or replace function "unit_map_on_truncate"() returns trigger language plpgsql as $fn$
    begin
      perform refresh_unit_map();
      return null;
    end
    $fn$;`);
    for (const table of ['unit', 'unit_lineage']) {
      this.addSql(`create trigger "${table}_map_ins" after insert on "${table}" referencing new table as changed for each statement execute function unit_map_on_change();`);
      this.addSql(`create trigger "${table}_map_upd" after update on "${table}" referencing new table as changed for each statement execute function unit_map_on_change();`);
      this.addSql(`create trigger "${table}_map_del" after delete on "${table}" referencing old table as changed for each statement execute function unit_map_on_change();`);
      this.addSql(`create trigger "${table}_map_trunc" after truncate on "${table}" for each statement execute function unit_map_on_truncate();`);
    }

    // Flow rollups: monthly dossier counts per top-level unit (province or ministry), as reported
    // and in today's units; the sector variant adds the procedure attributes.
    const flowCounts = `"rows" int not null, "received" bigint not null, "received_online" bigint not null, "received_postal" bigint not null,
      "resolved_on_time" bigint not null, "resolved_late" bigint not null, "with_fee" bigint not null, "paid_online" bigint not null, "synced_national" bigint not null`;
    const unitKeys = `"l1_id" int not null, "cur_l1_id" int not null, "unit_kind" "unit_kind" not null, "cur_unit_kind" "unit_kind" not null, "partial_kinds" "unit_kind"[] not null`;
    this.addSql(`create table "filing_rollup_l1" ("month" date not null, "source_id" int not null, ${unitKeys}, ${flowCounts});`);
    this.addSql(`create index "filing_rollup_l1_month_index" on "filing_rollup_l1" ("month");`);
    this.addSql(`create index "filing_rollup_l1_l1_id_month_index" on "filing_rollup_l1" ("l1_id", "month");`);
    this.addSql(`create table "filing_rollup_sector" ("month" date not null, "source_id" int not null, ${unitKeys},
      "sector_id" int not null, "essential" boolean not null, "eligible" boolean not null, ${flowCounts});`);
    this.addSql(`create index "filing_rollup_sector_month_index" on "filing_rollup_sector" ("month");`);
    this.addSql(`create index "filing_rollup_sector_l1_id_month_index" on "filing_rollup_sector" ("l1_id", "month");`);

    // Stock rollups: how many services each key holds over [valid_from, valid_to), run-length
    // encoded, so a stock as of any date is one range lookup.
    const stockKeys = `"source_id" int not null, ${unitKeys}, "eligible" boolean not null,
      "taxonomy" "level_taxonomy" not null, "level" varchar(8) not null, "integrated" boolean null`;
    this.addSql(`create table "service_stock_rollup_l1" ("valid_from" date not null, "valid_to" date null, ${stockKeys}, "services" int not null);`);
    this.addSql(`create index "service_stock_rollup_l1_span_index" on "service_stock_rollup_l1" using gist (daterange("valid_from", "valid_to"));`);
    this.addSql(`create index "service_stock_rollup_l1_l1_id_index" on "service_stock_rollup_l1" ("l1_id");`);
    this.addSql(`create table "service_stock_rollup_sector" ("valid_from" date not null, "valid_to" date null, ${stockKeys},
      "sector_id" int not null, "essential" boolean not null, "services" int not null);`);
    this.addSql(`create index "service_stock_rollup_sector_span_index" on "service_stock_rollup_sector" using gist (daterange("valid_from", "valid_to"));`);
    this.addSql(`create index "service_stock_rollup_sector_l1_id_index" on "service_stock_rollup_sector" ("l1_id");`);

    // What changed since the rollups were last refreshed, recorded by statement triggers on the
    // fact tables whoever writes them. While anything is listed, aggregates read the base tables
    // (same results, slower); refreshRollups() recomputes the listed cells and empties the list.
    this.addSql(`create table "rollup_dirty" (
      "id" bigserial primary key,
      "kind" varchar(8) not null check ("kind" in ('flow', 'stock')),
      "month" date null,
      "unit_id" int not null);`);
    this.addSql(`comment on table "rollup_dirty" is 'Cells whose rollups are stale: flow (month, unit) or stock (unit); unit_id 0 means every unit.';`);
    this.addSql(`create or replace function "rollup_dirty_filings"() returns trigger language plpgsql as $fn$
    begin
      insert into rollup_dirty (kind, month, unit_id) select distinct 'flow', month, unit_id from changed;
      return null;
    end
    $fn$;`);
    this.addSql(`create or replace function "rollup_dirty_levels"() returns trigger language plpgsql as $fn$
    begin
      -- A level row whose service is gone (deleted with it) marks everything.
      insert into rollup_dirty (kind, unit_id)
      select distinct 'stock', coalesce(s.unit_id, 0) from changed c left join service s on s.id = c.service_id;
      return null;
    end
    $fn$;`);
    this.addSql(`create or replace function "rollup_dirty_services"() returns trigger language plpgsql as $fn$
    begin
      insert into rollup_dirty (kind, unit_id) select distinct 'stock', unit_id from changed;
      return null;
    end
    $fn$;`);
    this.addSql(`create or replace function "rollup_dirty_catalogue"() returns trigger language plpgsql as $fn$
    begin
      -- Sector, eligibility or essential status moved: every rollup may change.
      if exists (select 1 from changed_old o join changed_new n on n.id = o.id
                 where (o.sector_id, o.essential, o.eligible_full_online) is distinct from (n.sector_id, n.essential, n.eligible_full_online)) then
        insert into rollup_dirty (kind, unit_id) values ('flow', 0), ('stock', 0);
      end if;
      return null;
    end
    $fn$;`);
    for (const [table, fn] of [['filing_stat', 'rollup_dirty_filings'], ['service_level', 'rollup_dirty_levels'], ['service', 'rollup_dirty_services']]) {
      this.addSql(`create trigger "${table}_rollup_ins" after insert on "${table}" referencing new table as changed for each statement execute function ${fn}();`);
      this.addSql(`create trigger "${table}_rollup_upd_new" after update on "${table}" referencing new table as changed for each statement execute function ${fn}();`);
      this.addSql(`create trigger "${table}_rollup_upd_old" after update on "${table}" referencing old table as changed for each statement execute function ${fn}();`);
      this.addSql(`create trigger "${table}_rollup_del" after delete on "${table}" referencing old table as changed for each statement execute function ${fn}();`);
    }
    this.addSql(`create trigger "procedure_rollup_upd" after update on "procedure" referencing old table as changed_old new table as changed_new for each statement execute function rollup_dirty_catalogue();`);

    // Units loaded before this migration (an existing database).
    this.addSql(`select refresh_unit_map();`);
  }

  override async down(): Promise<void> {
    for (const table of ['filing_stat', 'service_level', 'service']) {
      for (const t of ['ins', 'upd_new', 'upd_old', 'del']) this.addSql(`drop trigger if exists "${table}_rollup_${t}" on "${table}";`);
    }
    this.addSql(`drop trigger if exists "procedure_rollup_upd" on "procedure";`);
    for (const f of ['rollup_dirty_filings', 'rollup_dirty_levels', 'rollup_dirty_services', 'rollup_dirty_catalogue']) this.addSql(`drop function if exists "${f}"();`);
    this.addSql(`drop table if exists "rollup_dirty";`);
    for (const t of ['service_stock_rollup_sector', 'service_stock_rollup_l1', 'filing_rollup_sector', 'filing_rollup_l1']) {
      this.addSql(`drop table if exists "${t}";`);
    }
    for (const table of ['unit', 'unit_lineage']) {
      for (const s of ['ins', 'upd', 'del', 'trunc']) this.addSql(`drop trigger if exists "${table}_map_${s}" on "${table}";`);
    }
    this.addSql(`drop function if exists "unit_map_on_change"();`);
    this.addSql(`drop function if exists "unit_map_on_truncate"();`);
    this.addSql(`drop function if exists "refresh_unit_map"();`);
    this.addSql(`drop table if exists "unit_map";`);
  }

}
