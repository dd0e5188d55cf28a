import { Migration } from '@mikro-orm/migrations';

/**
 * Runs left RUNNING by a process that died (issue 8): each run records the server backend (pid
 * and start time) holding its transaction, so a sweep can tell a live run from an abandoned one
 * (no backend with that pid and start any more: its transaction died with it and wrote nothing),
 * and closes it with the new status 'abandoned'.
 */
export class Migration20261203000000_abandoned_runs extends Migration {

  override async up(): Promise<void> {
    // PostgreSQL 12+ allows this in the migration's transaction; the value is only used later.
    this.addSql(`alter type "run_status" add value if not exists 'abandoned';`);
    this.addSql(`alter table "ingest_run" add column "backend_pid" int null, add column "backend_start" timestamptz null;`);
    this.addSql(`comment on column "ingest_run"."backend_pid" is 'pg_backend_pid() of the connection holding the run''s transaction, while it runs.';`);
    this.addSql(`comment on column "ingest_run"."backend_start" is 'That backend''s start (pids are reused): with backend_pid, tells a live run from an abandoned one.';`);
    // The sweep reads only running runs, a handful among many.
    this.addSql(`create index "ingest_run_running_index" on "ingest_run" ("id") where "status" = 'running';`);
  }

  override async down(): Promise<void> {
    // An enum value cannot be dropped; abandoned runs become failed ones and the value stays unused.
    this.addSql(`drop index if exists "ingest_run_running_index";`);
    this.addSql(`update "ingest_run" set "status" = 'failed' where "status" = 'abandoned';`);
    this.addSql(`alter table "ingest_run" drop column "backend_pid", drop column "backend_start";`);
  }

}
