import { Migration } from '@mikro-orm/migrations';

/**
 * The dossier store's key moves from the partitioned parent to each partition: a feed's first
 * load COPYs into a bare partition and builds its unique index on code afterwards, in one sorted
 * pass (about three times cheaper than maintaining the index row by row: bench:sync). The sync
 * creates that index (dossier_s<id>_code) before it upserts into a partition.
 */
export class Migration20261125000001_dossier_key extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "dossier" drop constraint "dossier_pkey";`);
    this.addSql(`comment on table "dossier" is 'Latest version of each dossier a feed served (MaHoSo = code); one partition per source (dossier_s<id>, unique on code: index dossier_s<id>_code), created by the sync.';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "dossier" add constraint "dossier_pkey" primary key ("source_id", "code");`);
  }

}
