import { Migration } from '@mikro-orm/migrations';

/** Tables whose writes do not change a cacheable answer (see the class comment); every other table of the schema is watched. */
const UNWATCHED_TABLES = ['data_version', 'data_change_pending', 'ingest_run', 'api_key', 'mikro_orm_migrations'] as const;

/**
 * The data version (issue 11, response cache): a number in PostgreSQL that changes in the same
 * transaction as every write that changes what a read returns, so a cached answer keyed by it is
 * never stale and every gateway process on the database agrees (src/cache/data-version.ts reads it).
 *
 * Bumped by triggers, not by calls in the writers: writes come from the ingest core, the
 * reference data load, the source registry, the sync status updates and the abandoned-run sweep,
 * and a writer added later cannot forget a trigger. Each watched table has a statement-level
 * trigger (once per statement, whatever its row count: nothing per row, so a sync of millions of
 * rows pays the same as a push of one). The first one in a transaction marks it (a transaction-local
 * setting) and inserts its txid into `data_change_pending`, whose DEFERRED constraint trigger runs
 * at COMMIT and adds 1 to one shard of `data_version`. The row lock is therefore taken at the very
 * end and held for the commit alone, so concurrent ingest transactions (hours of a national sync
 * beside pushes) do not wait on each other; the shard (backend pid mod 16) makes even those
 * microseconds rarely shared. The version is the sum of the shards: strictly greater after every
 * commit that wrote a watched table, visible exactly when that commit's data is.
 *
 * Watched in part: `ingest_run`, only when a run succeeds (aggregates show the last successful
 * ingest). Run records are also written outside the data transaction (a rejected push records its
 * rejection with nothing written, a running run its start), which must not empty the cache: the
 * fields that list runs are never cached instead (src/cache/cache-hints.ts). Not watched: `api_key` (callers with a key are never served from the cache), the
 * migration log and these tables themselves. test/cache/data-version.test.ts checks that every
 * other table has the trigger, so a table added by a later migration without it fails a test.
 */
export class Migration20261206000000_data_version extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "data_version" ("shard" smallint primary key, "n" bigint not null default 0);`);
    this.addSql(`insert into "data_version" ("shard", "n") select g, 0 from generate_series(0, 15) g;`);
    this.addSql(`comment on table "data_version" is 'The data version (sum of n): bumped at the commit of every transaction that wrote a watched table (trigger data_changed). Keys the response cache.';`);
    // Unlogged: a row lives from a transaction's first write to its commit; a crash loses nothing of value.
    this.addSql(`create unlogged table "data_change_pending" ("txid" bigint not null);`);
    this.addSql(`create function "data_version_bump"() returns trigger language plpgsql as $$
      begin
        update data_version set n = n + 1 where shard = pg_backend_pid() % 16;
        delete from data_change_pending where txid = new.txid;
        return null;
      end $$;`);
    this.addSql(`create constraint trigger "data_version_bump" after insert on "data_change_pending"
      deferrable initially deferred for each row execute function "data_version_bump"();`);
    this.addSql(`create function "data_changed"() returns trigger language plpgsql as $$
      begin
        if current_setting('dvc.data_changed', true) is distinct from 'on' then
          perform set_config('dvc.data_changed', 'on', true);
          insert into data_change_pending (txid) values (txid_current());
        end if;
        return null;
      end $$;`);
    const unwatched = UNWATCHED_TABLES.map((t) => `'${t}'`).join(', ');
    this.addSql(`do $$
      declare t text;
      begin
        for t in select tablename from pg_tables where schemaname = current_schema() and tablename not in (${unwatched}) loop
          execute format('create trigger data_changed after insert or update or delete or truncate on %I for each statement execute function data_changed()', t);
        end loop;
      end $$;`);
    this.addSql(`create trigger data_changed_run_insert after insert on "ingest_run" for each row when (new.status = 'succeeded') execute function data_changed();`);
    this.addSql(`create trigger data_changed_run_update after update of status on "ingest_run" for each row when (new.status = 'succeeded' and old.status is distinct from 'succeeded') execute function data_changed();`);
  }

  override async down(): Promise<void> {
    this.addSql(`do $$
      declare t text;
      begin
        for t in select c.relname from pg_trigger g join pg_class c on c.oid = g.tgrelid where g.tgname = 'data_changed' loop
          execute format('drop trigger data_changed on %I', t);
        end loop;
        for t in select g.tgname from pg_trigger g join pg_class c on c.oid = g.tgrelid where c.relname = 'ingest_run' and g.tgname like 'data_changed_run_%' loop
          execute format('drop trigger %I on ingest_run', t);
        end loop;
      end $$;`);
    this.addSql(`drop function "data_changed"();`);
    this.addSql(`drop table "data_change_pending";`);
    this.addSql(`drop function "data_version_bump"();`);
    this.addSql(`drop table "data_version";`);
  }
}
