import { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { FactType } from '../provenance/fact-revision.entity';
import { IngestRun } from '../provenance/ingest-run.entity';
import { FactRevisionRow, FactRevisionType, REVISION_COLUMNS, toRevision } from './fact-revision.type';

/** The fact_key of a filing statistic, as fact-upsert writes it (jsonb compares by value, so key order does not matter). */
export function filingKey(month: string, unitId: number, procedureId: number): string {
  return JSON.stringify({ month, unitId, procedureId });
}

/** Per-request loaders for sources' runs and facts' revisions: one statement per batch (`em`: the request's, forked on first use). */
export function createSourceLoaders(em: () => EntityManager) {
  /** Key "sourceId|last": the source's last runs, newest first. */
  const runsBySource = new DataLoader<string, IngestRun[]>(async (keys) => {
    const byLast = new Map<number, number[]>();
    for (const k of keys) {
      const [id, last] = k.split('|').map(Number);
      byLast.set(last, [...(byLast.get(last) ?? []), id]);
    }
    const found = new Map<number, IngestRun>();
    const order: { id: number; source_id: number; last: number }[] = [];
    for (const [last, sourceIds] of byLast) {
      const rows = await em().getConnection().execute<{ id: number; source_id: number }[]>(
        `SELECT id, source_id FROM (
           SELECT id, source_id, row_number() OVER (PARTITION BY source_id ORDER BY id DESC) AS n FROM ingest_run WHERE source_id IN (?)
         ) r WHERE n <= ? ORDER BY source_id, id DESC`,
        [sourceIds, last],
      );
      order.push(...rows.map((r) => ({ ...r, last })));
    }
    if (order.length > 0) for (const run of await em().find(IngestRun, { id: { $in: order.map((o) => o.id) } })) found.set(run.id, run);
    return keys.map((k) => {
      const [id, last] = k.split('|').map(Number);
      return order.filter((o) => o.source_id === id && o.last === last).map((o) => found.get(o.id)!).filter(Boolean);
    });
  });

  /** Key: a filing statistic's fact_key (see filingKey); its revisions, oldest first. */
  const filingRevisions = new DataLoader<string, FactRevisionType[]>(async (keys) => {
    const rows = await em().getConnection().execute<FactRevisionRow[]>(
      `SELECT ${REVISION_COLUMNS} FROM fact_revision WHERE fact_type = ? AND fact_key IN (?) ORDER BY id`,
      [FactType.FILING_STAT, [...keys]],
    );
    const byKey = new Map<string, FactRevisionType[]>();
    for (const r of rows) {
      const k = filingKey(String(r.fact_key.month), Number(r.fact_key.unitId), Number(r.fact_key.procedureId));
      byKey.set(k, [...(byKey.get(k) ?? []), toRevision(r)]);
    }
    return keys.map((k) => byKey.get(k) ?? []);
  });

  return { runsBySource, filingRevisions };
}
