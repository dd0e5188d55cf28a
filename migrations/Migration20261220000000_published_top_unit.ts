import { Migration } from '@mikro-orm/migrations';

/**
 * The published facts join the distributed ones (docs/operations.md, "Past one machine"):
 * `published_indicator` and `published_index_score` carry their unit's top-level ancestor
 * (unit_map.l1_id, as reported) in every key, as Migration20261213500000_fact_top_unit did for
 * `filing_stat` and `plan` (its comment says why; test/scaleout/catalog.test.ts enforces it).
 *
 * - Keys: the unit decides l1_id, so (natural key, l1_id) is as unique as the natural key, and
 *   the primary keys become (id, l1_id) (nothing references either table's id).
 * - The fact writer fills l1_id in the same INSERT ... SELECT (src/ingest/fact-upsert.ts, `topUnit`
 *   of PUBLISHED_INDICATOR_TABLE and PUBLISHED_INDEX_SCORE_TABLE). NOT NULL: a writer that
 *   forgets it fails instead of writing a fact no shard would hold.
 * - A re-parented unit takes its published facts along: facts_follow_unit_moves, the trigger
 *   function of the earlier migration, now also rewrites these two tables.
 * - `published_index_score` becomes a fact kind (FactType): a corrected score keeps the old one
 *   in fact_revision, and figuresChanged(kinds: [PUBLISHED_INDEX_SCORE]) hears of its commits
 *   through the statement triggers published_indicator has (Migration20261216000200_live_published),
 *   whose function now names the kind by the table it fires on.
 */
export class Migration20261220000000_published_top_unit extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter type "fact_type" add value if not exists 'published_index_score';`);
    const keys: [string, string][] = [
      ['published_indicator', 'unit_id, indicator, period_grain, period_start, document_number'],
      ['published_index_score', 'unit_id, period_grain, period_start, component'],
    ];
    for (const [table, key] of keys) {
      this.addSql(`alter table "${table}" add column "l1_id" int null;`);
      this.addSql(`update "${table}" f set "l1_id" = m."l1_id" from "unit_map" m where m."unit_id" = f."unit_id";`);
      this.addSql(`alter table "${table}" alter column "l1_id" set not null;`);
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey", add constraint "${table}_pkey" primary key ("id", "l1_id");`);
      this.addSql(`alter table "${table}" drop constraint "${table}_key", add constraint "${table}_key" unique (${key}, l1_id);`);
      this.addSql(`comment on column "${table}"."l1_id" is 'The unit''s top-level ancestor (unit_map.l1_id): the distribution column on Citus. Filled by the fact writer; follows unit moves (trigger unit_top_unit_moves).';`);
    }
    this.addSql(followMoves(['filing_stat', 'plan', 'published_indicator', 'published_index_score']));
    this.addSql(liveNote('TG_TABLE_NAME::text'));
    for (const [name, event, table] of LIVE_TRIGGERS) {
      this.addSql(`create trigger "${name}" after ${event} on "published_index_score" referencing ${table} table as changed for each statement execute function live_note_published();`);
    }
  }

  override async down(): Promise<void> {
    for (const [name] of LIVE_TRIGGERS) this.addSql(`drop trigger "${name}" on "published_index_score";`);
    this.addSql(liveNote(`'published_indicator'`));
    this.addSql(followMoves(['filing_stat', 'plan']));
    for (const [table, key] of [
      ['published_indicator', 'unit_id, indicator, period_grain, period_start, document_number'],
      ['published_index_score', 'unit_id, period_grain, period_start, component'],
    ]) {
      this.addSql(`alter table "${table}" drop constraint "${table}_key", add constraint "${table}_key" unique (${key});`);
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey", add constraint "${table}_pkey" primary key ("id");`);
      this.addSql(`alter table "${table}" drop column "l1_id";`);
    }
  }
}

/** The trigger function of Migration20261213500000_fact_top_unit, moving the facts of `tables` along with a re-parented unit. */
function followMoves(tables: string[]): string {
  return `create or replace function "facts_follow_unit_moves"() returns trigger language plpgsql as $fn$
    begin
      if exists (select 1 from changed_new n join changed_old o on o.id = n.id where n.parent_id is distinct from o.parent_id) then
        create temp table moved_units on commit drop as
          select d.unit_id, d.l1_id from unit_map d
          join changed_new n on n.id in (d.unit_id, d.ministry_id, d.province_id, d.department_id, d.district_id, d.commune_id)
          join changed_old o on o.id = n.id
          where n.parent_id is distinct from o.parent_id;
        ${tables.map((t) => `update ${t} f set l1_id = m.l1_id from moved_units m where m.unit_id = f.unit_id and f.l1_id <> m.l1_id;`).join('\n        ')}
        drop table moved_units;
      end if;
      return null;
    end
    $fn$;`;
}

const LIVE_TRIGGERS = [['live_note_ins', 'insert', 'new'], ['live_note_upd_new', 'update', 'new'], ['live_note_upd_old', 'update', 'old'], ['live_note_del', 'delete', 'old']] as const;

/** Migration20261216000200_live_published's function, the kind it notes given by `kind` (an SQL expression). */
function liveNote(kind: string): string {
  return `create or replace function "live_note_published"() returns trigger language plpgsql as $$
      declare l1s int[]; ms text[];
      begin
        if not exists (select 1 from changed) then return null; end if;
        select array_agg(distinct x.l1) into l1s
        from changed c join unit_map m on m.unit_id = c.unit_id cross join lateral (values (m.l1_id), (m.cur_l1_id)) x(l1);
        select array_agg(distinct to_char(g.month, 'YYYY-MM')) into ms
        from changed c cross join lateral generate_series(date_trunc('month', c.period_start), date_trunc('month', c.period_end), interval '1 month') g(month);
        perform live_note(${kind}, l1s, ms);
        return null;
      end $$;`;
}
