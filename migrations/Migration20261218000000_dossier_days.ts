import { Migration } from '@mikro-orm/migrations';

/**
 * Dossier days (issue 13, item 1: processing times, dossiers in progress and overdue). The dossier
 * store keeps, beside each dossier's month and flags, three calendar days in Asia/Ho_Chi_Minh (the
 * feeds' timestamps are already local, so a day is a timestamp's first eight digits):
 *
 * - `received_on`: the receipt day (NgayTiepNhan);
 * - `due_on`: the day the result is due (NgayHenTra), NULL when the feed gives none;
 * - `resolved_on`: the day the result was returned (NgayTra), only for a resolved dossier
 *   (TrangThaiHoSo = 4), else NULL. Processing time is `resolved_on - received_on` in days.
 *
 * `received_on` is nullable only because the rows stored before this migration lack it (new rows
 * always have it; day measures skip a NULL). To fill them, the saved positions of the dossier
 * feeds are reset: each feed's next sync re-reads every dossier from the beginning, and the dossier
 * upsert rewrites the rows whose days differ (the monthly statistics do not change, so no group is
 * recomputed). The partitions (dossier_s<id>) get the columns from their parent.
 */
export class Migration20261218000000_dossier_days extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "dossier" add column "received_on" date null, add column "due_on" date null, add column "resolved_on" date null;`);
    this.addSql(`comment on column "dossier"."received_on" is 'Receipt day in Asia/Ho_Chi_Minh (NgayTiepNhan). NULL only for rows stored before Migration20261218000000_dossier_days, until their feed re-reads them.';`);
    this.addSql(`comment on column "dossier"."due_on" is 'Due day in Asia/Ho_Chi_Minh (NgayHenTra); NULL when the feed gives none.';`);
    this.addSql(`comment on column "dossier"."resolved_on" is 'Day the result was returned, in Asia/Ho_Chi_Minh (NgayTra), for a resolved dossier (TrangThaiHoSo = 4); NULL while open.';`);
    // Every dossier feed starts again from its beginning, so its next sync fills the days above.
    this.addSql(`update "source" set "sync_state" = '{}' where "kind" = 'dossier_feed' and "sync_state" <> '{}';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "dossier" drop column "received_on", drop column "due_on", drop column "resolved_on";`);
  }

}
