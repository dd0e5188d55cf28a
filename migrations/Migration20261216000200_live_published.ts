import { Migration } from '@mikro-orm/migrations';

/**
 * Live updates for published figures: `figuresChanged(kinds: [PUBLISHED_INDICATOR])` hears of a
 * commit that wrote, corrected or removed a published indicator. Same design as the trigger on
 * `plan` in Migration20261215000000_live_updates (a statement trigger noting the top-level units,
 * as reported and today), plus the months the figure covers: a quarter notes its three months, a
 * year its twelve, a date its month. The table comes after the live-updates migration, hence a
 * migration of its own.
 */
export class Migration20261216000200_live_published extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create function "live_note_published"() returns trigger language plpgsql as $$
      declare l1s int[]; ms text[];
      begin
        if not exists (select 1 from changed) then return null; end if;
        select array_agg(distinct x.l1) into l1s
        from changed c join unit_map m on m.unit_id = c.unit_id cross join lateral (values (m.l1_id), (m.cur_l1_id)) x(l1);
        select array_agg(distinct to_char(g.month, 'YYYY-MM')) into ms
        from changed c cross join lateral generate_series(date_trunc('month', c.period_start), date_trunc('month', c.period_end), interval '1 month') g(month);
        perform live_note('published_indicator', l1s, ms);
        return null;
      end $$;`);
    for (const [name, event, table] of [['live_note_ins', 'insert', 'new'], ['live_note_upd_new', 'update', 'new'], ['live_note_upd_old', 'update', 'old'], ['live_note_del', 'delete', 'old']]) {
      this.addSql(`create trigger "${name}" after ${event} on "published_indicator" referencing ${table} table as changed for each statement execute function live_note_published();`);
    }
  }

  override async down(): Promise<void> {
    for (const t of ['live_note_ins', 'live_note_upd_new', 'live_note_upd_old', 'live_note_del']) this.addSql(`drop trigger "${t}" on "published_indicator";`);
    this.addSql(`drop function "live_note_published"();`);
  }
}
