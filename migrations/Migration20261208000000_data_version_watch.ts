import { Migration } from '@mikro-orm/migrations';

/**
 * The data version's trigger on the tables created after it (the shape and nation rollups of
 * issue 11), and one function that attaches it, so that a migration creating a table ends with
 * `select data_version_watch_all();` (src/cache/data-version.ts, UNWATCHED_TABLES, lists the
 * exceptions; test/cache/data-version.test.ts fails for a table left unwatched).
 * Why triggers and not calls in the writers: Migration20261206000000_data_version.
 */
export class Migration20261208000000_data_version_watch extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create function "data_version_watch_all"() returns void language plpgsql as $$
      declare t text;
      begin
        for t in
          select c.relname from pg_class c
          where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
            and c.relname not in ('data_version', 'data_change_pending', 'ingest_run', 'api_key', 'mikro_orm_migrations')
            and not exists (select 1 from pg_trigger g where g.tgrelid = c.oid and g.tgname = 'data_changed')
        loop
          execute format('create trigger data_changed after insert or update or delete or truncate on %I for each statement execute function data_changed()', t);
        end loop;
      end $$;`);
    this.addSql(`comment on function "data_version_watch_all"() is 'Attaches the data version trigger (data_changed) to every table of the schema that lacks it, but the few whose writes change no answer. Call it at the end of a migration that creates a table.';`);
    this.addSql(`select "data_version_watch_all"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function "data_version_watch_all"();`);
  }
}
