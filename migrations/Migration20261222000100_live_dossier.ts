import { Migration } from '@mikro-orm/migrations';

/** live_note_rollup_dirty as Migration20261215000000_live_updates wrote it, but for the kind each rollup_dirty kind notes. */
const noteRollupDirty = (kindCase: string, extra: string) => `create or replace function "live_note_rollup_dirty"() returns trigger language plpgsql as $$
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
            ${kindCase},
            case when r.every_unit then null else r.l1s end,
            case when r.kind = 'flow' and not r.any_month then r.months else null end);
        end loop;${extra}
        return null;
      end $$;`;

/**
 * Live updates hear the dossier store (issue 13, item 4's leftover): a correction that changes
 * only a dossier's days (its resolution day, say) changes processing times and open dossiers but
 * no filing, and was not heard by their subscribers. The dossier stage lists such a dossier's
 * units in rollup_dirty (kind 'dossier'), and live_note_rollup_dirty noted every kind but 'flow'
 * as service levels: a service-level subscriber heard it, a processing-time one did not.
 *
 * Now kind 'dossier' is noted as the fact kind `dossier` (its top-level units; not by month: a
 * day moved changes a resolution month's histogram and the open counts over a span of days), and
 * a change to every unit's filings (unit 0: the unit tree or the catalogue moved, after which the
 * dossier rollups are rebuilt) notes every unit's dossiers too. `fact_type` gains the value, as
 * the GraphQL enum FactType does (src/live/figures-interest.ts maps the dossier measures to it).
 */
export class Migration20261222000100_live_dossier extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter type "fact_type" add value if not exists 'dossier';`);
    this.addSql(noteRollupDirty(`case r.kind when 'flow' then 'filing_stat' when 'dossier' then 'dossier' else 'service_level' end`, `
        -- Every unit's filings (the unit tree or the catalogue moved): the dossier rollups are rebuilt too.
        if exists (select 1 from changed c where c.kind = 'flow' and c.unit_id = 0) then
          perform live_note('dossier', null, null);
        end if;`));
  }

  override async down(): Promise<void> {
    // The enum value stays (PostgreSQL cannot drop one); nothing writes it.
    this.addSql(noteRollupDirty(`case r.kind when 'flow' then 'filing_stat' else 'service_level' end`, ''));
  }

}
