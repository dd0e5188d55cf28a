import { Migration } from '@mikro-orm/migrations';

/**
 * One NOTIFY `dvc_data_version` at the commit of every transaction that bumps the data version
 * (Migration20261206000000_data_version), so that a gateway process can keep the version in
 * memory between commits instead of reading it once per request (src/cache/data-version.ts:
 * DataVersionWatch). A deferred constraint trigger on `data_change_pending`, like the bump
 * itself, named after `data_version_bump` so that it runs after it (PostgreSQL fires the triggers
 * of one event in name order). A NOTIFY sent in a transaction is delivered at its COMMIT and not
 * at all on a rollback, so a listener never hears of a version it cannot read yet.
 *
 * Not the live updates' channel (`dvc_live`): that one is sent only when figures or a source's
 * status changed, and the cache must hear every bump (units, names, targets, plans...). The
 * payload is empty: the listener reads the version itself (the sum of 16 shards that concurrent
 * commits bump), and identical notifications of one transaction are delivered once.
 */
export class Migration20261221000000_data_version_notify extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create function "data_version_notify"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('dvc_data_version', '');
        return null;
      end $$;`);
    this.addSql(`comment on function "data_version_notify"() is 'At COMMIT (deferred, after data_version_bump): NOTIFY dvc_data_version, so that gateway processes keep the data version in memory between commits. See src/cache/data-version.ts.';`);
    this.addSql(`create constraint trigger "data_version_notify" after insert on "data_change_pending"
      deferrable initially deferred for each row execute function "data_version_notify"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "data_version_notify" on "data_change_pending";`);
    this.addSql(`drop function "data_version_notify"();`);
  }
}
