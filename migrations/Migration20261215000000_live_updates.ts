import { Migration } from '@mikro-orm/migrations';

/** NOTIFY's payload limit is 8000 bytes; the payload is coarsened below this (room for the JSON around it). */
const PAYLOAD_BUDGET = 7900;

/**
 * Live updates (issue 13, item 4): at the commit of every transaction that changed figures or a
 * source's status, one NOTIFY on channel `dvc_live` saying what changed, for the gateway
 * processes' LISTEN connections (src/live/live-updates.service.ts).
 *
 * Why here: a NOTIFY sent inside a transaction is delivered at its COMMIT, and not at all when it
 * rolls back, so a listener never hears of data it cannot read yet. It rides on the data version's
 * machinery (Migration20261206000000_data_version): the transaction's first write to a watched
 * table queues a row in `data_change_pending`, whose deferred trigger bumps the version at COMMIT;
 * `live_notify` is a second deferred trigger on that row, named after `data_version_bump` so that
 * it runs after it (PostgreSQL fires triggers of one event in name order) and reads the version
 * that includes the commit. One NOTIFY per commit at most: nothing is sent when nothing was noted.
 *
 * What changed is noted during the transaction in transaction-local settings (they vanish at its
 * end, and roll back with a savepoint, like the data they describe), by statement triggers that
 * read what other triggers already compute, so no fact row pays anything more:
 *  - figures: the rollups' change list `rollup_dirty` (its triggers on filing_stat, service_level
 *    and service insert one row per distinct (month, unit) or unit changed; unit 0 means every unit,
 *    e.g. after a catalogue or unit-tree change). A trigger on its INSERT reads the rows inserted
 *    (a few per statement) and notes, per fact kind, the top-level units (province or ministry, as
 *    reported and today, so that subscribers of either view hear) and, for filings, the months;
 *  - plans (not in the rollups): a statement trigger on `plan`, noting top-level units;
 *  - sources: a row trigger on `source` when its health or freshness columns change, noting the code.
 *
 * A statement that changed no row (a batch sent twice) inserts nothing into rollup_dirty: nothing
 * is noted, and no event goes out for it.
 *
 * The payload, at most 8000 bytes (NOTIFY's limit), coarsened in steps when larger: month lists
 * become their first and last month, then unit lists become "every unit", then source codes
 * "some source" (src/live/live-change.ts reads it; test/live checks both):
 *   {"v": "<data version>", "f": {"<fact kind>": {"u": [l1 ids] | null, "m": ["YYYY-MM", ...] | null, "r": ["from", "to"]}}, "s": [codes] | null}
 */
export class Migration20261215000000_live_updates extends Migration {

  override async up(): Promise<void> {
    // The union of two JSON arrays, sorted; SQL or JSON null (every unit, not by month) absorbs.
    this.addSql(`create function "live_union"(a jsonb, b jsonb) returns jsonb language sql immutable as $$
      select case when a is null or b is null or jsonb_typeof(a) = 'null' or jsonb_typeof(b) = 'null' then 'null'::jsonb
        else (select coalesce(jsonb_agg(x order by x), '[]') from (select jsonb_array_elements(a) as x union select jsonb_array_elements(b)) e) end
    $$;`);
    // Merges a note into the transaction's: per kind, the union of units and of months.
    this.addSql(`create function "live_note"(kind text, l1s int[], months text[]) returns void language plpgsql as $$
      declare
        notes jsonb := coalesce(nullif(current_setting('dvc.live_figures', true), '')::jsonb, '{}');
        prev jsonb := coalesce(notes -> kind, '{"u": [], "m": []}');
      begin
        perform set_config('dvc.live_figures', jsonb_set(notes, array[kind], jsonb_build_object(
          'u', live_union(prev -> 'u', to_jsonb(l1s)),
          'm', live_union(prev -> 'm', to_jsonb(months))))::text, true);
      end $$;`);
    this.addSql(`comment on function "live_note"(text, int[], text[]) is 'Notes, for the commit''s NOTIFY (live_notify), that figures of a fact kind changed for these top-level units (null: every unit) and months (null: not by month).';`);

    // Figures: from the rows the rollup triggers insert into rollup_dirty (flow = filings by month, stock = services and levels).
    this.addSql(`create function "live_note_rollup_dirty"() returns trigger language plpgsql as $$
      declare r record;
      begin
        for r in
          select c.kind,
                 bool_or(c.unit_id = 0 or m.unit_id is null) as every_unit,
                 array_agg(distinct x.l1) filter (where x.l1 is not null) as l1s,
                 bool_or(c.month is null) as any_month,
                 array_agg(distinct to_char(c.month, 'YYYY-MM')) filter (where c.month is not null) as months
          from changed c
          left join unit_map m on m.unit_id = c.unit_id
          left join lateral (values (m.l1_id), (m.cur_l1_id)) x(l1) on true
          group by c.kind
        loop
          perform live_note(
            case r.kind when 'flow' then 'filing_stat' else 'service_level' end,
            case when r.every_unit then null else r.l1s end,
            case when r.kind = 'flow' and not r.any_month then r.months else null end);
        end loop;
        return null;
      end $$;`);
    this.addSql(`create trigger "live_note" after insert on "rollup_dirty" referencing new table as changed for each statement execute function live_note_rollup_dirty();`);

    this.addSql(`create function "live_note_plans"() returns trigger language plpgsql as $$
      declare l1s int[];
      begin
        if not exists (select 1 from changed) then return null; end if;
        select array_agg(distinct x.l1) into l1s
        from changed c join unit_map m on m.unit_id = c.unit_id cross join lateral (values (m.l1_id), (m.cur_l1_id)) x(l1);
        perform live_note('plan', l1s, null);
        return null;
      end $$;`);
    this.addSql(`create trigger "live_note_ins" after insert on "plan" referencing new table as changed for each statement execute function live_note_plans();`);
    this.addSql(`create trigger "live_note_upd_new" after update on "plan" referencing new table as changed for each statement execute function live_note_plans();`);
    this.addSql(`create trigger "live_note_upd_old" after update on "plan" referencing old table as changed for each statement execute function live_note_plans();`);
    this.addSql(`create trigger "live_note_del" after delete on "plan" referencing old table as changed for each statement execute function live_note_plans();`);

    this.addSql(`create function "live_note_source"() returns trigger language plpgsql as $$
      declare codes jsonb := coalesce(nullif(current_setting('dvc.live_sources', true), '')::jsonb, '[]');
      begin
        if not codes @> jsonb_build_array(new.code) then
          perform set_config('dvc.live_sources', (codes || to_jsonb(new.code))::text, true);
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger "live_note_source_ins" after insert on "source" for each row execute function live_note_source();`);
    this.addSql(`create trigger "live_note_source_upd" after update on "source" for each row
      when ((old.status, old.last_attempt_at, old.last_success_at, old.last_rows, old.last_error, old.consecutive_failures)
        is distinct from (new.status, new.last_attempt_at, new.last_success_at, new.last_rows, new.last_error, new.consecutive_failures))
      execute function live_note_source();`);

    this.addSql(`create function "live_notify"() returns trigger language plpgsql as $$
      declare
        f jsonb := nullif(current_setting('dvc.live_figures', true), '')::jsonb;
        s jsonb := nullif(current_setting('dvc.live_sources', true), '')::jsonb;
        v text;
        payload text;
      begin
        if f is null and s is null then return null; end if;
        -- After data_version_bump (name order): the version includes this commit.
        select sum(n)::text into v from data_version;
        payload := jsonb_build_object('v', v, 'f', coalesce(f, '{}'), 's', coalesce(s, '[]'))::text;
        if octet_length(payload) > ${PAYLOAD_BUDGET} then
          -- Months become their range.
          select jsonb_object_agg(k, case when jsonb_typeof(val -> 'm') = 'array' and jsonb_array_length(val -> 'm') > 0
              then jsonb_build_object('u', val -> 'u', 'm', null, 'r', jsonb_build_array(val -> 'm' ->> 0, val -> 'm' ->> (jsonb_array_length(val -> 'm') - 1)))
              else val end)
            into f from jsonb_each(f) as e(k, val);
          payload := jsonb_build_object('v', v, 'f', coalesce(f, '{}'), 's', coalesce(s, '[]'))::text;
        end if;
        if octet_length(payload) > ${PAYLOAD_BUDGET} then
          select jsonb_object_agg(k, val || jsonb_build_object('u', null)) into f from jsonb_each(f) as e(k, val);
          payload := jsonb_build_object('v', v, 'f', coalesce(f, '{}'), 's', coalesce(s, '[]'))::text;
        end if;
        if octet_length(payload) > ${PAYLOAD_BUDGET} then
          payload := jsonb_build_object('v', v, 'f', coalesce(f, '{}'), 's', null)::text;
        end if;
        perform pg_notify('dvc_live', payload);
        return null;
      end $$;`);
    this.addSql(`comment on function "live_notify"() is 'At COMMIT (deferred, after data_version_bump): one NOTIFY dvc_live saying which figures (fact kind, top-level units, months) and sources changed, with the new data version. See src/live/.';`);
    this.addSql(`create constraint trigger "live_notify" after insert on "data_change_pending"
      deferrable initially deferred for each row execute function "live_notify"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "live_notify" on "data_change_pending";`);
    this.addSql(`drop function "live_notify"();`);
    this.addSql(`drop trigger "live_note_source_ins" on "source";`);
    this.addSql(`drop trigger "live_note_source_upd" on "source";`);
    this.addSql(`drop function "live_note_source"();`);
    for (const t of ['live_note_ins', 'live_note_upd_new', 'live_note_upd_old', 'live_note_del']) this.addSql(`drop trigger "${t}" on "plan";`);
    this.addSql(`drop function "live_note_plans"();`);
    this.addSql(`drop trigger "live_note" on "rollup_dirty";`);
    this.addSql(`drop function "live_note_rollup_dirty"();`);
    this.addSql(`drop function "live_note"(text, int[], text[]);`);
    this.addSql(`drop function "live_union"(jsonb, jsonb);`);
  }
}
