import { Database } from '../../src/db/database';
import { DossierFlag, ensureDossierPartition } from '../../src/ingest/dossier-stage';
import { IngestService } from '../../src/ingest/ingest.service';
import { IngestSession, SessionResult } from '../../src/ingest/ingest-session';

/**
 * Dossiers written through the real dossier stage (IngestSession.dossiers(), as a feed's sync
 * does), for the dossier measures' tests. A dossier: its number, unit code (read at its receipt
 * day), procedure, receipt, due and resolution days ("YYYY-MM-DD"; null: none), and whether it
 * was late by the instant (NgayTra > NgayHenTra) when its days alone would not say so.
 */
export interface FixtureDossier {
  code: string;
  unit: string;
  procedure: string;
  received: string;
  due: string | null;
  resolved: string | null;
  /** Resolved on its due day, but after the due hour: flagged late (the days alone say on time). */
  lateSameDay?: boolean;
}

const day = (d: string) => Number(d.replaceAll('-', ''));

/** The DossierFlag bits a feed would give: in person; resolved on time or late. */
function flagsOf(d: FixtureDossier): number {
  if (d.resolved === null) return DossierFlag.IN_PERSON;
  const late = d.lateSameDay === true || (d.due !== null && d.resolved > d.due);
  return DossierFlag.IN_PERSON | (late ? DossierFlag.RESOLVED_LATE : DossierFlag.RESOLVED_ON_TIME);
}

/** A catalogue for the fixture (sectors HT, DD; procedures P1 in HT, P2 in DD) and a dossier feed source with its partition. */
export async function dossierWorld(db: Database): Promise<number> {
  const [cat] = await db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('catalogue', 'Catalogue', 'import', 300) RETURNING id`);
  await new IngestService(db.sql).ingest({
    sectors: [{ code: 'HT', name: 'Hộ tịch' }, { code: 'DD', name: 'Đất đai' }],
    procedures: [
      { code: 'P1', name: 'Đăng ký khai sinh', sector: 'HT', tier: 'province', eligibleFullOnline: true, essential: true },
      { code: 'P2', name: 'Giao đất', sector: 'DD', tier: 'province', eligibleFullOnline: false, essential: false },
    ],
  }, { sourceId: cat.id, kind: 'import', maxRows: 1000 });
  const [feed] = await db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('feed', 'Dossier feed', 'dossier_feed', 200) RETURNING id`);
  await ensureDossierPartition(db.sql, feed.id);
  return feed.id;
}

/** One sync-like run: the dossiers through the dossier stage, committed with the rollup refresh in the run. */
export async function ingestDossiers(db: Database, sourceId: number, dossiers: FixtureDossier[], modified: string): Promise<SessionResult> {
  const session = await IngestSession.open(db.sql, { sourceId, kind: 'sync' });
  try {
    const stage = await session.dossiers();
    stage.expect(dossiers.length);
    for (const d of dossiers) {
      stage.add(d.code, d.unit, d.procedure, day(d.received), d.due === null ? null : day(d.due), d.resolved === null ? null : day(d.resolved), Number(modified), flagsOf(d));
    }
    await stage.flush();
    return await session.commit();
  } catch (e) {
    await session.fail(e);
    throw e;
  }
}
