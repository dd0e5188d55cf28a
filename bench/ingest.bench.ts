import 'reflect-metadata';
import { FilingRow } from '../src/ingest/batch';
import { copyRows } from '../src/ingest/fact-upsert';
import { IngestService } from '../src/ingest/ingest.service';
import { benchDatabase } from './bench-db';

/**
 * `npm run bench:ingest`: imports ROWS (default 100,000) monthly filing rows through the ingest
 * core (validation, code resolution, COPY into a temp table, upsert with revision tracking, one
 * transaction) and, in the same run, a plain COPY of the same rows into an empty copy of the table.
 */
async function main(): Promise<void> {
  const rows = Number(process.env.ROWS ?? 100_000);
  const { db, cleanup } = await benchDatabase();
  try {
    const provinces = (await db.sql.query<{ code: string; id: number }>(`SELECT code, id FROM unit WHERE kind = 'province' AND valid_from IS NULL ORDER BY code`));
    const procedures = Math.ceil(rows / (provinces.length * 24));
    const [source] = await db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind) VALUES ('bench', 'bench', 'import') RETURNING id`);
    await new IngestService(db.sql).ingest({
      sectors: [{ code: 'B', name: 'Bench' }],
      procedures: Array.from({ length: procedures }, (_, i) => ({ code: `9.${String(i).padStart(6, '0')}`, name: `P${i}`, sector: 'B', tier: 'province' })),
    }, { sourceId: source.id, kind: 'import', maxRows: 1e7 });

    const filings: FilingRow[] = [];
    outer: for (const p of provinces) {
      for (let k = 0; k < procedures; k++) {
        for (let m = 0; m < 24; m++) {
          if (filings.length === rows) break outer;
          const received = 10 + ((k * 7 + m * 13) % 200);
          const online = Math.floor(received * ((m % 10) / 10));
          filings.push({
            unit: p.code, procedure: `9.${String(k).padStart(6, '0')}`, month: `${2022 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`,
            received, receivedOnline: online, receivedPostal: 0, resolvedOnTime: received - 3, resolvedLate: 2, withFee: 5, paidOnline: 3, syncedNational: online,
          });
        }
      }
    }

    const ingest = new IngestService(db.sql);
    let t = process.hrtime.bigint();
    const result = await ingest.ingest({ filings }, { sourceId: source.id, kind: 'import', maxRows: 1e7 });
    const gatewaySeconds = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    const again = await ingest.ingest({ filings }, { sourceId: source.id, kind: 'import', maxRows: 1e7 });
    const againSeconds = Number(process.hrtime.bigint() - t) / 1e9;

    // Baseline: the same rows, already resolved to ids, COPYed into an empty table of the same shape
    // (l1_id, the top-level unit, is the province itself: every row is a province's).
    const unitId = new Map(provinces.map((p) => [p.code, p.id]));
    const procRows = await db.sql.query<{ id: number; code: string }>(`SELECT id, code FROM procedure`);
    const procId = new Map(procRows.map((p) => [p.code, p.id]));
    const resolved = filings.map((f) => [`${f.month}-01`, unitId.get(f.unit), procId.get(f.procedure), f.received, f.receivedOnline, f.receivedPostal,
      f.resolvedOnTime, f.resolvedLate, f.withFee, f.paidOnline, f.syncedNational, source.id, result.runId, unitId.get(f.unit)]);
    await db.sql.query(`CREATE TABLE bench_copy (LIKE filing_stat INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
    t = process.hrtime.bigint();
    await db.sql.transaction((tx) => copyRows(tx, 'bench_copy', ['month', 'unit_id', 'procedure_id', 'received', 'received_online', 'received_postal',
      'resolved_on_time', 'resolved_late', 'with_fee', 'paid_online', 'synced_national', 'source_id', 'run_id', 'l1_id'], resolved));
    const copySeconds = Number(process.hrtime.bigint() - t) / 1e9;

    const rate = (s: number) => Math.round(rows / s).toLocaleString('en-US');
    console.log(`rows: ${rows.toLocaleString('en-US')} monthly filing rows (${provinces.length} provinces × ${procedures} procedures × 24 months)`);
    console.log(`gateway ingest (validate, resolve, upsert, one transaction): ${gatewaySeconds.toFixed(2)} s = ${rate(gatewaySeconds)} rows/s (written ${result.rowsWritten})`);
    console.log(`same batch again (idempotent, writes nothing):               ${againSeconds.toFixed(2)} s = ${rate(againSeconds)} rows/s (written ${again.rowsWritten})`);
    console.log(`baseline plain COPY of the same rows:                         ${copySeconds.toFixed(2)} s = ${rate(copySeconds)} rows/s`);
    console.log(`ratio gateway / COPY: ${(copySeconds / gatewaySeconds).toFixed(2)} (target: 20,000 rows/s or more)`);
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
